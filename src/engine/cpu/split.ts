// CPU reference for ops/split.ts (float64): the parts of the last dimension, and back.

/** Splits x [rows, Σ sizes] into parts [rows, sizes[i]]. */
export function splitLastDim(x: Float64Array, sizes: readonly number[]): Float64Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const rows = x.length / total;
  let from = 0;
  return sizes.map((width) => {
    const part = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) part[r * width + c] = x[r * total + from + c]!;
    from += width;
    return part;
  });
}

/** The gradient of x: the parts' gradients side by side, zeros for a part that got none. */
export function splitLastDimBackward(grads: readonly (Float64Array | null)[], sizes: readonly number[], rows: number): Float64Array {
  const total = sizes.reduce((a, b) => a + b, 0);
  const gx = new Float64Array(rows * total);
  let from = 0;
  grads.forEach((g, i) => {
    const width = sizes[i]!;
    if (g) for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) gx[r * total + from + c] = g[r * width + c]!;
    from += width;
  });
  return gx;
}
