// CPU reference for ops/attention.ts (float64): explicit scores, masked softmax, weighted sum.

export interface AttentionDims {
  B: number;
  T: number;
  S: number;
  nH: number;
  nKV: number;
  D: number;
}

export interface AttentionRefOptions {
  causal: boolean;
  keyMask?: ArrayLike<number>;
  scale?: number;
  queryOffset?: number;
}

interface Row {
  /** Offsets of q/out row and of every visible key row, with their probabilities. */
  qBase: number;
  keys: number[];
  probs: number[];
}

/** The probabilities of every (b, h, i) row over its visible keys. */
function rows(q: Float64Array, k: Float64Array, dims: AttentionDims, opts: AttentionRefOptions): Row[] {
  const { B, T, S, nH, nKV, D } = dims;
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const offset = opts.queryOffset ?? 0;
  const out: Row[] = [];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nH; h++) {
      const kh = Math.floor(h / (nH / nKV));
      for (let i = 0; i < T; i++) {
        const qBase = ((b * T + i) * nH + h) * D;
        const keys: number[] = [];
        const scores: number[] = [];
        for (let j = 0; j < S; j++) {
          if (opts.keyMask && opts.keyMask[b * S + j] === 0) continue;
          if (opts.causal && j > offset + i) continue;
          const kBase = ((b * S + j) * nKV + kh) * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qBase + d]! * k[kBase + d]!;
          keys.push(kBase);
          scores.push(s * scale);
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, x) => a + x, 0);
        out.push({ qBase, keys, probs: e.map((x) => x / z) });
      }
    }
  return out;
}

export function attention(q: Float64Array, k: Float64Array, v: Float64Array, dims: AttentionDims, opts: AttentionRefOptions): Float64Array {
  const out = new Float64Array(q.length);
  for (const { qBase, keys, probs } of rows(q, k, dims, opts)) {
    keys.forEach((kBase, n) => {
      for (let d = 0; d < dims.D; d++) out[qBase + d] += probs[n]! * v[kBase + d]!;
    });
  }
  return out;
}

/** Gradients of q, k and v given the output gradient. */
export function attentionBackward(q: Float64Array, k: Float64Array, v: Float64Array, gOut: Float64Array, dims: AttentionDims, opts: AttentionRefOptions): [Float64Array, Float64Array, Float64Array] {
  const { D } = dims;
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const gq = new Float64Array(q.length);
  const gk = new Float64Array(k.length);
  const gv = new Float64Array(v.length);
  for (const { qBase, keys, probs } of rows(q, k, dims, opts)) {
    // dL/dp_j = gOut·v_j; through softmax: ds_j = p_j (dp_j − Σ p dp).
    const dp = keys.map((kBase) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += gOut[qBase + d]! * v[kBase + d]!;
      return s;
    });
    const mean = probs.reduce((a, p, n) => a + p * dp[n]!, 0);
    keys.forEach((kBase, n) => {
      const p = probs[n]!;
      const ds = p * (dp[n]! - mean) * scale;
      for (let d = 0; d < D; d++) {
        gq[qBase + d] += ds * k[kBase + d]!;
        gk[kBase + d] += ds * q[qBase + d]!;
        gv[kBase + d] += p * gOut[qBase + d]!;
      }
    });
  }
  return [gq, gk, gv];
}
