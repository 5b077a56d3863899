// The WASM backend as the engine's second backend: the same ops, models and trainer run on it
// unchanged; threads split the heavy kernels without changing a bit of the result; memory stays
// flat across steps and a tensor that cannot fit is refused clearly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/runtime.ts';
import { WasmBackend } from '../../src/engine/wasm/backend.ts';
import { Trainer, logitRows } from '../../src/engine/nn/train.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { decoderConfig, encoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { DECODER_PRESETS, ENCODER_PRESETS } from '../../src/engine/presets.ts';
import { crossEntropy, kdLoss } from '../../src/engine/ops/kd-loss.ts';
import { uploadSparseTeacher } from '../../src/engine/kd-args.ts';
import { DIVERGENCES, type KdLossSpec } from '../../src/engine/kd-spec.ts';
import * as cpuKd from '../../src/engine/cpu/kd-loss.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { randn } from '../../src/engine/random.ts';
import { matmul } from '../../src/engine/ops/matmul.ts';
import { add, addBias, mul, scale, sub, sumRows } from '../../src/engine/ops/elementwise.ts';
import { embedding } from '../../src/engine/ops/embedding.ts';
import { rope } from '../../src/engine/ops/rope.ts';
import { gelu, swiglu } from '../../src/engine/ops/activation.ts';
import * as cpuActivation from '../../src/engine/cpu/activation.ts';
import { splitLastDim } from '../../src/engine/ops/split.ts';
import * as cpuSplit from '../../src/engine/cpu/split.ts';
import * as cpuRope from '../../src/engine/cpu/rope.ts';
import { AdamW, gradNormScale } from '../../src/engine/optim.ts';
import * as cpuElementwise from '../../src/engine/cpu/elementwise.ts';
import * as cpuEmbedding from '../../src/engine/cpu/embedding.ts';
import * as cpuOptim from '../../src/engine/cpu/optim.ts';
import { GpuMemoryError } from '../../src/engine/errors.ts';

const VOCAB = 97;
const B = 3;
const T = 13;

/** Three AdamW steps of a tiny model: the losses and every parameter after them, as bits. */
async function train(engine: Engine, kind: 'encoder' | 'decoder'): Promise<{ losses: number[]; params: Uint32Array[]; allocated: number[] }> {
  const model =
    kind === 'encoder'
      ? new EncoderClassifier(engine, encoderConfig(ENCODER_PRESETS.tiny, { vocabSize: VOCAB, numClasses: 3 }), seededInit(1))
      : new DecoderLM(engine, decoderConfig(DECODER_PRESETS.tiny, { vocabSize: VOCAB }), seededInit(1));
  const params = model.trainableParameters();
  const optimizer = new AdamW(params, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
  const trainer = new Trainer(engine, params, optimizer, { readLossEvery: 1, clipNorm: 1 });
  const ids = engine.upload(Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % VOCAB), [B, T], 'i32').keep();
  const mask = engine.upload(Float32Array.from({ length: B * T }, (_, i) => (i % T < T - (i / T | 0) * 2 ? 1 : 0)), [B, T]).keep();
  const targets =
    kind === 'encoder'
      ? engine.upload(Int32Array.from([0, 2, 1]), [B], 'i32').keep()
      : engine.upload(Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % VOCAB), [B * T], 'i32').keep();
  const lossFn = () =>
    model instanceof EncoderClassifier
      ? crossEntropy(model.forward({ inputIds: ids, attentionMask: mask }), targets)
      : crossEntropy(logitRows(model.forward({ inputIds: ids })), targets);
  const losses: number[] = [];
  const allocated: number[] = [];
  for (let s = 0; s < 3; s++) {
    losses.push((await trainer.step(lossFn, { readLoss: true })).loss!);
    allocated.push(engine.pool.getStats().allocatedBytes);
  }
  const out = await Promise.all(params.map(async (p) => new Uint32Array(((await p.read()) as Float32Array).buffer)));
  for (const t of [ids, mask, targets]) t.release();
  optimizer.release();
  model.release();
  return { losses, params: out, allocated };
}

