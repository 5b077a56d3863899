// Live pooled GPU memory stays flat while training: every step releases what it allocated, so
// the bytes in use after step 5 (optimizer state and gradients exist by then) equal those after step 50.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { decoderConfig, encoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { logitRows, nextTokenBatch, Trainer } from '../../src/engine/nn/train.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';
import { mulberry32 } from '../../src/engine/random.ts';
import type { WebGpuBackend } from '../../src/engine/webgpu-backend.ts';

describe('training memory', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  it('live pooled memory is the same after step 5 and step 50, one submission per step (decoder, varying batches, clipping, loss reads)', async () => {
    const idle = engine.pool.getStats().liveBytes;
    const model = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: 24 }), seededInit(1));
    const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    const trainer = new Trainer(engine, model.trainableParameters(), optimizer, { clipNorm: 1, readLossEvery: 7 });
    const r = mulberry32(2);
    const live: number[] = [];
    let submitsAfterStep5 = 0;
    for (let step = 1; step <= 50; step++) {
      if (step === 6) submitsAfterStep5 = engine.submitCount;
      // Sequence lengths vary from step to step, as they do with real data.
      const len = 4 + Math.floor(r() * 6);
      const sequences = [0, 1, 2].map(() => Array.from({ length: len }, () => Math.floor(r() * 24)));
      await trainer.step(() => {
        const b = nextTokenBatch(engine, sequences);
        return crossEntropy(logitRows(model.forward({ inputIds: b.inputIds })), b.targets, b.mask);
      });
      live.push(engine.pool.getStats().liveBytes);
    }
    // One command submission per step, whether or not it reads the loss back.
    expect(engine.submitCount - submitsAfterStep5).toBe(45);
    await engine.sync();
    expect(live[4]).toBeGreaterThan(idle);
    expect(live[49]).toBe(live[4]);
    expect(new Set(live.slice(4)).size).toBe(1);
    optimizer.release();
    model.release();
    expect(engine.pool.getStats().liveBytes).toBe(idle);
  });

  it('is flat for the encoder classifier too', async () => {
    const model = new EncoderClassifier(engine, encoderConfig('tiny', { vocabSize: 24, numClasses: 3 }), seededInit(1));
    const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    const trainer = new Trainer(engine, model.trainableParameters(), optimizer, { readLossEvery: 10 });
    const live: number[] = [];
    for (let step = 1; step <= 50; step++) {
      await trainer.step(() => {
        const ids = engine.upload(Int32Array.from({ length: 12 }, (_, i) => (i * 7 + step) % 24), [2, 6], 'i32');
        const mask = engine.upload(Float32Array.from({ length: 12 }, (_, i) => (i % 6 < 4 + (step % 3) ? 1 : 0)), [2, 6]);
        return crossEntropy(model.forward({ inputIds: ids, attentionMask: mask }), engine.upload(Int32Array.from([step % 3, (step + 1) % 3]), [2], 'i32'));
      });
      live.push(engine.pool.getStats().liveBytes);
    }
    expect(live[49]).toBe(live[4]);
    optimizer.release();
    model.release();
  });
});

// Recording an op is mostly createBindGroup on this adapter: a step of fixed shapes binds the same
// pooled buffers every time, so after the first steps it reuses bind groups instead of making them.
describe('bind groups across steps (WebGPU)', () => {
  it('a training step of fixed shapes makes no new bind groups once warm, and trains the same as a fresh engine', async () => {
    const device = (await testDevice()).device;
    const run = async (steps: number) => {
      const engine = new Engine(device);
      const backend = engine.backend as WebGpuBackend;
      const model = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: 24 }), seededInit(3));
      const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
      const trainer = new Trainer(engine, model.trainableParameters(), optimizer, { clipNorm: 1, readLossEvery: 1 });
      const sequences = [0, 1].map((s) => Array.from({ length: 7 }, (_, i) => (i * 5 + s * 3) % 24));
      const created: number[] = [];
      const losses: number[] = [];
      for (let step = 0; step < steps; step++) {
        const { loss } = await trainer.step(() => {
          const b = nextTokenBatch(engine, sequences);
          return crossEntropy(logitRows(model.forward({ inputIds: b.inputIds })), b.targets, b.mask);
        });
        losses.push(loss!);
        created.push(backend.bindGroupsCreated);
      }
      optimizer.release();
      model.release();
      engine.destroy();
      return { created, losses };
    };
    const long = await run(8);
    expect(long.created[0]).toBeGreaterThan(50);
    // Steps 5–8 bound only what earlier steps had bound.
    expect(long.created[7]).toBe(long.created[3]);
    // A cached bind group names the same buffers a fresh one would: the losses are those of a fresh engine.
    const short = await run(4);
    expect(short.losses).toEqual(long.losses.slice(0, 4));
    expect(long.losses[7]).toBeLessThan(long.losses[0]!);
  });
});
