// Self-test checks for the KD loss, cross-entropy, gradient clipping and AdamW: random inputs on
// the GPU against the float64 CPU references (and, for the losses, finite differences in the unit
// tests). The reference-file cases are run separately (selftest/kd.ts).
import type { OpCheck } from './check.ts';
import type { Tensor } from '../tensor.ts';
import { DIVERGENCES, type Divergence, type KdLossSpec } from '../kd-spec.ts';
import { crossEntropy, kdLoss } from '../ops/kd-loss.ts';
import { kdLossCpu } from '../cpu/kd-loss.ts';
import { AdamW, clipGradNorm, type AdamWOptions } from '../optim.ts';
import { adamwStepCpu, clipGradNormCpu } from '../cpu/optim.ts';

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
    cpuForward: ([s, t, y, m]) => Float64Array.of(kdLossCpu({ spec, student: s!, teacher: t!, targets: y!, mask: m!, n: N, v: V }).loss),
    cpuBackward: ([s, t, y, m], g) => [kdLossCpu({ spec, student: s!, teacher: t!, targets: y!, mask: m!, n: N, v: V }).grad.map((x) => x * g[0]!), null, null, null],
  };
}

const K = 5;
// Distinct ids per row (one at the last index) and log-probs leaving a tail of 1 − Σp > 0.
const SPARSE_IDS = new Float64Array([3, 0, 299, 41, 7, 10, 11, 12, 13, 14, 250, 100, 2, 9, 1]);
const SPARSE_LOGPROBS = new Float64Array([-0.9, -1.6, -2.3, -3.1, -4.0, -1.2, -1.3, -2.8, -3.3, -3.9, -0.7, -2.1, -2.2, -3.0, -5.0]);

/** Sparse top-k teacher with its tail bucket (T = 1 only) and a mask; optionally the CE mix. */
function sparseCheck(divergence: Divergence, withCe = false): OpCheck {
  const spec: KdLossSpec = { divergence, param: PARAM[divergence], temperature: 1, scaleByT2: true, wCe: withCe ? 0.5 : 0, wKd: 1 };
  // Target 3 falls on a top-k id (whose gradient is written last), 17 on the tail.
  const targets = new Float64Array([3, 17, 250]);
  const mask = withCe ? new Float64Array([1, 1, 0]) : MASK;
  const cpu = (s: Float64Array, ids: Float64Array, lp: Float64Array, m: Float64Array, y: Float64Array) => kdLossCpu({ spec, student: s, sparse: { ids, logprobs: lp, k: K }, mask: m, n: N, v: V, ...(withCe ? { targets: y } : {}) });
  return {
    name: `kdLoss ${divergence} sparse top-${K}+tail${withCe ? ' +ce' : ''}`,
    inputs: [{ shape: [N, V] }, { shape: [N, K], dtype: 'i32', data: SPARSE_IDS }, { shape: [N, K], data: SPARSE_LOGPROBS, grad: false }, { shape: [N], data: mask, grad: false }, { shape: [N], dtype: 'i32', data: targets }],
    gpu: ([s, ids, lp, m, y]) => kdLoss(s!, { spec, sparseTeacher: { ids: ids!, logprobs: lp! }, mask: m!, ...(withCe ? { targets: y! } : {}) }),
    cpuForward: ([s, ids, lp, m, y]) => Float64Array.of(cpu(s!, ids!, lp!, m!, y!).loss),
    cpuBackward: ([s, ids, lp, m, y], g) => [cpu(s!, ids!, lp!, m!, y!).grad.map((x) => x * g[0]!), null, null, null, null],
  };
}

const ceSpec: KdLossSpec = { divergence: 'fkl', temperature: 1, scaleByT2: false, wCe: 1, wKd: 0 };
const crossEntropyCheck: OpCheck = {
  name: 'crossEntropy mask',
  inputs: [{ shape: [N, V] }, { shape: [N], dtype: 'i32', data: TARGETS }, { shape: [N], data: MASK, grad: false }],
  gpu: ([s, y, m]) => crossEntropy(s!, y!, m!),
  cpuForward: ([s, y, m]) => Float64Array.of(kdLossCpu({ spec: ceSpec, student: s!, targets: y!, mask: m!, n: N, v: V }).loss),
  cpuBackward: ([s, y, m], g) => [kdLossCpu({ spec: ceSpec, student: s!, targets: y!, mask: m!, n: N, v: V }).grad.map((x) => x * g[0]!), null, null],
};

/** Lays tensors end to end in one output (a check compares one tensor). */
function concat(parts: Tensor[]): Tensor {
  const engine = parts[0]!.engine;
  const out = engine.empty([parts.reduce((a, p) => a + p.size, 0)]);
  let offset = 0;
  for (const p of parts) {
    engine.copy(p, out, p.byteLength, 0, offset * 4);
    offset += p.size;
  }
  return out;
}

/** Output: the clipped gradients of two parameters followed by the norm before clipping. */
function clipCheck(label: string, maxNorm: number): OpCheck {
  return {
    name: `clipGradNorm ${label}`,
    inputs: [{ shape: [40] }, { shape: [600] }],
    gpu: (grads) => {
      const engine = grads[0]!.engine;
      const params = grads.map((g) => {
        const p = engine.zeros(g.shape, { isParam: true });
        p.grad = engine.clone(g).keep();
        return p;
      });
      const norm = clipGradNorm(params, maxNorm);
      const out = concat([...params.map((p) => p.grad!), norm]);
      for (const p of params) p.release();
      return out;
    },
    cpuForward: (grads) => {
      const { norm, clipped } = clipGradNormCpu(grads, maxNorm);
      return Float64Array.from([...clipped.flatMap((c) => [...c]), norm]);
    },
  };
}

const ADAM: AdamWOptions = { lr: 0.03, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 };
const ADAM_STEPS = 3;
/** Output: a parameter after three AdamW updates with the given gradients. */
const adamwCheck: OpCheck = {
  name: `adamw ${ADAM_STEPS} steps`,
  inputs: [{ shape: [70] }, ...Array.from({ length: ADAM_STEPS }, () => ({ shape: [70] }))],
  gpu: ([init, ...grads]) => {
    const engine = init!.engine;
    const p = engine.clone(init!);
    const opt = new AdamW([p], ADAM);
    for (const g of grads) {
      p.grad = engine.clone(g).keep();
      opt.step();
      opt.zeroGrad();
    }
    opt.release();
    return p;
  },
  cpuForward: ([init, ...grads]) => {
    const p = Float64Array.from(init!);
    const m = new Float64Array(p.length);
    const v = new Float64Array(p.length);
    grads.forEach((g, t) => adamwStepCpu(p, g, m, v, t + 1, ADAM));
    return p;
  },
};

export const kdChecks: OpCheck[] = [
  ...DIVERGENCES.map(denseCheck),
  ...DIVERGENCES.map((d) => sparseCheck(d)),
  sparseCheck('fkl', true),
  crossEntropyCheck,
  clipCheck('above maxNorm', 1),
  clipCheck('below maxNorm', 1000),
  adamwCheck,
];
