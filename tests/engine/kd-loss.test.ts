// The fused KD loss kernel against every case of both reference files (the ordinary and the hard
// cases, under the one tolerance rule of selftest/check.ts), every divergence ≥ 0 and finite over
// the hard range, the T² / weight / CE mix against the CPU reference, and clear errors for bad calls.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { caseName, checkCaseGpu, parseKdReference } from '../../src/engine/selftest/kd-reference.ts';
import { crossEntropy, kdLoss } from '../../src/engine/ops/kd-loss.ts';
import { sparseTeacherLogTail, uploadSparseTeacher } from '../../src/engine/kd-args.ts';
import * as cpu from '../../src/engine/cpu/kd-loss.ts';
import { randn } from '../../src/engine/random.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { DIVERGENCES, type KdLossSpec } from '../../src/engine/kd-spec.ts';

const reference = parseKdReference(readFileSync(new URL('../../models/reference/kd-losses.json', import.meta.url), 'utf8'));
const hard = parseKdReference(readFileSync(new URL('../../models/reference/kd-losses-hard.json', import.meta.url), 'utf8'), 'kd-losses-hard.json');

describe('fused KD loss on the GPU', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  describe('matches every reference case', () => {
    reference.cases.forEach((c, i) => {
      it(caseName(c, i), async () => {
        const r = await checkCaseGpu(engine, c, i);
        expect(r.ok, JSON.stringify(r)).toBe(true);
      });
    });
  });

  describe('matches every hard reference case', () => {
    hard.cases.forEach((c, i) => {
      it(caseName(c, i, 'kd-reference-hard'), async () => {
        const r = await checkCaseGpu(engine, c, i, 'kd-reference-hard');
        expect(r.ok, JSON.stringify(r)).toBe(true);
      });
    });
  });

  it('keeps every divergence ≥ 0 and finite where the student equals its teacher, over T 0.25–4, logits/T to ±50, top-k 1–20 with mass 0.5 to 1 − 1e-7', async () => {
    const v = 48;
    const bad: string[] = [];
    // One row per call, so that no row's value hides behind another's.
    const run = async (spec: KdLossSpec, student: Float64Array, teacher: Omit<Parameters<typeof kdLoss>[1], 'spec'>, label: string) => {
      await engine.tidy(async () => {
        const s = engine.upload(Float32Array.from(student), [1, v], 'f32', { requiresGrad: true, isParam: true });
        const loss = kdLoss(s, { spec, ...teacher });
        const d = (await loss.read())[0]!;
        engine.autograd.backward(loss);
        const g = await s.grad!.read();
        if (!(d >= 0) || !Number.isFinite(d) || !g.every(Number.isFinite)) bad.push(`${label}: D = ${d}`);
        engine.autograd.clear();
        s.release();
      });
    };
    for (const divergence of DIVERGENCES) {
      for (const t of [0.25, 0.5, 1, 2, 4]) {
        const spec: KdLossSpec = { divergence, temperature: t, scaleByT2: false, wCe: 0, wKd: 1 };
        const z = randn(v, 40, 1).map((x, j) => (j === 3 ? 50 : Math.max(-50, Math.min(50, 25 * x))) * t); // logits/T within ±50, one peak
        await run(spec, z, { teacherLogits: engine.upload(Float32Array.from(z), [1, v]) }, `${divergence} dense T=${t}`);
      }
      for (const k of [1, 20]) {
        for (const mass of [0.5, 1 - 1e-7]) {
          const ids = Array.from({ length: k }, (_, c) => (c * 7) % v);
          const logprobs = ids.map(() => Math.log(mass / k));
          const student = new Float64Array(v).fill(Math.log((1 - mass) / (v - k)));
          ids.forEach((id, c) => (student[id] = logprobs[c]!));
          const spec: KdLossSpec = { divergence, temperature: 1, scaleByT2: false, wCe: 0, wKd: 1 };
          await run(spec, student, { sparseTeacher: uploadSparseTeacher(engine, ids, logprobs, 1, k, v) }, `${divergence} sparse top-${k} mass ${mass}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('mixes CE and T²-scaled KD with weights exactly as the CPU reference, over a vocabulary wider than a workgroup', async () => {
    const n = 3;
    const v = 300;
    const student = Float64Array.from(Float32Array.from(randn(n * v, 5, 2)));
    const teacher = Float64Array.from(Float32Array.from(randn(n * v, 6, 2)));
    const targets = [7, 299, 0];
    const mask = [1, 0, 1];
    const spec: KdLossSpec = { divergence: 'srkl', param: 0.3, temperature: 2, scaleByT2: true, wCe: 0.4, wKd: 0.7 };
    const want = cpu.kdLoss({ spec, student, teacher, n, v, targets, mask });
    await engine.tidy(async () => {
      const s = engine.upload(Float32Array.from(student), [n, v], 'f32', { requiresGrad: true, isParam: true });
      const loss = kdLoss(s, { spec, teacherLogits: engine.upload(Float32Array.from(teacher), [n, v]), targets: engine.upload(Int32Array.from(targets), [n]), mask: engine.upload(Float32Array.from(mask), [n]) });
      const scaled = engine.autograd.noGrad(() => loss); // the same tensor; backward with gradient 3
      engine.autograd.backward(scaled, engine.full([1], 3));
      expect(compare('loss', await loss.read(), [want.loss], 1e-4).ok).toBe(true);
      const g = compare('grad', await s.grad!.read(), want.grad.map((x) => 3 * x), 1e-4);
      expect(g.ok, JSON.stringify(g)).toBe(true);
      s.release();
    });
  });

  it('handles a sparse teacher with more top-k ids than threads per row, with the CE mix', async () => {
    const n = 2;
    const v = 300;
    const k = 100;
    const student = Float64Array.from(Float32Array.from(randn(n * v, 9, 1.5)));
    const ids: number[] = [];
    const logprobs: number[] = [];
    for (let r = 0; r < n; r++) {
      const raw = randn(k, 20 + r);
      const z = raw.reduce((a, x) => a + Math.exp(x), 0);
      for (let c = 0; c < k; c++) {
        ids.push((c * 7 + r * 3) % v); // distinct: 7 is coprime with 300
        logprobs.push(Math.fround(Math.log((0.9 * Math.exp(raw[c]!)) / z)));
      }
    }
    const targets = [ids[5]!, 1]; // a top-k id in row 0, a tail id in row 1 (its ids never include 1)
    const spec: KdLossSpec = { divergence: 'jsd', param: 0.5, temperature: 1, scaleByT2: true, wCe: 0.5, wKd: 1 };
    const want = cpu.kdLoss({ spec, student, n, v, targets, sparse: { ids, logprobs, k } });
    await engine.tidy(async () => {
      const s = engine.upload(Float32Array.from(student), [n, v], 'f32', { requiresGrad: true, isParam: true });
      const loss = kdLoss(s, { spec, sparseTeacher: uploadSparseTeacher(engine, ids, logprobs, n, k, v), targets: engine.upload(Int32Array.from(targets), [n]) });
      engine.autograd.backward(loss);
      expect(compare('loss', await loss.read(), [want.loss], 1e-4).ok).toBe(true);
      const g = compare('grad', await s.grad!.read(), want.grad, 1e-4);
      expect(g.ok, JSON.stringify(g)).toBe(true);
      s.release();
    });
  });

  it('crossEntropy is the mean −log softmax at the targets', async () => {
    const logits = [2, 0, 0, 0, 0, 3];
    const loss = await engine.tidy(async () => (await crossEntropy(engine.upload(logits, [2, 3]), engine.upload(Int32Array.from([0, 1]), [2])).read())[0]!);
    const lse = (a: number[]) => Math.log(a.reduce((s, x) => s + Math.exp(x), 0));
    expect(loss).toBeCloseTo((lse([2, 0, 0]) - 2 + lse([0, 0, 3]) - 0) / 2, 5);
  });

  describe('clear errors', () => {
    const spec: KdLossSpec = { divergence: 'fkl', temperature: 1, scaleByT2: true, wCe: 0, wKd: 1 };
    it('jsd with β = 0 or 1', () => {
      engine.tidy(() => {
        const x = engine.zeros([2, 4]);
        for (const param of [0, 1]) expect(() => kdLoss(x, { spec: { ...spec, divergence: 'jsd', param }, teacherLogits: x })).toThrow(/β must be strictly between 0 and 1/);
      });
    });
    it('a sparse teacher at T ≠ 1', () => {
      engine.tidy(() => {
        const sparseTeacher = uploadSparseTeacher(engine, [0, 1], [-1, -2], 2, 1, 4);
        expect(() => kdLoss(engine.zeros([2, 4]), { spec: { ...spec, temperature: 2 }, sparseTeacher })).toThrow(/sparse \(top-k\) teacher supports temperature 1 only/);
      });
    });
    it('mismatched shapes', () => {
      engine.tidy(() => {
        expect(() => kdLoss(engine.zeros([2, 4]), { spec, teacherLogits: engine.zeros([2, 5]) })).toThrow(/teacher logits \[2, 5\] do not match student logits \[2, 4\]/);
        expect(() => kdLoss(engine.zeros([8]), { spec, teacherLogits: engine.zeros([8]) })).toThrow(/must be \[N, V\]/);
        expect(() => kdLoss(engine.zeros([2, 4]), { spec, teacherLogits: engine.zeros([2, 4]), mask: engine.zeros([3]) })).toThrow(/mask \[3\] must be \[N\]/);
      });
    });
    it('sparse ids out of range, on the host before upload', () => {
      expect(() => uploadSparseTeacher(engine, [0, 4], [-1, -2], 2, 1, 4)).toThrow(/id 4 \(row 1\) is out of range \[0, 4\)/);
    });
    it('an out-of-range id that reaches the GPU makes the loss NaN, never a silent number', async () => {
      const loss = await engine.tidy(async () => {
        const sparseTeacher = { ids: engine.upload(Int32Array.from([0, 9]), [2, 1]), logprobs: engine.upload([-1, -1], [2, 1]), logTail: engine.upload(Float32Array.from(sparseTeacherLogTail([-1, -1], 2, 1)), [2]) };
        return (await kdLoss(engine.zeros([2, 4]), { spec, sparseTeacher }).read())[0];
      });
      expect(loss).toBeNaN();
    });
  });
});
