// CPU reference (float64) for ops/kd-loss.ts: every divergence of kd-spec.ts for dense and
// sparse (top-k + tail) teachers, the CE mix, masks, T² scaling and weights, with the gradient
// w.r.t. the student logits. The GPU kernel follows the same algebra:
//   q = softmax(z_s / T); for a divergence D(q) with h_j = q_j·∂D/∂q_j and H = Σ h_j,
//   ∂D/∂z_s,j = (h_j − q_j·H) / T.
// Sparse teachers: categories are the K ids plus a tail; a student logit in the tail gets
// q_j·(h_tail/Q_tail − H) / T.
import { KdSpecError, resolveKdParam, type Divergence, type KdLossSpec } from '../kd-spec.ts';
import { checkKdCall, sparseTeacherLogTail } from '../kd-args.ts';

export interface KdCpuInput {
  spec: KdLossSpec;
  /** Student logits, row-major [n, v]. */
  student: ArrayLike<number>;
  n: number;
  v: number;
  teacher?: ArrayLike<number>;
  sparse?: { ids: ArrayLike<number>; logprobs: ArrayLike<number>; k: number };
  targets?: ArrayLike<number>;
  /** Row weights (1 = counted, 0 = ignored). */
  mask?: ArrayLike<number>;
}

/** One divergence term: its contribution d to D and h = q·∂D/∂q for one category. */
type Term = (p: number, q: number, logp: number, logq: number) => [number, number];

function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m === -Infinity ? -Infinity : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** x·(a − b), zero when x is zero (0·log 0 = 0). */
const xd = (x: number, a: number, b: number) => (x === 0 ? 0 : x * (a - b));

function divergenceTerm(divergence: Divergence, param: number | undefined): Term {
  switch (divergence) {
    case 'fkl':
      return (p, _q, logp, logq) => [xd(p, logp, logq), -p];
    case 'rkl':
      return (_p, q, logp, logq) => [xd(q, logq, logp), q === 0 ? 0 : q * (logq - logp + 1)];
    case 'jsd': {
      const b = param!;
      return (p, q, logp, logq) => {
        const logm = logAddExp(Math.log(b) + logp, Math.log(1 - b) + logq);
        return [b * xd(p, logp, logm) + (1 - b) * xd(q, logq, logm), (1 - b) * xd(q, logq, logm)];
      };
    }
    case 'tvd':
      return (p, q) => [0.5 * Math.abs(p - q), 0.5 * q * Math.sign(q - p)];
    case 'sfkl': {
      const a = param!;
      return (p, q, logp, logq) => {
        const logm = logAddExp(Math.log(a) + logp, Math.log(1 - a) + logq);
        return [xd(p, logp, logm), p === 0 || q === 0 ? 0 : -(1 - a) * Math.exp(logp + logq - logm)];
      };
    }
    case 'srkl': {
      const a = param!;
      return (_p, q, logp, logq) => {
        const logm = logAddExp(Math.log(a) + logq, Math.log(1 - a) + logp);
        return [xd(q, logq, logm), q === 0 ? 0 : q * (logq - logm + 1 - a * Math.exp(logq - logm))];
      };
    }
  }
}

/** log-softmax of x[off .. off+v) / t. */
function logSoftmax(x: ArrayLike<number>, off: number, v: number, t: number): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < v; j++) m = Math.max(m, x[off + j]! / t);
  let s = 0;
  for (let j = 0; j < v; j++) s += Math.exp(x[off + j]! / t - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(v);
  for (let j = 0; j < v; j++) out[j] = x[off + j]! / t - lse;
  return out;
}

/**
 * The total loss w_ce·CE + w_kd·s·D averaged over the rows' mask weights, and its gradient
 * w.r.t. the student logits.
 */
