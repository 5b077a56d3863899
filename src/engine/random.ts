// Seeded randomness for the whole project, in one place: a PRNG and the integer mixers that turn
// a seed and an index or a name into a stream. Deterministic on every machine and JavaScript
// engine; Math.random is never used. Each mixer keeps its own job (and its own outputs, which
// models, datasets and masks already depend on):
//   splitmix32 / deriveSeed  seeds → unrelated states, one stream per (seed, index) (data)
//   nameSeed                 one stream per (seed, parameter name) (weight initialisation)
//   counterHash              a stateless draw per (seed, index), mirrored in WGSL (dropout masks)

/** mulberry32: a small, fast 32-bit PRNG, uniform in [0, 1); good enough for data, init and tests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal values (Box–Muller over mulberry32) scaled by std. */
export function randn(n: number, seed: number, std = 1): Float64Array {
  const r = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** splitmix32's finaliser: spreads nearby seeds (1, 2, 3…) into unrelated states. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** One seed per (seed, index): example i is the same whatever the number of examples is. */
export function deriveSeed(seed: number, index: number): number {
  return splitmix32(splitmix32(seed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d));
}

/** One seed per (seed, name): FNV-1a of the name, started from the seed. */
export function nameSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Chris Wellons' lowbias32 integer hash (cheap in WGSL's u32 arithmetic). */
export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A stateless 32-bit draw for element `index` under `seed` (ops/dropout.ts computes it in WGSL). */
export function counterHash(seed: number, index: number): number {
  const k = lowbias32(seed >>> 0);
  return lowbias32((lowbias32((index ^ k) >>> 0) + k) >>> 0);
}

/** Draws (uniform over 32 bits) below this value have probability p; p = 1 gives the largest u32. */
export function probabilityThreshold(p: number): number {
  return Math.min(0xffffffff, Math.floor(p * 2 ** 32));
}
