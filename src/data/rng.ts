// The data's seeded randomness: an Rng over mulberry32, seeded through splitmix32, so the demo data
// is the same bytes on every machine and JavaScript engine. The PRNG and the seed mixers are defined
// once for the project in src/engine/random.ts; the ones data code uses are re-exported here.
import { deriveSeed, mulberry32, splitmix32 } from '../engine/random.ts';

export { deriveSeed, mulberry32 };

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `k` distinct items in random order (all of them when k ≥ length). */
  sample<T>(items: readonly T[], k: number): T[];
  shuffle<T>(items: readonly T[]): T[];
}

export function createRng(seed: number): Rng {
  const next = mulberry32(splitmix32(seed >>> 0));
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
    sample: (items, k) => shuffle(items).slice(0, Math.max(0, k)),
    shuffle,
  };
}
