// CPU reference for ops/elementwise.ts (float64): each op and its backward, by the op's name.
// A backward returns the gradient of sum(out · g) for each input.

export function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]!);
}

export function addBackward(g: Float64Array): [Float64Array, Float64Array] {
  return [g.slice(), g.slice()];
}

export function sub(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v - b[i]!);
}

export function subBackward(g: Float64Array): [Float64Array, Float64Array] {
  return [g.slice(), g.map((v) => -v)];
}

export function mul(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v * b[i]!);
}

export function mulBackward(a: Float64Array, b: Float64Array, g: Float64Array): [Float64Array, Float64Array] {
  return [g.map((v, i) => v * b[i]!), g.map((v, i) => v * a[i]!)];
}

export function scale(a: Float64Array, s: number): Float64Array {
  return a.map((v) => v * s);
}

export function scaleBackward(g: Float64Array, s: number): Float64Array {
  return g.map((v) => v * s);
}

/** x[..., n] + bias[n]. */
export function addBias(x: Float64Array, bias: Float64Array): Float64Array {
  const n = bias.length;
  return x.map((v, i) => v + bias[i % n]!);
}

export function addBiasBackward(g: Float64Array, n: number): [Float64Array, Float64Array] {
  return [g.slice(), sumRows(g, n)];
}

/** Column sums of a [rows, cols] matrix → [cols]. */
export function sumRows(g: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < g.length; i++) out[i % cols] += g[i]!;
  return out;
}

/** The same values under another shape (row-major data does not move). */
export function reshapeCopy(x: Float64Array): Float64Array {
  return x.slice();
}

export function reshapeCopyBackward(g: Float64Array): Float64Array {
  return g.slice();
}
