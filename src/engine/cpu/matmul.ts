// CPU reference for ops/matmul.ts (float64): plain loops over logical indices, independent of the
// GPU kernel's tiling and of the transpose tricks its backward uses.

export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** a has one matrix per batch entry (else one shared matrix); default true. */
  batchedA?: boolean;
  /** b has one matrix per batch entry (else one shared matrix); default true. */
  batchedB?: boolean;
}

function indexers(d: MatmulDims) {
  const { M, N, K } = d;
  const aOff = (z: number) => (d.batchedA ?? true ? z * M * K : 0);
  const bOff = (z: number) => (d.batchedB ?? true ? z * K * N : 0);
  // Flat positions of logical A[z][m][k] and B[z][k][n] in the stored arrays.
  const ai = (z: number, m: number, k: number) => aOff(z) + (d.transA ? k * M + m : m * K + k);
  const bi = (z: number, k: number, n: number) => bOff(z) + (d.transB ? n * K + k : k * N + n);
  return { ai, bi };
}

/** C[z] = op(A[z])·op(B[z]), shape [batch, M, N]. */
export function matmul(a: Float64Array, b: Float64Array, d: MatmulDims): Float64Array {
  const { batch, M, N, K } = d;
  const { ai, bi } = indexers(d);
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ai(z, m, k)]! * b[bi(z, k, n)]!;
        out[(z * M + m) * N + n] = s;
      }
  return out;
}

/** Gradients of sum(C · g) with respect to the stored a and b (shared operands sum over the batch). */
export function matmulBackward(a: Float64Array, b: Float64Array, g: Float64Array, d: MatmulDims): [Float64Array, Float64Array] {
  const { batch, M, N, K } = d;
  const { ai, bi } = indexers(d);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let z = 0; z < batch; z++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const gv = g[(z * M + m) * N + n]!;
        for (let k = 0; k < K; k++) {
          da[ai(z, m, k)] += gv * b[bi(z, k, n)]!;
          db[bi(z, k, n)] += gv * a[ai(z, m, k)]!;
        }
      }
  return [da, db];
}

/** x [rows, in] · weightᵀ (weight [out, in]) + bias. */
export function linear(x: Float64Array, weight: Float64Array, bias: Float64Array | null, out: number): Float64Array {
  const inF = weight.length / out;
  const y = matmul(x, weight, { batch: 1, M: x.length / inF, N: out, K: inF, transB: true });
  if (bias) for (let i = 0; i < y.length; i++) y[i] += bias[i % out]!;
  return y;
}

/** Gradients of x, weight and (when there is one) bias: the bias gets the column sums of g. */
export function linearBackward(x: Float64Array, weight: Float64Array, g: Float64Array, out: number, withBias: boolean): [Float64Array, Float64Array, Float64Array | null] {
  const inF = weight.length / out;
  const [dx, dw] = matmulBackward(x, weight, g, { batch: 1, M: x.length / inF, N: out, K: inF, transB: true });
  let db: Float64Array | null = null;
  if (withBias) {
    db = new Float64Array(out);
    for (let i = 0; i < g.length; i++) db[i % out] += g[i]!;
  }
  return [dx, dw, db];
}
