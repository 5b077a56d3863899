// CPU reference for ops/activation.ts (float64).

const GELU_C = Math.sqrt(2 / Math.PI);

export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)));
}

export function geluGrad(x: number): number {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function siluGrad(x: number): number {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
}

const FNS = { gelu: [gelu, geluGrad], silu: [silu, siluGrad] } as const;
export type Activation = keyof typeof FNS;

export function activation(kind: Activation, x: Float64Array): Float64Array {
  return x.map(FNS[kind][0]);
}

export function activationBackward(kind: Activation, x: Float64Array, g: Float64Array): Float64Array {
  const d = FNS[kind][1];
  return x.map((v, i) => g[i]! * d(v));
}

/** act(gate)·up: swiglu is silu, geglu is gelu. */
export function gated(kind: Activation, gate: Float64Array, up: Float64Array): Float64Array {
  const f = FNS[kind][0];
  return gate.map((v, i) => f(v) * up[i]!);
}

export function gatedBackward(kind: Activation, gate: Float64Array, up: Float64Array, g: Float64Array): [Float64Array, Float64Array] {
  const [f, d] = FNS[kind];
  return [gate.map((v, i) => g[i]! * up[i]! * d(v)), gate.map((v, i) => g[i]! * f(v))];
}
