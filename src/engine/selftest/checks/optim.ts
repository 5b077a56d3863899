// Checks for optim.ts against cpu/optim.ts: global-norm clipping above and below the limit, three
// AdamW updates with weight decay and bias correction, and three with the clip coefficient fused
// into the update (what the trainer runs with clipNorm).
import type { OpCheck } from '../check.ts';
import type { Tensor } from '../../tensor.ts';
import { AdamW, clipGradNorm, gradNormScale, type AdamWOptions } from '../../optim.ts';
import * as cpu from '../../cpu/optim.ts';

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
      const { norm, clipped } = cpu.clipGradNorm(grads, maxNorm);
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
    grads.forEach((g, t) => cpu.adamwStep(p, g, m, v, t + 1, ADAM));
    return p;
  },
};

/** Output: two parameters after three AdamW updates, each step's gradients clipped to maxNorm inside the update. */
function adamwClippedCheck(maxNorm: number): OpCheck {
  return {
    name: `adamw ${ADAM_STEPS} steps, clipped to ${maxNorm} inside the update`,
    inputs: [{ shape: [70] }, { shape: [300] }, ...Array.from({ length: 2 * ADAM_STEPS }, (_, i) => ({ shape: [i % 2 === 0 ? 70 : 300] }))],
    gpu: ([a, b, ...grads]) => {
      const engine = a!.engine;
      const params = [engine.clone(a!), engine.clone(b!)];
      const opt = new AdamW(params, ADAM);
      for (let t = 0; t < ADAM_STEPS; t++) {
        params.forEach((p, i) => (p.grad = engine.clone(grads[2 * t + i]!).keep()));
        const { norm, coef } = gradNormScale(params, maxNorm);
        opt.step(undefined, coef);
        for (const x of [norm, coef]) x.release();
        opt.zeroGrad();
      }
      opt.release();
      const out = concat(params);
      for (const p of params) p.release();
      return out;
    },
    cpuForward: ([a, b, ...grads]) => {
      const params = [Float64Array.from(a!), Float64Array.from(b!)];
      const moments = params.map((p) => [new Float64Array(p.length), new Float64Array(p.length)] as const);
      for (let t = 0; t < ADAM_STEPS; t++) {
        const { clipped } = cpu.clipGradNorm([grads[2 * t]!, grads[2 * t + 1]!], maxNorm);
        params.forEach((p, i) => cpu.adamwStep(p, clipped[i]!, moments[i]![0], moments[i]![1], t + 1, ADAM));
      }
      return Float64Array.from([...params[0]!, ...params[1]!]);
    },
  };
}

export const checks: OpCheck[] = [clipCheck('above maxNorm', 1), clipCheck('below maxNorm', 1000), adamwCheck, adamwClippedCheck(1)];
