// CPU reference for ops/dropout.ts (float64), and the definition of the dropout mask: element i is
// kept when hash(seed, i) ≥ p·2³², a counter-based hash, so the mask needs no stored state and the
// GPU kernel (which mirrors these lines in WGSL) draws exactly the same one.

/** Chris Wellons' lowbias32 integer hash. */
export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The 32-bit draw for element `index` under `seed`. */
export function dropoutDraw(seed: number, index: number): number {
  const k = lowbias32(seed >>> 0);
  return lowbias32(((lowbias32((index ^ k) >>> 0) + k) >>> 0));
}

/** Draws below this are dropped; p = 1 drops everything through a zero scale. */
export function dropoutThreshold(p: number): number {
  return Math.min(0xffffffff, Math.floor(p * 2 ** 32));
}

/** Per element: 0 when dropped, 1 / (1 − p) when kept (0 everywhere when p = 1). */
export function dropoutMask(n: number, p: number, seed: number): Float64Array {
  const threshold = dropoutThreshold(p);
  const scale = p < 1 ? 1 / (1 - p) : 0;
  const mask = new Float64Array(n);
  for (let i = 0; i < n; i++) mask[i] = dropoutDraw(seed, i) >= threshold ? scale : 0;
  return mask;
}

/** Forward and backward are the same product with the mask. */
export function dropout(x: Float64Array, p: number, seed: number): Float64Array {
  const mask = dropoutMask(x.length, p, seed);
  return x.map((v, i) => v * mask[i]!);
}
