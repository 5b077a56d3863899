// Central finite differences in float64: the check that a CPU reference backward is right.

/** Gradient of f at x (all inputs), with step h. */
export function finiteDiff(f: (inputs: Float64Array[]) => number, inputs: Float64Array[], h = 1e-6): Float64Array[] {
  return inputs.map((x, k) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const orig = x[i]!;
      x[i] = orig + h;
      const up = f(inputs);
      x[i] = orig - h;
      const down = f(inputs);
      x[i] = orig;
      g[i] = (up - down) / (2 * h);
    }
    void k;
    return g;
  });
}

/** sum(out · w): turns a vector-valued forward into the scalar whose gradient backward computes. */
export function dot(out: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * w[i]!;
  return s;
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return maxAbs / Math.max(scale, 1e-30);
}
