// Elementwise arithmetic with autograd: add, sub, mul, scale, bias add, row sums and reshapeCopy.
// Kernels are generated from one template keyed by expression.
import type { Engine } from '../runtime.ts';
import { assertSameShape, type Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from '../wgsl.ts';

/** out[i] = expr over a[i], b[i] (when two inputs) and the scalar s. */
function mapKernel(engine: Engine, key: string, inputs: 1 | 2, expr: string) {
  const bindings = ['a', 'b'].slice(0, inputs).map((n, i) => `@group(0) @binding(${i}) var<storage, read> ${n}: array<f32>;`);
  return engine.kernel(
    `map:${key}`,
    /* wgsl */ `
struct U { n: u32, s: f32 }
${bindings.join('\n')}
@group(0) @binding(${inputs}) var<storage, read_write> out: array<f32>;
@group(0) @binding(${inputs + 1}) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  let s = u.s;
  out[i] = ${expr};
}`,
  );
}

/** Runs a map kernel into a new tensor shaped like the first input. */
function runMap(engine: Engine, key: string, expr: string, inputs: Tensor[], s = 0): Tensor {
  const out = engine.empty(inputs[0]!.shape);
  engine.dispatch(mapKernel(engine, key, inputs.length as 1 | 2, expr), [...inputs, out], grid1d(out.size), packUniforms([out.size], [s]));
  return out;
}

export function add(a: Tensor, b: Tensor): Tensor {
  assertSameShape('add', a, b);
  const engine = a.engine;
  const out = runMap(engine, 'add', 'a[i] + b[i]', [a, b]);
  if (engine.autograd.needsGrad([a, b])) engine.autograd.record([a, b], [out], ([g]) => [g!, g!]);
  return out;
}

export function sub(a: Tensor, b: Tensor): Tensor {
  assertSameShape('sub', a, b);
  const engine = a.engine;
  const out = runMap(engine, 'sub', 'a[i] - b[i]', [a, b]);
  if (engine.autograd.needsGrad([a, b])) engine.autograd.record([a, b], [out], ([g]) => [g!, b.requiresGrad ? runMap(engine, 'scale', 'a[i] * s', [g!], -1) : null]);
  return out;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  assertSameShape('mul', a, b);
  const engine = a.engine;
  const out = runMap(engine, 'mul', 'a[i] * b[i]', [a, b]);
  if (engine.autograd.needsGrad([a, b])) {
    engine.autograd.record([a, b], [out], ([g]) => [
      a.requiresGrad ? runMap(engine, 'mul', 'a[i] * b[i]', [g!, b]) : null,
      b.requiresGrad ? runMap(engine, 'mul', 'a[i] * b[i]', [g!, a]) : null,
    ]);
  }
  return out;
}

export function scale(a: Tensor, s: number): Tensor {
  const engine = a.engine;
  const out = runMap(engine, 'scale', 'a[i] * s', [a], s);
  if (engine.autograd.needsGrad([a])) engine.autograd.record([a], [out], ([g]) => [runMap(engine, 'scale', 'a[i] * s', [g!], s)]);
  return out;
}

/** x[..., n] + bias[n]. */
export function addBias(x: Tensor, bias: Tensor): Tensor {
  const n = x.shape.at(-1)!;
  if (bias.size !== n) throw new ShapeError(`addBias: bias has ${bias.size} values, the last dimension of [${x.shape.join(', ')}] is ${n}`);
  const engine = x.engine;
  const out = engine.empty(x.shape);
  const k = engine.kernel(
    'addBias',
    /* wgsl */ `
struct U { n: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i < u.n) { out[i] = x[i] + bias[i % u.cols]; }
}`,
  );
  engine.dispatch(k, [x, bias, out], grid1d(out.size), new Uint32Array([out.size, n, 0, 0]));
  if (engine.autograd.needsGrad([x, bias])) {
    engine.autograd.record([x, bias], [out], ([g]) => [g!, bias.requiresGrad ? sumRows(g!, n) : null]);
  }
  return out;
}

/** Sums a [rows, cols] view over its rows → [cols] (bias gradients). */
export function sumRows(g: Tensor, cols: number): Tensor {
  const engine = g.engine;
  const rows = g.size / cols;
  const out = engine.empty([cols]);
  const k = engine.kernel(
    'sumRows',
    /* wgsl */ `
struct U { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= u.cols) { return; }
  var acc = 0.0;
  for (var r = 0u; r < u.rows; r++) { acc += g[r * u.cols + c]; }
  out[c] = acc;
}`,
  );
  engine.dispatch(k, [g, out], [Math.ceil(cols / 64)], new Uint32Array([rows, cols, 0, 0]));
  return out;
}

/**
 * A copy of a under another shape of equal size, with autograd. It copies (one buffer copy, no
 * kernel): a tensor owns its buffer, so a view sharing it would need shared ownership.
 */
export function reshapeCopy(a: Tensor, shape: readonly number[]): Tensor {
  const engine = a.engine;
  const out = engine.empty(shape, a.dtype);
  if (out.size !== a.size) {
    out.release();
    throw new ShapeError(`reshapeCopy: [${a.shape.join(', ')}] has ${a.size} values, [${shape.join(', ')}] needs ${out.size}`);
  }
  engine.copy(a, out, a.byteLength);
  if (engine.autograd.needsGrad([a])) engine.autograd.record([a], [out], ([g]) => [reshapeCopy(g!, a.shape)]);
  return out;
}
