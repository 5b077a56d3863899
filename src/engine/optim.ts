// Optimizer and gradient clipping, entirely on the GPU (no readback): fused AdamW over f32 master
// weights and f32 state, and global-norm clipping (per-tensor partial sums of squares → total →
// coefficient, applied in place or fused into the AdamW update). Each kernel runs over every
// parameter through engine.dispatchEach: one dispatch per tensor on WebGPU, one call on WASM.
// CPU references in cpu/optim.ts.
import type { Engine } from './runtime.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from './wgsl.ts';
import type { Tensor } from './tensor.ts';
import { EngineError } from './errors.ts';

/** AdamW's hyperparameters, as torch.optim.AdamW names them. */
export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** Added to the global norm before dividing, as torch.nn.utils.clip_grad_norm_ does. */
export const CLIP_EPS = 1e-6;

/** Optimizer state for checkpoints: the update count and the moments, one pair per parameter. */
export interface AdamWState {
  step: number;
  m: Tensor[];
  v: Tensor[];
}

/** AdamW; `scaled`: the gradient times coef[0] first (the clip coefficient, binding 4). */
const adamwWgsl = (scaled: boolean) => /* wgsl */ `
struct U { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, decay: f32, stepSize: f32, bc2Sqrt: f32 }
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
${scaled ? '@group(0) @binding(4) var<storage, read> coef: array<f32>;' : ''}
@group(0) @binding(${scaled ? 5 : 4}) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  let gi = g[i]${scaled ? ' * coef[0]' : ''};
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  // Decoupled weight decay first, then the bias-corrected Adam step (PyTorch's order).
  p[i] = p[i] * u.decay - u.stepSize * mi / (sqrt(vi) / u.bc2Sqrt + u.eps);
}`;

export class AdamW {
  readonly params: Tensor[];
  /** Updates made so far (bias correction uses step + 1 for the next one). */
  stepCount = 0;
  private m: Tensor[];
  private v: Tensor[];

  constructor(params: Tensor[], readonly opts: AdamWOptions) {
    checkHyper(opts);
    if (params.length === 0) throw new EngineError('AdamW: no parameters to optimize');
    for (const p of params) if (p.dtype !== 'f32') throw new EngineError(`AdamW: ${p} is not f32`);
    this.params = params;
    const engine = params[0]!.engine;
    this.m = params.map((p) => engine.zeros(p.shape, { isParam: true, name: `${p.name ?? 'param'}.adam_m` }));
    this.v = params.map((p) => engine.zeros(p.shape, { isParam: true, name: `${p.name ?? 'param'}.adam_v` }));
  }

  /**
   * One update of every parameter that has a gradient; `lr` overrides opts.lr (schedules).
   * `gradScale`, a 1-element tensor (gradNormScale's coef), multiplies every gradient inside the
   * update: clipping without a pass that rewrites the gradients.
   */
  step(lr = this.opts.lr, gradScale?: Tensor): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new EngineError(`AdamW: learning rate must be a number ≥ 0 (got ${lr})`);
    if (gradScale && gradScale.size !== 1) throw new EngineError(`AdamW: gradScale must hold one value (got ${gradScale})`);
    const t = ++this.stepCount;
    const [b1, b2] = this.opts.betas;
    const hyper = [lr, b1, b2, this.opts.eps, 1 - lr * this.opts.weightDecay, lr / (1 - b1 ** t), Math.sqrt(1 - b2 ** t)];
    const engine = this.params[0]!.engine;
    const kernel = gradScale ? engine.kernel('adamw:scaled', adamwWgsl(true)) : engine.kernel('adamw', adamwWgsl(false));
    const uniforms = (n: number) => packUniforms([n], hyper);
    const items = this.params.flatMap((p, i) =>
      p.grad ? [{ bindings: [p, p.grad, this.m[i]!, this.v[i]!, ...(gradScale ? [gradScale] : [])], workgroups: grid1d(p.size), uniforms: uniforms(p.size) }] : [],
    );
    engine.dispatchEach(kernel, items);
  }

  /** Drops the accumulated gradients (the next backward starts fresh). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.release();
      p.grad = null;
    }
  }

  /** The state tensors (owned by the optimizer) for a checkpoint. */
  getState(): AdamWState {
    return { step: this.stepCount, m: [...this.m], v: [...this.v] };
  }

  /** Restores state saved from an optimizer over parameters of the same shapes. */
  setState(state: { step: number; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new EngineError(`AdamW: invalid step ${state.step} in saved state`);
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new EngineError(`AdamW: saved state holds ${state.m.length} moment tensors, this optimizer has ${this.params.length} parameters`);
    }
    const engine = this.params[0]!.engine;
    this.params.forEach((p, i) => {
      for (const [name, data] of [['m', state.m[i]!], ['v', state.v[i]!]] as const) {
        if (data.length !== p.size) throw new EngineError(`AdamW: saved ${name} for ${p} has ${data.length} values, expected ${p.size}`);
      }
    });
    this.release();
    this.m = this.params.map((p, i) => engine.upload(Float32Array.from(state.m[i]!), p.shape, 'f32', { isParam: true }));
    this.v = this.params.map((p, i) => engine.upload(Float32Array.from(state.v[i]!), p.shape, 'f32', { isParam: true }));
    this.stepCount = state.step;
  }

  /** Frees the optimizer state. */
  release(): void {
    for (const t of [...this.m, ...this.v]) t.release();
  }
}

