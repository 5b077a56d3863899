// CPU reference for ops/rope.ts (float64).

export interface RopeDims {
  B: number;
  T: number;
  nH: number;
  D: number;
}

export interface RopeRefOptions {
  theta: number;
  offset?: number;
  positions?: ArrayLike<number>;
}

/** Rotates x [B, T, nH, D]; token t of row b sits at positions[b·T + t] when given, else at offset + t. */
export function rope(x: Float64Array, dims: RopeDims, opts: RopeRefOptions): Float64Array {
  return rotate(x, dims, opts, 1);
}

/** The gradient of x: the inverse rotation of g. */
export function ropeBackward(g: Float64Array, dims: RopeDims, opts: RopeRefOptions): Float64Array {
  return rotate(g, dims, opts, -1);
}

function rotate(x: Float64Array, dims: RopeDims, opts: RopeRefOptions, sign: 1 | -1): Float64Array {
  const { B, T, nH, D } = dims;
  const half = D / 2;
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const pos = opts.positions ? opts.positions[b * T + t]! : (opts.offset ?? 0) + t;
      for (let h = 0; h < nH; h++)
        for (let f = 0; f < half; f++) {
          const angle = pos * Math.pow(opts.theta, (-2 * f) / D);
          const c = Math.cos(angle);
          const s = sign * Math.sin(angle);
          const base = ((b * T + t) * nH + h) * D + f;
          const x1 = x[base]!;
          const x2 = x[base + half]!;
          out[base] = x1 * c - x2 * s;
          out[base + half] = x2 * c + x1 * s;
        }
    }
  return out;
}
