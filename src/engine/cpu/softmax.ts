// CPU reference for ops/softmax.ts (float64), over the last dimension of size `cols`.

export function softmax(x: Float64Array, cols: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += cols) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[base + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[base + c]! - m);
    for (let c = 0; c < cols; c++) y[base + c] = Math.exp(x[base + c]! - m) / s;
  }
  return y;
}

export function softmaxBackward(x: Float64Array, g: Float64Array, cols: number): Float64Array {
  const y = softmax(x, cols);
  const dx = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += cols) {
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += g[base + c]! * y[base + c]!;
    for (let c = 0; c < cols; c++) dx[base + c] = y[base + c]! * (g[base + c]! - dot);
  }
  return dx;
}
