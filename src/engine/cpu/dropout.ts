// CPU reference for ops/dropout.ts (float64): the mask drawn in TypeScript from the definition in
// random.ts (element i is kept when counterHash(seed, i) ≥ p·2³²).
import { counterHash, probabilityThreshold } from '../random.ts';

/** Per element: 0 when dropped, 1 / (1 − p) when kept (0 everywhere when p = 1). */
export function dropoutMask(n: number, p: number, seed: number): Float64Array {
  const threshold = probabilityThreshold(p);
  const scale = p < 1 ? 1 / (1 - p) : 0;
  const mask = new Float64Array(n);
  for (let i = 0; i < n; i++) mask[i] = counterHash(seed, i) >= threshold ? scale : 0;
  return mask;
}

/** Forward and backward are the same product with the mask. */
export function dropout(x: Float64Array, p: number, seed: number): Float64Array {
  const mask = dropoutMask(x.length, p, seed);
  return x.map((v, i) => v * mask[i]!);
}