export function kdLoss(input: KdCpuInput): { loss: number; grad: Float64Array; rowDivergence: Float64Array } {
  const { spec, n, v } = input;
  checkKdCall(spec, {
    student: [n, v],
    ...(input.teacher ? { teacher: [n, v] } : {}),
    ...(input.sparse ? { sparseIds: [n, input.sparse.k], sparseLogprobs: [n, input.sparse.k] } : {}),
    ...(input.targets ? { targets: [n] } : {}),
  });
  const t = spec.temperature;
  const term = divergenceTerm(spec.divergence, resolveKdParam(spec.divergence, spec.param));
  const sKd = spec.wKd * (spec.scaleByT2 ? t * t : 1);
  const weights = Float64Array.from({ length: n }, (_, r) => (input.mask ? input.mask[r]! : 1));
  const count = weights.reduce((a, b) => a + b, 0);
  const grad = new Float64Array(n * v);
  const rowDivergence = new Float64Array(n);
  let loss = 0;
  if (count === 0) return { loss, grad, rowDivergence };
  const logTails = input.sparse ? sparseTeacherLogTail(input.sparse.logprobs, n, input.sparse.k) : null;
  for (let r = 0; r < n; r++) {
    const w = weights[r]! / count;
    if (w === 0) continue;
    const off = r * v;
    let rowLoss = 0;
    const gRow = new Float64Array(v);
    if (spec.wKd > 0) {
      const logq = logSoftmax(input.student, off, v, t);
      let d = 0;
      let hSum = 0;
      const h = new Float64Array(v);
      if (input.teacher) {
        const logp = logSoftmax(input.teacher, off, v, t);
        for (let j = 0; j < v; j++) {
          const [dj, hj] = term(Math.exp(logp[j]!), Math.exp(logq[j]!), logp[j]!, logq[j]!);
          d += dj;
          h[j] = hj;
          hSum += hj;
        }
      } else {
        const { ids, logprobs, k } = input.sparse!;
        const inTopK = new Int32Array(v).fill(-1);
        for (let c = 0; c < k; c++) {
          const id = Math.round(ids[r * k + c]!);
          inTopK[id] = c;
          const lp = logprobs[r * k + c]!;
          const [dc, hc] = term(Math.exp(lp), Math.exp(logq[id]!), lp, logq[id]!);
          d += dc;
          h[id] = hc;
          hSum += hc;
        }
        // The student's tail summed over its own tail ids, the teacher's from its log-probs (kd-args.ts).
        let qTail = 0;
        for (let j = 0; j < v; j++) if (inTopK[j]! < 0) qTail += Math.exp(logq[j]!);
        const logPTail = logTails![r]!;
        const [dt, ht] = term(Math.exp(logPTail), qTail, logPTail, Math.log(qTail));
        d += dt;
        hSum += ht;
        const gTail = qTail === 0 ? 0 : ht / qTail;
        for (let j = 0; j < v; j++) if (inTopK[j]! < 0) h[j] = Math.exp(logq[j]!) * gTail;
      }
      rowDivergence[r] = d;
      rowLoss += sKd * d;
      for (let j = 0; j < v; j++) gRow[j] = (sKd / t) * (h[j]! - Math.exp(logq[j]!) * hSum);
    }
    if (spec.wCe > 0) {
      const logq1 = logSoftmax(input.student, off, v, 1);
      const y = Math.round(input.targets![r]!);
      if (!(y >= 0 && y < v)) throw new KdSpecError(`kdLoss: target ${input.targets![r]} (row ${r}) is out of range [0, ${v})`);
      rowLoss += spec.wCe * -logq1[y]!;
      for (let j = 0; j < v; j++) gRow[j]! += spec.wCe * (Math.exp(logq1[j]!) - (j === y ? 1 : 0));
    }
    loss += w * rowLoss;
    for (let j = 0; j < v; j++) grad[off + j] = w * gRow[j]!;
  }
  return { loss, grad, rowDivergence };
}

/** Mean cross-entropy over the rows' mask weights (kdLoss with only its CE term, at T = 1). */
export function crossEntropy(logits: ArrayLike<number>, targets: ArrayLike<number>, n: number, v: number, mask?: ArrayLike<number>): { loss: number; grad: Float64Array } {
  const { loss, grad } = kdLoss({ spec: { divergence: 'fkl', temperature: 1, scaleByT2: false, wCe: 1, wKd: 0 }, student: logits, targets, n, v, ...(mask ? { mask } : {}) });
  return { loss, grad };
}
