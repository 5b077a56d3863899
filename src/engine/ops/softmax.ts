// Softmax over the last dimension, stable (the row maximum is subtracted before exp), with the
// row layout and reduction of the norms (wgsl.ts rowLayout). Backward: dx = y·(g − Σ g·y).
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { perRowLayout, rowLayout } from '../wgsl.ts';

const HEAD = /* wgsl */ `struct U { rows: u32, cols: u32 }`;

const forwardWgsl = perRowLayout((r) => /* wgsl */ `
${HEAD}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${r.reduce('f32', ['max', 'sum'])}
${r.main}
  var m = -3.4e38;
  ${r.forCols} { m = max(m, x[base + c]); }
  m = reduce_max(m, lid);
  var s = 0.0;
  ${r.forCols} { s += exp(x[base + c] - m); }
  let inv = 1.0 / reduce_sum(s, lid);
  ${r.forCols} { y[base + c] = exp(x[base + c] - m) * inv; }
}`);

const backwardWgsl = perRowLayout((r) => /* wgsl */ `
${HEAD}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${r.reduce('f32')}
${r.main}
  var s = 0.0;
  ${r.forCols} { s += g[base + c] * y[base + c]; }
  let dot = reduce_sum(s, lid);
  ${r.forCols} { dx[base + c] = y[base + c] * (g[base + c] - dot); }
}`);

/** softmax over the last dimension. */
export function softmax(x: Tensor): Tensor {
  const cols = x.shape.at(-1);
  if (cols === undefined || cols === 0) throw new ShapeError(`softmax: x [${x.shape.join(', ')}] needs a non-empty last dimension`);
  const engine = x.engine;
  const rows = x.size / cols;
  const y = engine.empty(x.shape);
  const u = new Uint32Array([rows, cols, 0, 0]);
  const r = rowLayout(engine);
  engine.dispatch(engine.kernel(`softmax${r.key}`, forwardWgsl(r)), [x, y], r.grid(rows), u);
  if (engine.autograd.needsGrad([x])) {
    engine.autograd.record([x], [y], ([g]) => {
      const dx = engine.empty(x.shape);
      engine.dispatch(engine.kernel(`softmax:backward${r.key}`, backwardWgsl(r)), [g!, y, dx], r.grid(rows), u);
      return [dx];
    });
  }
  return y;
}
