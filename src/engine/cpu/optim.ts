// CPU reference (float64) for optim.ts: one AdamW update as PyTorch's torch.optim.AdamW does it
// (decoupled weight decay, bias correction) and global-norm gradient clipping as
// torch.nn.utils.clip_grad_norm_ (coefficient maxNorm / (norm + 1e-6), capped at 1).
import { CLIP_EPS, type AdamWOptions } from '../optim.ts';

/** Updates param, m and v in place for update number `t` (1-based). */
export function adamwStep(param: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, h: AdamWOptions): void {
  const [b1, b2] = h.betas;
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    param[i]! *= 1 - h.lr * h.weightDecay;
    m[i] = b1 * m[i]! + (1 - b1) * g;
    v[i] = b2 * v[i]! + (1 - b2) * g * g;
    param[i]! -= (h.lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + h.eps);
  }
}

/** The global L2 norm of all gradients and the gradients scaled so that it is at most maxNorm. */
export function clipGradNorm(grads: ArrayLike<number>[], maxNorm: number): { norm: number; clipped: Float64Array[] } {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  const coef = Math.min(1, maxNorm / (norm + CLIP_EPS));
  return { norm, clipped: grads.map((g) => Float64Array.from(g, (x) => x * coef)) };
}
