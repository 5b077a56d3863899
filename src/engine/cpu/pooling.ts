// CPU reference for ops/pooling.ts (float64).
import type { PoolKind } from '../ops/pooling.ts';

/** For each row, the weight every position's vector gets in the pooled output. */
function weights(mask: Float64Array, B: number, T: number, kind: PoolKind): Float64Array {
  const w = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = mask.subarray(b * T, (b + 1) * T);
    if (kind === 'cls') w[b * T] = 1;
    else if (kind === 'mean') {
      const count = row.reduce((a, m) => a + m, 0);
      if (count > 0) for (let t = 0; t < T; t++) w[b * T + t] = row[t]! / count;
    } else {
      let last = -1;
      for (let t = 0; t < T; t++) if (row[t] !== 0) last = t;
      if (last >= 0) w[b * T + last] = 1;
    }
  }
  return w;
}

export function pool(x: Float64Array, mask: Float64Array, B: number, T: number, H: number, kind: PoolKind): Float64Array {
  const w = weights(mask, B, T, kind);
  const out = new Float64Array(B * H);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) out[b * H + h] += w[b * T + t]! * x[(b * T + t) * H + h]!;
  return out;
}

export function poolBackward(gOut: Float64Array, mask: Float64Array, B: number, T: number, H: number, kind: PoolKind): Float64Array {
  const w = weights(mask, B, T, kind);
  const gx = new Float64Array(B * T * H);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) gx[(b * T + t) * H + h] = w[b * T + t]! * gOut[b * H + h]!;
  return gx;
}
