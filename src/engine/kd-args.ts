// The arguments of a KD loss call, checked on the host with clear KdSpecErrors: the spec and the
// shapes (checkKdCall, shared by ops/kd-loss.ts and its CPU twin, which must refuse the same calls),
// and a sparse teacher's ids and log-probs (checkSparseTeacher; uploadSparseTeacher checks, then
// uploads). The loss itself is defined in kd-spec.ts and computed in ops/ and cpu/kd-loss.ts.
import type { Engine } from './runtime.ts';
import type { Tensor } from './tensor.ts';
import { KdSpecError, validateKdLossSpec, type KdLossSpec } from './kd-spec.ts';

export interface KdShapes {
  student: readonly number[];
  teacher?: readonly number[];
  sparseIds?: readonly number[];
  sparseLogprobs?: readonly number[];
  sparseLogTail?: readonly number[];
  targets?: readonly number[];
  mask?: readonly number[];
}

/** Checks the spec and the shapes of a KD loss call; throws a clear KdSpecError. Returns N, V, K. */
export function checkKdCall(spec: KdLossSpec, shapes: KdShapes): { n: number; v: number; k: number } {
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
  validateKdLossSpec(spec);
  if (shapes.student.length !== 2) throw new KdSpecError(`kdLoss: student logits must be [N, V], got ${fmt(shapes.student)}`);
  const [n, v] = shapes.student as [number, number];
  let k = 0;
  if (spec.wKd > 0) {
    if (shapes.teacher && shapes.sparseIds) throw new KdSpecError('kdLoss: give either dense teacher logits or a sparse teacher, not both');
    if (shapes.teacher) {
      if (shapes.teacher.length !== 2 || shapes.teacher[0] !== n || shapes.teacher[1] !== v) {
        throw new KdSpecError(`kdLoss: teacher logits ${fmt(shapes.teacher)} do not match student logits ${fmt(shapes.student)}`);
      }
    } else if (shapes.sparseIds && shapes.sparseLogprobs) {
      if (spec.temperature !== 1) {
        throw new KdSpecError(`kdLoss: a sparse (top-k) teacher supports temperature 1 only (got ${spec.temperature}); its log-probs were produced at T = 1`);
      }
      const ids = shapes.sparseIds;
      if (ids.length !== 2 || ids[0] !== n) throw new KdSpecError(`kdLoss: sparse teacher ids ${fmt(ids)} must be [N, K] with N = ${n}`);
      k = ids[1]!;
      if (k < 1 || k >= v) throw new KdSpecError(`kdLoss: sparse teacher top-k must be between 1 and V − 1 = ${v - 1} (got ${k})`);
      if (k > MAX_TOP_K) throw new KdSpecError(`kdLoss: sparse teacher top-k ${k} exceeds the supported maximum ${MAX_TOP_K}`);
      const lp = shapes.sparseLogprobs;
      if (lp.length !== 2 || lp[0] !== n || lp[1] !== k) throw new KdSpecError(`kdLoss: sparse teacher log-probs ${fmt(lp)} do not match ids ${fmt(ids)}`);
      const tail = shapes.sparseLogTail;
      if (tail && (tail.length !== 1 || tail[0] !== n)) throw new KdSpecError(`kdLoss: sparse teacher log-tails ${fmt(tail)} must be [N] with N = ${n}`);
    } else {
      throw new KdSpecError('kdLoss: wKd > 0 needs a teacher (teacherLogits or sparseTeacher)');
    }
  }
  if (spec.wCe > 0) {
    if (!shapes.targets) throw new KdSpecError('kdLoss: wCe > 0 needs targets');
    if (shapes.targets.length !== 1 || shapes.targets[0] !== n) throw new KdSpecError(`kdLoss: targets ${fmt(shapes.targets)} must be [N] with N = ${n}`);
  }
  if (shapes.mask && (shapes.mask.length !== 1 || shapes.mask[0] !== n)) throw new KdSpecError(`kdLoss: mask ${fmt(shapes.mask)} must be [N] with N = ${n}`);
  return { n, v, k };
}

/** Largest top-k a sparse teacher may have (the kernel keeps the K categories in workgroup memory). */
export const MAX_TOP_K = 128;

/** Host-side check of a sparse teacher's ids and log-probs (range, duplicates, total mass). */
export function checkSparseTeacher(ids: ArrayLike<number>, logprobs: ArrayLike<number>, n: number, k: number, v: number): void {
  for (let r = 0; r < n; r++) {
    const seen = new Set<number>();
    let mass = 0;
    for (let c = 0; c < k; c++) {
      const id = ids[r * k + c]!;
      if (!Number.isInteger(id) || id < 0 || id >= v) throw new KdSpecError(`kdLoss: sparse teacher id ${id} (row ${r}) is out of range [0, ${v})`);
      if (seen.has(id)) throw new KdSpecError(`kdLoss: sparse teacher id ${id} appears twice in row ${r}`);
      seen.add(id);
      const lp = logprobs[r * k + c]!;
      if (!(lp <= 0)) throw new KdSpecError(`kdLoss: sparse teacher log-prob ${lp} (row ${r}) must be ≤ 0`);
      mass += Math.exp(lp);
    }
    if (mass > 1 + 1e-4) throw new KdSpecError(`kdLoss: sparse teacher probabilities of row ${r} sum to ${mass} > 1`);
  }
}

/**
 * log of each row's teacher tail 1 − Σ_k p_k, as −expm1(logsumexp(log p_k)) in float64 (−Infinity
 * for an empty tail). Computed on the host, never in f32: a tail of 1e-7 is smaller than the f32
 * rounding of a log-prob near 0 times its p (≈ 6e-8), so no f32 formula can recover it from f32
 * log-probs; float64 resolves it to ~1e-9 relative.
 */
export function sparseTeacherLogTail(logprobs: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, logprobs[r * k + c]!);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(logprobs[r * k + c]! - m);
    const tail = -Math.expm1(m + Math.log(s));
    out[r] = tail > 0 ? Math.log(tail) : -Infinity;
  }
  return out;
}

/** A sparse teacher on the GPU: top-k ids [n, k] (i32), their log-probs [n, k], and log of each row's tail [n]. */
export interface SparseTeacher {
  ids: Tensor;
  logprobs: Tensor;
  logTail: Tensor;
}

/**
 * Uploads a sparse teacher (an API's top-k ids and log-probs, row-major [n, k]) after checking it
 * on the host: ids in [0, v), no duplicates in a row, log-probs ≤ 0 summing to at most 1. The
 * tails are computed from the log-probs as the GPU sees them (rounded to f32).
 */
export function uploadSparseTeacher(engine: Engine, ids: ArrayLike<number>, logprobs: ArrayLike<number>, n: number, k: number, v: number): SparseTeacher {
  if (ids.length !== n * k || logprobs.length !== n * k) throw new KdSpecError(`kdLoss: a sparse teacher of ${n} rows × top-${k} needs ${n * k} ids and log-probs (got ${ids.length} and ${logprobs.length})`);
  checkSparseTeacher(ids, logprobs, n, k, v);
  const lp32 = Float32Array.from(logprobs);
  return { ids: engine.upload(Int32Array.from(ids), [n, k], 'i32'), logprobs: engine.upload(lp32, [n, k]), logTail: engine.upload(Float32Array.from(sparseTeacherLogTail(lp32, n, k)), [n]) };
}
