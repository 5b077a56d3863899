// Checks for ops/kd-loss.ts against cpu/kd-loss.ts: every divergence with a dense and a sparse
// teacher, the CE mix, masks and cross-entropy alone. The KD reference file's cases (values computed
// outside this project) are run separately (selftest/kd-reference.ts).
import type { OpCheck } from '../check.ts';
import { DIVERGENCES, type Divergence, type KdLossSpec } from '../../kd-spec.ts';
import { crossEntropy, kdLoss } from '../../ops/kd-loss.ts';
import * as cpu from '../../cpu/kd-loss.ts';
import { sparseTeacherLogTail } from '../../kd-args.ts';

const N = 3;
const V = 300; // wider than a workgroup, so every pass loops
const MASK = new Float64Array([1, 0, 1]);
const TARGETS = new Float64Array([5, 17, 299]);
const PARAM: Partial<Record<Divergence, number>> = { jsd: 0.3, sfkl: 0.2, srkl: 0.2 };

/** Dense teacher at T = 2 with T² scaling, a CE mix and a mask: every term of the total loss. */
function denseCheck(divergence: Divergence): OpCheck {
  const spec: KdLossSpec = { divergence, param: PARAM[divergence], temperature: 2, scaleByT2: true, wCe: 0.25, wKd: 0.8 };
  return {
    name: `kdLoss ${divergence} dense T=2 +ce mask`,
    inputs: [{ shape: [N, V] }, { shape: [N, V], grad: false }, { shape: [N], dtype: 'i32', data: TARGETS }, { shape: [N], data: MASK, grad: false }],
    gpu: ([s, t, y, m]) => kdLoss(s!, { spec, teacherLogits: t!, targets: y!, mask: m! }),
    cpuForward: ([s, t, y, m]) => Float64Array.of(cpu.kdLoss({ spec, student: s!, teacher: t!, targets: y!, mask: m!, n: N, v: V }).loss),
    cpuBackward: ([s, t, y, m], g) => [cpu.kdLoss({ spec, student: s!, teacher: t!, targets: y!, mask: m!, n: N, v: V }).grad.map((x) => x * g[0]!), null, null, null],
  };
}

const K = 5;
// Distinct ids per row (one at the last index) and log-probs leaving a tail of 1 − Σp > 0.
const SPARSE_IDS = new Float64Array([3, 0, 299, 41, 7, 10, 11, 12, 13, 14, 250, 100, 2, 9, 1]);
const SPARSE_LOGPROBS = new Float64Array([-0.9, -1.6, -2.3, -3.1, -4.0, -1.2, -1.3, -2.8, -3.3, -3.9, -0.7, -2.1, -2.2, -3.0, -5.0]);
// The tails of the log-probs as the GPU sees them (f32), as uploadSparseTeacher computes them.
const SPARSE_LOG_TAIL = sparseTeacherLogTail(Float32Array.from(SPARSE_LOGPROBS), N, K);

/** Sparse top-k teacher with its tail bucket (T = 1 only) and a mask; optionally the CE mix. */
function sparseCheck(divergence: Divergence, withCe = false): OpCheck {
  const spec: KdLossSpec = { divergence, param: PARAM[divergence], temperature: 1, scaleByT2: true, wCe: withCe ? 0.5 : 0, wKd: 1 };
  // Target 3 falls on a top-k id (whose gradient is written last), 17 on the tail.
  const targets = new Float64Array([3, 17, 250]);
  const mask = withCe ? new Float64Array([1, 1, 0]) : MASK;
  const ref = (s: Float64Array, ids: Float64Array, lp: Float64Array, m: Float64Array, y: Float64Array) => cpu.kdLoss({ spec, student: s, sparse: { ids, logprobs: lp, k: K }, mask: m, n: N, v: V, ...(withCe ? { targets: y } : {}) });
  return {
    name: `kdLoss ${divergence} sparse top-${K}+tail${withCe ? ' +ce' : ''}`,
    inputs: [{ shape: [N, V] }, { shape: [N, K], dtype: 'i32', data: SPARSE_IDS }, { shape: [N, K], data: SPARSE_LOGPROBS, grad: false }, { shape: [N], data: mask, grad: false }, { shape: [N], dtype: 'i32', data: targets }, { shape: [N], data: SPARSE_LOG_TAIL, grad: false }],
    gpu: ([s, ids, lp, m, y, tail]) => kdLoss(s!, { spec, sparseTeacher: { ids: ids!, logprobs: lp!, logTail: tail! }, mask: m!, ...(withCe ? { targets: y! } : {}) }),
    cpuForward: ([s, ids, lp, m, y]) => Float64Array.of(ref(s!, ids!, lp!, m!, y!).loss),
    cpuBackward: ([s, ids, lp, m, y], g) => [ref(s!, ids!, lp!, m!, y!).grad.map((x) => x * g[0]!), null, null, null, null, null],
  };
}

const crossEntropyCheck: OpCheck = {
  name: 'crossEntropy mask',
  inputs: [{ shape: [N, V] }, { shape: [N], dtype: 'i32', data: TARGETS }, { shape: [N], data: MASK, grad: false }],
  gpu: ([s, y, m]) => crossEntropy(s!, y!, m!),
  cpuForward: ([s, y, m]) => Float64Array.of(cpu.crossEntropy(s!, y!, N, V, m!).loss),
  cpuBackward: ([s, y, m], g) => [cpu.crossEntropy(s!, y!, N, V, m!).grad.map((x) => x * g[0]!), null, null],
};

export const checks: OpCheck[] = [...DIVERGENCES.map(denseCheck), ...DIVERGENCES.map((d) => sparseCheck(d)), sparseCheck('fkl', true), crossEntropyCheck];