function checkHyper(o: AdamWOptions): void {
  const [b1, b2] = o.betas;
  if (!(o.lr >= 0)) throw new EngineError(`AdamW: lr must be ≥ 0 (got ${o.lr})`);
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new EngineError(`AdamW: betas must be in [0, 1) (got ${o.betas.join(', ')})`);
  if (!(o.eps > 0)) throw new EngineError(`AdamW: eps must be > 0 (got ${o.eps})`);
  if (!(o.weightDecay >= 0)) throw new EngineError(`AdamW: weightDecay must be ≥ 0 (got ${o.weightDecay})`);
}

// ---- global-norm clipping ------------------------------------------------------------------

const MAX_PARTIALS_PER_TENSOR = 32;

// partials[offset + workgroup] = Σ x² over that workgroup's strided share of the tensor.
const SUM_SQUARES_WGSL = /* wgsl */ `
struct U { n: u32, offset: u32, groups: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * 256u + lid; i < u.n; i += u.groups * 256u) { let a = x[i]; acc += a * a; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[u.offset + wid.x] = red[0]; }
}`;

// norm = sqrt(Σ partials); coef = min(1, maxNorm / (norm + eps)).
const CLIP_TOTAL_WGSL = /* wgsl */ `
struct U { count: u32, maxNorm: f32 }
@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> norm: array<f32>;
@group(0) @binding(2) var<storage, read_write> coef: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < u.count; i += 256u) { acc += partials[i]; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let total = sqrt(red[0]);
    norm[0] = total;
    coef[0] = min(1.0, u.maxNorm / (total + ${CLIP_EPS}));
  }
}`;

const SCALE_WGSL = /* wgsl */ `
struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i < u.n) { x[i] = x[i] * coef[0]; }
}`;

/** The gradients of `params` that exist; a clear error when none does. */
function gradientsOf(params: readonly Tensor[], op: string): Tensor[] {
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null && g.size > 0);
  if (grads.length === 0) throw new EngineError(`${op}: no parameter has a gradient (call backward first)`);
  return grads;
}

/**
 * The global L2 norm of the gradients of `params` (one pass over them) and the clipping
 * coefficient min(1, maxNorm / (norm + eps)), both as 1-element tensors on the GPU: `coef` goes
 * to `AdamW.step(lr, coef)`, which clips inside its update. Parameters without a gradient are skipped.
 */
export function gradNormScale(params: readonly Tensor[], maxNorm: number): { norm: Tensor; coef: Tensor } {
  return normAndCoef(params, maxNorm, 'gradNormScale');
}

/** gradNormScale, its errors naming `op`. */
function normAndCoef(params: readonly Tensor[], maxNorm: number, op: string): { norm: Tensor; coef: Tensor } {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new EngineError(`${op}: maxNorm must be a positive number (got ${maxNorm})`);
  const grads = gradientsOf(params, op);
  const engine: Engine = grads[0]!.engine;
  const groups = grads.map((g) => Math.min(MAX_PARTIALS_PER_TENSOR, Math.ceil(g.size / 256)));
  const count = groups.reduce((a, b) => a + b, 0);
  const partials = engine.empty([count]);
  let offset = 0;
  const items = grads.map((g, i) => {
    const item = { bindings: [g, partials], workgroups: [groups[i]!], uniforms: new Uint32Array([g.size, offset, groups[i]!, 0]) };
    offset += groups[i]!;
    return item;
  });
  engine.dispatchEach(engine.kernel('clip:sumSquares', SUM_SQUARES_WGSL), items);
  const norm = engine.empty([1]);
  const coef = engine.empty([1]);
  engine.dispatch(engine.kernel('clip:total', CLIP_TOTAL_WGSL), [partials, norm, coef], [1], packUniforms([count], [maxNorm]));
  partials.release();
  return { norm, coef };
}

/**
 * Scales the gradients of `params` in place so that their global L2 norm is at most maxNorm
 * (torch.nn.utils.clip_grad_norm_). Everything stays on the GPU; returns the norm before
 * clipping as a 1-element tensor for occasional logging. Parameters without a gradient are skipped.
 * (Training clips inside AdamW instead: gradNormScale, then `AdamW.step(lr, coef)`.)
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  const { norm, coef } = normAndCoef(params, maxNorm, 'clipGradNorm');
  const grads = gradientsOf(params, 'clipGradNorm');
  const engine: Engine = grads[0]!.engine;
  const items = grads.map((g) => ({ bindings: [g, coef], workgroups: grid1d(g.size), uniforms: new Uint32Array([g.size, 0, 0, 0]) }));
  engine.dispatchEach(engine.kernel('clip:scale', SCALE_WGSL), items);
  coef.release();
  return norm;
}
