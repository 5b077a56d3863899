// CPU reference for ops/norm.ts (float64), over the last dimension of size `cols` = gamma.length.
import type { NormKind } from '../ops/norm.ts';

function rowStats(kind: NormKind, x: Float64Array, base: number, cols: number, eps: number): [number, number] {
  let mean = 0;
  if (kind === 'layer') {
    for (let c = 0; c < cols; c++) mean += x[base + c]!;
    mean /= cols;
  }
  let q = 0;
  for (let c = 0; c < cols; c++) q += (x[base + c]! - mean) ** 2;
  return [mean, 1 / Math.sqrt(q / cols + eps)];
}

function normalize(kind: NormKind, x: Float64Array, gamma: Float64Array, beta: Float64Array | null, eps: number): Float64Array {
  const cols = gamma.length;
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += cols) {
    const [mean, rstd] = rowStats(kind, x, base, cols, eps);
    for (let c = 0; c < cols; c++) y[base + c] = (x[base + c]! - mean) * rstd * gamma[c]! + (beta ? beta[c]! : 0);
  }
  return y;
}

/** Gradients of sum(y·g) for x, gamma and (layer) beta. */
function normalizeBackward(kind: NormKind, x: Float64Array, gamma: Float64Array, g: Float64Array, eps: number): [Float64Array, Float64Array, Float64Array | null] {
  const cols = gamma.length;
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(cols);
  const dbeta = kind === 'layer' ? new Float64Array(cols) : null;
  for (let base = 0; base < x.length; base += cols) {
    const [mean, rstd] = rowStats(kind, x, base, cols, eps);
    const xhat = (c: number) => (x[base + c]! - mean) * rstd;
    let meanGy = 0;
    let meanGyXhat = 0;
    for (let c = 0; c < cols; c++) {
      const gy = g[base + c]! * gamma[c]!;
      meanGy += gy / cols;
      meanGyXhat += (gy * xhat(c)) / cols;
      dgamma[c] += g[base + c]! * xhat(c);
      if (dbeta) dbeta[c] += g[base + c]!;
    }
    for (let c = 0; c < cols; c++) {
      const gy = g[base + c]! * gamma[c]!;
      dx[base + c] = rstd * (gy - (kind === 'layer' ? meanGy : 0) - xhat(c) * meanGyXhat);
    }
  }
  return [dx, dgamma, dbeta];
}

export function layerNorm(x: Float64Array, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  return normalize('layer', x, gamma, beta, eps);
}

/** Gradients of x, gamma and beta. */
export function layerNormBackward(x: Float64Array, gamma: Float64Array, g: Float64Array, eps: number): [Float64Array, Float64Array, Float64Array] {
  const [dx, dgamma, dbeta] = normalizeBackward('layer', x, gamma, g, eps);
  return [dx, dgamma, dbeta!];
}

export function rmsNorm(x: Float64Array, gamma: Float64Array, eps: number): Float64Array {
  return normalize('rms', x, gamma, null, eps);
}

/** Gradients of x and gamma. */
export function rmsNormBackward(x: Float64Array, gamma: Float64Array, g: Float64Array, eps: number): [Float64Array, Float64Array] {
  const [dx, dgamma] = normalizeBackward('rms', x, gamma, g, eps);
  return [dx, dgamma];
}
