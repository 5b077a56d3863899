// CPU reference for ops/activation.ts (float64): each op and its backward, by the op's name.

const GELU_C = Math.sqrt(2 / Math.PI);

function geluAt(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)));
}

function geluGradAt(x: number): number {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

function siluAt(x: number): number {
  return x / (1 + Math.exp(-x));
}

function siluGradAt(x: number): number {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
}

export function gelu(x: Float64Array): Float64Array {
  return x.map(geluAt);
}

export function geluBackward(x: Float64Array, g: Float64Array): Float64Array {
  return x.map((v, i) => g[i]! * geluGradAt(v));
}

export function silu(x: Float64Array): Float64Array {
  return x.map(siluAt);
}

export function siluBackward(x: Float64Array, g: Float64Array): Float64Array {
  return x.map((v, i) => g[i]! * siluGradAt(v));
}

/** act(gate)·up and its gradients for gate and up. */
function gated(f: (x: number) => number, gate: Float64Array, up: Float64Array): Float64Array {
  return gate.map((v, i) => f(v) * up[i]!);
}

function gatedBackward(f: (x: number) => number, d: (x: number) => number, gate: Float64Array, up: Float64Array, g: Float64Array): [Float64Array, Float64Array] {
  return [gate.map((v, i) => g[i]! * up[i]! * d(v)), gate.map((v, i) => g[i]! * f(v))];
}

/** silu(gate)·up. */
export function swiglu(gate: Float64Array, up: Float64Array): Float64Array {
  return gated(siluAt, gate, up);
}

export function swigluBackward(gate: Float64Array, up: Float64Array, g: Float64Array): [Float64Array, Float64Array] {
  return gatedBackward(siluAt, siluGradAt, gate, up, g);
}

/** gelu(gate)·up. */
export function geglu(gate: Float64Array, up: Float64Array): Float64Array {
  return gated(geluAt, gate, up);
}

export function gegluBackward(gate: Float64Array, up: Float64Array, g: Float64Array): [Float64Array, Float64Array] {
  return gatedBackward(geluAt, geluGradAt, gate, up, g);
}
