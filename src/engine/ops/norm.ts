// LayerNorm and RMSNorm over the last dimension: 16 threads per row (4 rows per workgroup) with a
// workgroup-memory reduction, one thread per row on software adapters (wgsl.ts rowLayout). Forward saves each row's mean and 1/σ for backward; the gamma/beta gradients are
// column sums over row chunks (deterministic, no atomics) finished by sumRows.
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { sumRows } from './elementwise.ts';
import { packUniforms, rowLayout } from '../wgsl.ts';

/** Which normalisation a kernel computes (its CPU twin uses the same type). */
export type NormKind = 'layer' | 'rms';

function checkShapes(op: string, x: Tensor, gamma: Tensor, beta: Tensor | null): number {
  const cols = x.shape.at(-1);
  if (cols === undefined || cols === 0) throw new ShapeError(`${op}: x [${x.shape.join(', ')}] needs a non-empty last dimension`);
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t && (t.shape.length !== 1 || t.size !== cols)) throw new ShapeError(`${op}: ${name} [${t.shape.join(', ')}] must be [${cols}] like the last dimension of x`);
  }
  return cols;
}

function uniforms(rows: number, cols: number, eps: number): ArrayBuffer {
  return packUniforms([rows, cols], [eps]);
}

const HEAD = /* wgsl */ `struct U { rows: u32, cols: u32, eps: f32, _p: u32 }`;

function forwardKernel(engine: Engine, kind: NormKind) {
  const layer = kind === 'layer';
  const r = rowLayout(engine);
  return engine.kernel(
    `norm:${kind}${r.key}`,
    /* wgsl */ `
${HEAD}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
${layer ? '@group(0) @binding(2) var<storage, read> beta: array<f32>;' : ''}
@group(0) @binding(${layer ? 3 : 2}) var<storage, read_write> y: array<f32>;
@group(0) @binding(${layer ? 4 : 3}) var<storage, read_write> stats: array<vec2f>; // (mean, 1/σ) per row
@group(0) @binding(${layer ? 5 : 4}) var<uniform> u: U;
${r.reduce('f32')}
${r.main}
  let n = f32(u.cols);
  var mean = 0.0;
  ${
    layer
      ? `var s = 0.0;
  ${r.forCols} { s += x[base + c]; }
  mean = reduce_sum(s, lid) / n;`
      : ''
  }
  // Second pass over centred values: no cancellation when |mean| ≫ σ.
  var q = 0.0;
  ${r.forCols} { let d = x[base + c] - mean; q += d * d; }
  let rstd = inverseSqrt(reduce_sum(q, lid) / n + u.eps);
  ${r.forCols} {
    y[base + c] = (x[base + c] - mean) * rstd * gamma[c]${layer ? ' + beta[c]' : ''};
  }
  if (live && lane == 0u) { stats[row] = vec2f(mean, rstd); }
}`,
  );
}

/** dx = rstd·(gy − mean(gy)·[layer] − x̂·mean(gy·x̂)), gy = g·gamma. */
function inputGradKernel(engine: Engine, kind: NormKind) {
  const layer = kind === 'layer';
  const r = rowLayout(engine);
  return engine.kernel(
    `norm:${kind}:dx${r.key}`,
    /* wgsl */ `
${HEAD}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
${r.reduce('vec2f')}
${r.main}
  let st = select(vec2f(0.0), stats[min(row, u.rows - 1u)], live);
  var s = vec2f(0.0);
  ${r.forCols} {
    let gy = g[base + c] * gamma[c];
    s += vec2f(gy, gy * (x[base + c] - st.x) * st.y);
  }
  let m = reduce_sum(s, lid) / f32(u.cols);
  ${r.forCols} {
    let xhat = (x[base + c] - st.x) * st.y;
    dx[base + c] = st.y * (g[base + c] * gamma[c]${layer ? ' - m.x' : ''} - xhat * m.y);
  }
}`,
  );
}

const ROWS_PER_CHUNK = 32;

/** Partial column sums of g·x̂ (and g for beta) over chunks of rows: [chunks, cols] each. */
function paramGradKernel(engine: Engine, kind: NormKind) {
  const layer = kind === 'layer';
  return engine.kernel(
    `norm:${kind}:dparams`,
    /* wgsl */ `
${HEAD}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;
${layer ? '@group(0) @binding(4) var<storage, read_write> dbeta: array<f32>;' : ''}
@group(0) @binding(${layer ? 5 : 4}) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let chunk = gid.y;
  if (c >= u.cols) { return; }
  var sg = 0.0;
  var sb = 0.0;
  let end = min(u.rows, (chunk + 1u) * ${ROWS_PER_CHUNK}u);
  for (var r = chunk * ${ROWS_PER_CHUNK}u; r < end; r++) {
    let st = stats[r];
    let gv = g[r * u.cols + c];
    sg += gv * (x[r * u.cols + c] - st.x) * st.y;
    sb += gv;
  }
  dgamma[chunk * u.cols + c] = sg;
  ${layer ? 'dbeta[chunk * u.cols + c] = sb;' : ''}
}`,
  );
}

function normalize(kind: NormKind, x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor {
  const op = kind === 'layer' ? 'layerNorm' : 'rmsNorm';
  const cols = checkShapes(op, x, gamma, beta);
  const engine = x.engine;
  const rows = x.size / cols;
  const y = engine.empty(x.shape);
  const stats = engine.empty([rows, 2]);
  const u = uniforms(rows, cols, eps);
  engine.dispatch(forwardKernel(engine, kind), beta ? [x, gamma, beta, y, stats] : [x, gamma, y, stats], rowLayout(engine).grid(rows), u);
  const inputs = beta ? [x, gamma, beta] : [x, gamma];
  if (!engine.autograd.needsGrad(inputs)) {
    stats.release();
    return y;
  }
  engine.autograd.record(inputs, [y], ([g]) => {
    const grads: (Tensor | null)[] = [null, null, null].slice(0, inputs.length);
    if (x.requiresGrad) {
      const dx = engine.empty(x.shape);
      engine.dispatch(inputGradKernel(engine, kind), [g!, x, gamma, stats, dx], rowLayout(engine).grid(rows), u);
      grads[0] = dx;
    }
    if (gamma.requiresGrad || beta?.requiresGrad) {
      const chunks = Math.ceil(rows / ROWS_PER_CHUNK);
      const partialGamma = engine.empty([chunks, cols]);
      const partialBeta = beta ? engine.empty([chunks, cols]) : null;
      const outs = partialBeta ? [partialGamma, partialBeta] : [partialGamma];
      engine.dispatch(paramGradKernel(engine, kind), [g!, x, stats, ...outs], [Math.ceil(cols / 64), chunks], u);
      grads[1] = sumRows(partialGamma, cols);
      if (partialBeta) grads[2] = sumRows(partialBeta, cols);
      for (const p of outs) p.release();
    }
    stats.release();
    return grads;
  });
  return y;
}

/** (x − mean)/√(var + eps)·gamma + beta over the last dimension (biased variance, as PyTorch). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  return normalize('layer', x, gamma, beta, eps);
}

/** x/√(mean(x²) + eps)·gamma over the last dimension (Llama/Qwen RMSNorm). */
export function rmsNorm(x: Tensor, gamma: Tensor, eps = 1e-6): Tensor {
  return normalize('rms', x, gamma, null, eps);
}