describe('WASM backend', () => {
  let one: Engine;
  let two: Engine;
  beforeAll(async () => {
    one = new Engine(await WasmBackend.create({ threads: 1 }));
    two = new Engine(await WasmBackend.create({ threads: 2 }));
  });
  afterAll(() => {
    one?.destroy();
    two?.destroy();
  });

  it('runs on two threads when asked, one when asked', () => {
    expect((one.backend as WasmBackend).threadCount).toBe(1);
    expect((two.backend as WasmBackend).threadCount).toBe(2);
    expect(one.kind).toBe('wasm');
    expect(() => one.device).toThrow(/runs on the wasm backend: it has no GPU device/);
  });

  for (const kind of ['encoder', 'decoder'] as const) {
    it(`trains a tiny ${kind} to the same bits on one thread and on two, with memory flat from step to step`, async () => {
      const a = await train(one, kind);
      const b = await train(two, kind);
      expect(a.losses.every(Number.isFinite)).toBe(true);
      expect(a.losses[2]).toBeLessThan(a.losses[0]!);
      expect(b.losses).toEqual(a.losses);
      expect(b.params).toEqual(a.params);
      // The pool reuses the first step's spans: no growth after it.
      expect(a.allocated[2]).toBe(a.allocated[1]);
      expect(b.allocated[2]).toBe(b.allocated[1]);
    });
  }

  it('gives a threaded product on odd shapes bit-identical to one thread', async () => {
    const shapes = [[1, 1, 1], [5, 3, 7], [65, 17, 33], [130, 64, 9]] as const;
    for (const [m, k, n] of shapes) {
      const a = Float32Array.from({ length: 2 * m * k }, (_, i) => Math.sin(i * 0.37));
      const b = Float32Array.from({ length: 2 * k * n }, (_, i) => Math.cos(i * 0.11));
      const run = async (e: Engine) => {
        const x = e.upload(a, [2, m, k]);
        const y = e.upload(b, [2, k, n]);
        const c = matmul(x, y);
        const bits = new Uint32Array(((await c.read()) as Float32Array).buffer);
        for (const t of [x, y, c]) t.release();
        return bits;
      };
      expect(await run(two), `${m}×${k}×${n}`).toEqual(await run(one));
    }
  });

  it('runs thousands of back-to-back threaded products without losing a job (no deadlock, same bits)', async () => {
    // 128×64·64×128 is just above the size that goes to the pool: each product wakes the worker.
    const a = Float32Array.from({ length: 128 * 64 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 64 * 128 }, (_, i) => Math.cos(i));
    const run = async (e: Engine, reps: number) => {
      const x = e.upload(a, [128, 64]);
      const y = e.upload(b, [64, 128]);
      let last: Uint32Array | null = null;
      for (let r = 0; r < reps; r++) {
        const c = matmul(x, y);
        if (r === reps - 1) last = new Uint32Array(((await c.read()) as Float32Array).buffer);
        c.release();
      }
      x.release();
      y.release();
      return last!;
    };
    const before = two.dispatchCount;
    expect(await run(two, 3000)).toEqual(await run(one, 1));
    expect(two.dispatchCount - before).toBe(3000);
  });

  it('gives the KD loss (every divergence; dense, sparse and no teacher; CE mixed in; a row mask) the same bits on one thread and on two, at the CPU twin\'s values', async () => {
    // Rows × vocabulary above the size from which rows are split across threads; an odd vocabulary
    // leaves a tail after the kernel's pairs.
    const [n, v, k] = [67, 1001, 5];
    const student = Float32Array.from(randn(n * v, 11), (x) => 3 * x);
    const teacher = Float32Array.from(randn(n * v, 12), (x, i) => student[i]! + 2 * x);
    const targets = Int32Array.from({ length: n }, (_, r) => (r * 37) % v);
    const mask = Float32Array.from({ length: n }, (_, r) => (r % 5 === 3 ? 0 : 1));
    // The sparse teacher: k distinct ids per row and their teacher log-probs (softmax over v).
    const ids = Int32Array.from({ length: n * k }, (_, i) => ((i % k) * 193 + Math.floor(i / k) * 7) % v);
    const logprobs = Float32Array.from(ids, (id, i) => {
      const row = teacher.subarray(Math.floor(i / k) * v, Math.floor(i / k) * v + v);
      const m = Math.max(...row);
      return row[id]! - m - Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
    });
    const run = async (e: Engine, spec: KdLossSpec, kind: 'dense' | 'sparse' | 'none') => {
      const s = e.upload(student, [n, v], 'f32', { requiresGrad: true, isParam: true });
      const t = kind === 'dense' ? e.upload(teacher, [n, v]) : null;
      const sparse = kind === 'sparse' ? uploadSparseTeacher(e, ids, logprobs, n, k, v) : null;
      const y = e.upload(targets, [n], 'i32');
      const m = e.upload(mask, [n]);
      const loss = kdLoss(s, { spec, ...(t ? { teacherLogits: t } : {}), ...(sparse ? { sparseTeacher: sparse } : {}), targets: y, mask: m });
      const value = (await loss.read()) as Float32Array;
      e.autograd.backward(loss);
      const grad = (await s.grad!.read()) as Float32Array;
      for (const x of [s, s.grad!, t, sparse?.ids, sparse?.logprobs, sparse?.logTail, y, m, loss]) x?.release();
      return { value, grad };
    };
    for (const divergence of DIVERGENCES) {
      for (const kind of ['dense', 'sparse', 'none'] as const) {
        if (kind === 'none' && divergence !== 'fkl') continue;
        const spec: KdLossSpec = { divergence, temperature: kind === 'dense' ? 2 : 1, scaleByT2: true, wCe: 0.5, wKd: kind === 'none' ? 0 : 1 };
        const label = `${divergence} ${kind}`;
        const a = await run(one, spec, kind);
        const b = await run(two, spec, kind);
        expect(new Uint32Array(b.value.buffer), label).toEqual(new Uint32Array(a.value.buffer));
        expect(new Uint32Array(b.grad.buffer), label).toEqual(new Uint32Array(a.grad.buffer));
        const want = cpuKd.kdLoss({ spec, student, n, v, ...(kind === 'dense' ? { teacher } : {}), ...(kind === 'sparse' ? { sparse: { ids, logprobs, k } } : {}), targets, mask });
        for (const r of [compare(`${label} loss`, a.value, [want.loss], { rtol: 1e-5, atol: 1e-6 }), compare(`${label} gradient`, a.grad, want.grad, { rtol: 1e-5, atol: 1e-6 })]) {
          expect(r.ok, `${r.name}: ${r.detail ?? ''}`).toBe(true);
        }
      }
    }
  });

  it('gives elementwise ops, activations, rope, split, the embedding scatter-add, clipping and AdamW over every parameter the same bits on one thread and on two, at the CPU twins\' values', async () => {
    // Sizes above those from which these kernels split across threads, none a multiple of 4.
    const [rows, cols, V, H] = [331, 211, 701, 101];
    const n = rows * cols;
    const a = Float32Array.from(randn(n, 21));
    const b = Float32Array.from(randn(n, 22));
    const bias = Float32Array.from(randn(cols, 23));
    const ids = Int32Array.from({ length: 997 }, (_, i) => (i * i * 13 + 5) % V);
    const gEmb = Float32Array.from(randn(ids.length * H, 24));
    const paramSizes = [n, 7, V * H, 1];
    const init = paramSizes.map((size, i) => Float32Array.from(randn(size, 30 + i)));
    const grads = [0, 1].map((step) => paramSizes.map((size, i) => Float32Array.from(randn(size, 40 + 10 * step + i), (x) => 3 * x)));
    const hyper = { lr: 0.01, betas: [0.9, 0.99] as [number, number], eps: 1e-8, weightDecay: 0.05 };
    const ropeDims = { B: 4, T: 67, nH: 9, D: 66 };
    const q = Float32Array.from(randn(4 * 67 * 9 * 66, 25));
    const positions = Int32Array.from({ length: 4 * 67 }, (_, i) => Math.max(0, (i % 67) - (i / 67 | 0) * 3));
    const run = async (e: Engine) => {
      const out: Float32Array[] = [];
      await e.tidy(async () => {
        const [x, y, bb] = [e.upload(a, [rows, cols]), e.upload(b, [rows, cols]), e.upload(bias, [cols])];
        for (const t of [add(x, y), sub(x, y), mul(x, y), scale(x, -0.37), addBias(x, bb), sumRows(x, cols)]) out.push((await t.read()) as Float32Array);
        // Activations, plain and gated, and their backward passes.
        const [xa, xb] = [e.upload(a, [rows, cols], 'f32', { requiresGrad: true, isParam: true }), e.upload(b, [rows, cols], 'f32', { requiresGrad: true, isParam: true })];
        const [ga, gs] = [gelu(xa), swiglu(xa, xb)];
        for (const t of [ga, gs]) out.push((await t.read()) as Float32Array);
        e.autograd.backward(gs, y);
        for (const t of [xa.grad!, xb.grad!]) out.push((await t.read()) as Float32Array);
        for (const t of [xa, xb]) t.release();
        const qt = e.upload(q, [4, 67, 9, 66]);
        out.push((await rope(qt, { theta: 10000, positionOffset: 3 }).read()) as Float32Array);
        out.push((await rope(qt, { theta: 500, positions: e.upload(positions, [4, 67], 'i32') }).read()) as Float32Array);
        // split: gather into parts, and its backward's scatter (a gradient for the second part only).
        const wide = e.upload(q.subarray(0, 700 * 211), [700, 211], 'f32', { requiresGrad: true, isParam: true });
        const parts = splitLastDim(wide, [100, 111]);
        for (const part of parts) out.push((await part.read()) as Float32Array);
        e.autograd.backward(parts[1]!, e.upload(q.subarray(1000, 1000 + 700 * 111), [700, 111]));
        out.push((await wide.grad!.read()) as Float32Array);
        wide.release();
        const table = e.zeros([V, H], { requiresGrad: true, isParam: true });
        const emb = embedding(e.upload(ids, [ids.length], 'i32'), table);
        e.autograd.backward(emb, e.upload(gEmb, [ids.length, H]));
        out.push((await table.grad!.read()) as Float32Array);
        table.release();
        const params = init.map((x, i) => e.upload(x, [paramSizes[i]!], 'f32', { isParam: true }));
        const opt = new AdamW(params, hyper);
        for (const step of grads) {
          params.forEach((p, i) => (p.grad = e.upload(step[i]!, [paramSizes[i]!]).keep()));
          const { norm, coef } = gradNormScale(params, 5);
          out.push((await norm.read()) as Float32Array);
          opt.step(undefined, coef);
          opt.zeroGrad();
        }
        for (const p of params) out.push((await p.read()) as Float32Array);
        opt.release();
        for (const p of params) p.release();
      });
      return out;
    };
    const one1 = await run(one);
    const two2 = await run(two);
    one1.forEach((x, i) => expect(new Uint32Array(two2[i]!.buffer), `output ${i}`).toEqual(new Uint32Array(x.buffer)));
    const [da, db] = [Float64Array.from(a), Float64Array.from(b)];
    const want: Float64Array[] = [
      cpuElementwise.add(da, db),
      cpuElementwise.sub(da, db),
      cpuElementwise.mul(da, db),
      cpuElementwise.scale(da, -0.37),
      cpuElementwise.addBias(da, Float64Array.from(bias)),
      cpuElementwise.sumRows(da, cols),
      cpuActivation.gelu(da),
      cpuActivation.swiglu(da, db),
      ...cpuActivation.swigluBackward(da, db, db),
      cpuRope.rope(Float64Array.from(q), ropeDims, { theta: 10000, offset: 3 }),
      cpuRope.rope(Float64Array.from(q), ropeDims, { theta: 500, positions: Float64Array.from(positions) }),
      ...cpuSplit.splitLastDim(Float64Array.from(q.subarray(0, 700 * 211)), [100, 111]),
      cpuSplit.splitLastDimBackward([null, Float64Array.from(q.subarray(1000, 1000 + 700 * 111))], [100, 111], 700),
      cpuEmbedding.embeddingBackward(ids, Float64Array.from(gEmb), V, H),
    ];
    const params = init.map((x) => Float64Array.from(x));
    const moments = params.map((p) => [new Float64Array(p.length), new Float64Array(p.length)] as const);
    grads.forEach((step, t) => {
      const { norm, clipped } = cpuOptim.clipGradNorm(step, 5);
      want.push(Float64Array.of(norm));
      params.forEach((p, i) => cpuOptim.adamwStep(p, clipped[i]!, moments[i]![0], moments[i]![1], t + 1, hyper));
    });
    want.push(...params);
    expect(one1.length).toBe(want.length);
    for (const [i, w] of want.entries()) {
      const r = compare(`output ${i}`, one1[i]!, w, { rtol: 1e-4, atol: 1e-5 });
      expect(r.ok, `${r.name}: ${r.detail ?? ''}`).toBe(true);
    }
  });

  it('lets the event loop run at each read, so a message (the studio\'s Stop) reaches a training loop between steps', async () => {
    // Kernels run synchronously: without a real turn of the event loop at reads, this message
    // (as Stop reaches the trainer worker) would only be delivered after the loop.
    let step = 0;
    let heardAt = -1;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => (heardAt = step);
    channel.port2.postMessage('stop');
    for (step = 1; step <= 200 && heardAt < 0; step++) {
      const t = one.upload([step], [1]);
      await t.read();
      t.release();
    }
    channel.port1.close();
    expect(heardAt).toBeGreaterThan(0);
    expect(heardAt).toBeLessThan(200);
  });

  it('refuses a tensor larger than its memory with the figures, and keeps working', async () => {
    expect(() => one.empty([1024, 1024, 1024, 2])).toThrow(GpuMemoryError);
    expect(() => one.empty([1024, 1024, 1024, 2])).toThrow(/does not fit the WASM backend's 4 GiB memory/);
    const t = one.upload([1, 2, 3], [3]);
    expect(Array.from((await t.read()) as Float32Array)).toEqual([1, 2, 3]);
    t.release();
  });
});
