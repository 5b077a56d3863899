// Rotary position embedding, rotate-half convention as Hugging Face Llama/Qwen:
//   out = x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1],
// with angles p·θ^(-2i/D) for the first D/2 frequencies, duplicated over both halves.
// Backward is the inverse rotation (the same kernel with sin negated).
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';

export interface RopeOptions {
  /** Base of the frequencies (rope_theta). */
  theta: number;
  /** Position of token 0 when `positions` is not given (the KV cache length). */
  positionOffset?: number;
  /** Explicit positions per token, i32 [B, T] (e.g. left padding); overrides positionOffset. */
  positions?: Tensor;
}

function ropeWgsl(withPositions: boolean): string {
  return /* wgsl */ `
struct U { rows: u32, t: u32, heads: u32, half: u32, offset: u32, log2Theta: f32, sign: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
${withPositions ? '@group(0) @binding(2) var<storage, read> positions: array<i32>;\n@group(0) @binding(3) var<uniform> u: U;' : '@group(0) @binding(2) var<uniform> u: U;'}
// sin and cos by quadrant reduction and Taylor polynomials on [-π/4, π/4] (error < 1e-7): the
// built-ins may be off by 2^-11 (WGSL's bound, which SwiftShader reaches).
fn sincos(angle: f32) -> vec2f {
  let k = round(angle * 0.6366197723675814);
  let r = (angle - k * 1.5707963705062866) + k * 4.371139000186241e-8;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 - r2 / 3628800.0))));
  let q = i32(k) & 3;
  if (q == 0) { return vec2f(s, c); }
  if (q == 1) { return vec2f(c, -s); }
  if (q == 2) { return vec2f(-s, -c); }
  return vec2f(-c, s);
}
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.rows * u.half) { return; }
  let f = i % u.half;
  let row = i / u.half; // (b, t, head)
  let bt = row / u.heads;
  let pos = ${withPositions ? 'f32(positions[bt])' : 'f32(u.offset + bt % u.t)'};
  let invFreq = exp2(-f32(2u * f) / f32(2u * u.half) * u.log2Theta);
  let sc = sincos(pos * invFreq);
  let c = sc.y;
  let s = u.sign * sc.x;
  let base = row * 2u * u.half + f;
  let x1 = x[base];
  let x2 = x[base + u.half];
  out[base] = x1 * c - x2 * s;
  out[base + u.half] = x2 * c + x1 * s;
}`;
}

function applyRope(x: Tensor, opts: RopeOptions, sign: 1 | -1): Tensor {
  const engine = x.engine;
  const [, T, nH, D] = x.shape as [number, number, number, number];
  const out = engine.empty(x.shape);
  const u = packUniforms([x.size / D, T, nH, D / 2, opts.positionOffset ?? 0], [Math.log2(opts.theta), sign]);
  const withPositions = opts.positions !== undefined;
  const kernel = engine.kernel(`rope${withPositions ? '.positions' : ''}`, ropeWgsl(withPositions));
  engine.dispatch(kernel, withPositions ? [x, out, opts.positions!] : [x, out], grid1d(x.size / 2), u);
  return out;
}

/** Rotates x [B, T, nHeads, D] by its positions. */
export function rope(x: Tensor, opts: RopeOptions): Tensor {
  if (x.shape.length !== 4) throw new ShapeError(`rope: x must be [B, T, nHeads, D], got [${x.shape.join(', ')}]`);
  const [B, T, , D] = x.shape as [number, number, number, number];
  if (D % 2 !== 0) throw new ShapeError(`rope: the head size must be even, got ${D}`);
  if (!(opts.theta > 0)) throw new ShapeError(`rope: theta must be positive, got ${opts.theta}`);
  const offset = opts.positionOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(`rope: positionOffset must be a non-negative integer, got ${offset}`);
  const p = opts.positions;
  if (p && (p.dtype !== 'i32' || p.shape.length !== 2 || p.shape[0] !== B || p.shape[1] !== T)) {
    throw new ShapeError(`rope: positions must be i32 [${B}, ${T}], got ${p.dtype} [${p.shape.join(', ')}]`);
  }
  const engine = x.engine;
  const out = applyRope(x, opts, 1);
  if (engine.autograd.needsGrad([x])) {
    engine.autograd.record(p ? [x, p] : [x], [out], ([g]) => (p ? [applyRope(g!, opts, -1), null] : [applyRope(g!, opts, -1)]));
  }
  return out;
}
