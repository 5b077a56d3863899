// AdamW and global-norm clipping on the GPU against their float64 CPU references, and clipping
// inside the AdamW update against clipping the gradients first.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { AdamW, clipGradNorm, gradNormScale, type AdamWOptions } from '../../src/engine/optim.ts';
import * as cpu from '../../src/engine/cpu/optim.ts';
import { randn } from '../../src/engine/random.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { learningRate } from '../../src/engine/schedule.ts';

const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe('optimizer on the GPU', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  it('AdamW matches the CPU reference over several steps with changing gradients and learning rates', async () => {
    const hyper: AdamWOptions = { lr: 0.05, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.1 };
    const shapes = [[3, 5], [7], [300]];
    const cpuParams = shapes.map((s, i) => f32(randn(s.reduce((a, b) => a * b, 1), 40 + i)));
    const m = cpuParams.map((p) => new Float64Array(p.length));
    const v = cpuParams.map((p) => new Float64Array(p.length));
    const params = shapes.map((s, i) => engine.upload(Float32Array.from(cpuParams[i]!), s, 'f32', { isParam: true, requiresGrad: true }));
    const opt = new AdamW(params, hyper);
    const schedule = { kind: 'cosine' as const, baseLr: hyper.lr, warmupSteps: 1, totalSteps: 5 };
    for (let t = 1; t <= 5; t++) {
      const lr = learningRate(t, schedule);
      params.forEach((p, i) => {
        const g = f32(randn(p.size, 100 * t + i));
        p.grad = engine.upload(Float32Array.from(g), p.shape).keep();
        cpu.adamwStep(cpuParams[i]!, g, m[i]!, v[i]!, t, { ...hyper, lr });
      });
      opt.step(lr);
      opt.zeroGrad();
    }
    for (let i = 0; i < params.length; i++) {
      const r = compare(`param ${i}`, await params[i]!.read(), cpuParams[i]!, 1e-5);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    const state = opt.getState();
    expect(state.step).toBe(5);
    expect(compare('m', await state.m[2]!.read(), m[2]!, 1e-5).ok).toBe(true);
    expect(compare('v', await state.v[2]!.read(), v[2]!, 1e-5).ok).toBe(true);
    // Gradients were dropped; parameters without a gradient are left alone by a further step.
    expect(params.every((p) => p.grad === null)).toBe(true);
    const before = await params[0]!.read();
    opt.step();
    expect(Array.from(await params[0]!.read())).toEqual(Array.from(before));
    opt.release();
    for (const p of params) p.release();
  });

  it('restores saved state so training continues identically', async () => {
    const hyper: AdamWOptions = { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 };
    const init = Float32Array.from(randn(16, 3));
    const grads = [1, 2, 3].map((t) => Float32Array.from(randn(16, 50 + t)));
    const run = async (resumeAfter?: number) => {
      let p = engine.upload(init, [16], 'f32', { isParam: true, requiresGrad: true });
      let opt = new AdamW([p], hyper);
      for (let t = 0; t < 3; t++) {
        if (t === resumeAfter) {
          const s = opt.getState();
          const saved = { step: s.step, m: [await s.m[0]!.read()], v: [await s.v[0]!.read()] };
          const weights = await p.read();
          opt.release();
          p.release();
          p = engine.upload(weights, [16], 'f32', { isParam: true, requiresGrad: true });
          opt = new AdamW([p], hyper);
          opt.setState(saved);
        }
        p.grad = engine.upload(grads[t]!, [16]).keep();
        opt.step();
        opt.zeroGrad();
      }
      const out = await p.read();
      opt.release();
      p.release();
      return Array.from(out);
    };
    expect(await run(2)).toEqual(await run());
  });

  for (const [label, maxNorm] of [['above', 0.5], ['below', 1000]] as const) {
    it(`clipGradNorm scales gradients when the global norm is ${label} maxNorm, without a readback`, async () => {
      const g1 = f32(randn(40, 7));
      const g2 = f32(randn(700, 8));
      const want = cpu.clipGradNorm([g1, g2], maxNorm);
      const params = [engine.zeros([40], { isParam: true }), engine.zeros([700], { isParam: true }), engine.zeros([3], { isParam: true })];
      params[0]!.grad = engine.upload(Float32Array.from(g1), [40]).keep();
      params[1]!.grad = engine.upload(Float32Array.from(g2), [700]).keep();
      const submitsBefore = engine.submitCount;
      const norm = clipGradNorm(params, maxNorm);
      expect(engine.submitCount).toBe(submitsBefore);
      expect(compare('norm', await norm.read(), [want.norm], 1e-5).ok).toBe(true);
      expect(compare('g1', await params[0]!.grad!.read(), want.clipped[0]!, 1e-5).ok).toBe(true);
      expect(compare('g2', await params[1]!.grad!.read(), want.clipped[1]!, 1e-5).ok).toBe(true);
      if (label === 'below') expect(Array.from(await params[0]!.grad!.read())).toEqual(Array.from(Float32Array.from(g1)));
      else expect(want.norm).toBeGreaterThan(maxNorm);
      norm.release();
      for (const p of params) p.release();
    });
  }

  it('clips inside the AdamW update to the same bits as clipping the gradients first', async () => {
    const hyper: AdamWOptions = { lr: 0.02, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.1 };
    const sizes = [40, 701];
    const init = sizes.map((n, i) => Float32Array.from(randn(n, 20 + i)));
    const grads = [0, 1].map((t) => sizes.map((n, i) => Float32Array.from(randn(n, 30 + 2 * t + i), (x) => 2 * x)));
    const run = async (fused: boolean) => {
      const params = init.map((x, i) => engine.upload(x, [sizes[i]!], 'f32', { isParam: true }));
      const opt = new AdamW(params, hyper);
      for (const step of grads) {
        params.forEach((p, i) => (p.grad = engine.upload(step[i]!, [sizes[i]!]).keep()));
        if (fused) {
          const { norm, coef } = gradNormScale(params, 1);
          opt.step(undefined, coef);
          norm.release();
          coef.release();
        } else {
          clipGradNorm(params, 1).release();
          opt.step();
        }
        opt.zeroGrad();
      }
      const out = await Promise.all(params.map(async (p) => Array.from(new Uint32Array(((await p.read()) as Float32Array).buffer))));
      opt.release();
      for (const p of params) p.release();
      return out;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('rejects bad hyper-parameters and an empty clip', () => {
    const p = engine.zeros([2], { isParam: true });
    expect(() => new AdamW([p], { lr: 0.1, betas: [1, 0.9], eps: 1e-8, weightDecay: 0 })).toThrow(/betas must be in \[0, 1\)/);
    expect(() => clipGradNorm([p], 1)).toThrow(/no parameter has a gradient/);
    expect(() => clipGradNorm([p], 0)).toThrow(/maxNorm must be a positive number/);
    expect(() => gradNormScale([p], 1)).toThrow(/gradNormScale: no parameter has a gradient/);
    expect(() => gradNormScale([p], Number.NaN)).toThrow(/gradNormScale: maxNorm must be a positive number/);
    p.grad = engine.zeros([2]).keep();
    const opt = new AdamW([p], { lr: 0.1, betas: [0.9, 0.9], eps: 1e-8, weightDecay: 0 });
    expect(() => opt.step(undefined, p.grad!)).toThrow(/AdamW: gradScale must hold one value/);
    expect(opt.stepCount).toBe(0);
    opt.release();
    p.release();
  });
});
