// CPU reference for ops/elementwise.ts (float64).

export function addBias(x: Float64Array, bias: Float64Array): Float64Array {
  const n = bias.length;
  return x.map((v, i) => v + bias[i % n]!);
}

export function sumRows(g: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < g.length; i++) out[i % cols] += g[i]!;
  return out;
}
