// trainingMemoryEstimate (nn/size.ts) against what the buffer pool really allocates for one AdamW
// training step, on tiny shapes chosen so that few of them are powers of two (pool rounding shows).
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { decoderConfig, encoderConfig, type ModelConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { loraParameterCount, trainingMemoryEstimate } from '../../src/engine/nn/size.ts';
import { applyLora, type LoraSpec } from '../../src/engine/nn/lora.ts';
import { logitRows, nextTokenBatch, Trainer } from '../../src/engine/nn/train.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';

let engine: Engine;
beforeAll(async () => {
  engine = new Engine((await testDevice()).device);
});

/** Bytes the pool allocated for building `config` and taking one training step on B × T tokens. */
async function measuredStep(config: ModelConfig, B: number, T: number, lora?: LoraSpec): Promise<number> {
  engine.pool.trim();
  const before = engine.pool.getStats().allocatedBytes;
  const model = config.kind === 'decoder' ? new DecoderLM(engine, config, seededInit(1)) : new EncoderClassifier(engine, config, seededInit(1));
  if (lora) applyLora(model, lora);
  const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
  const trainer = new Trainer(engine, model.trainableParameters(), optimizer, { clipNorm: 1 });
  const V = config.vocabSize;
  await trainer.step(() => {
    if (model instanceof DecoderLM) {
      const batch = nextTokenBatch(engine, Array.from({ length: B }, (_, b) => Array.from({ length: T + 1 }, (_, t) => (b * 31 + t * 7) % V)));
      return crossEntropy(logitRows(model.forward({ inputIds: batch.inputIds })), batch.targets, batch.mask);
    }
    const ids = engine.upload(Int32Array.from({ length: B * T }, (_, i) => (i * 7) % V), [B, T], 'i32');
    const mask = engine.upload(new Float32Array(B * T).fill(1), [B, T]);
    return crossEntropy(model.forward({ inputIds: ids, attentionMask: mask }), engine.upload(Int32Array.from({ length: B }, (_, i) => i % 3), [B], 'i32'));
  }, { readLoss: true });
  await engine.sync();
  const allocated = engine.pool.getStats().allocatedBytes - before;
  optimizer.release();
  model.release();
  return allocated;
}

describe('training memory estimate', () => {
  const dims = { hidden: 48, layers: 3, heads: 4, intermediate: 96, maxPosition: 128 };
  const cases: [string, ModelConfig, number, number][] = [
    ['tiny decoder, 3 × 24 tokens, V 100', decoderConfig('tiny', { vocabSize: 100 }), 3, 24],
    ['tiny decoder, 6 × 100 tokens, V 1000', decoderConfig('tiny', { vocabSize: 1000 }), 6, 100],
    ['48-wide 3-layer decoder (GQA), 5 × 40 tokens, V 300', decoderConfig({ ...dims, kvHeads: 2 }, { vocabSize: 300 }), 5, 40],
    ['tiny encoder, 6 × 100 tokens, V 1000', encoderConfig('tiny', { vocabSize: 1000, numClasses: 3 }), 6, 100],
    ['48-wide 3-layer encoder, 5 × 40 tokens, V 300', encoderConfig(dims, { vocabSize: 300, numClasses: 3 }), 5, 40],
  ];
  for (const [name, config, B, T] of cases) {
    it(`is within 20% of the pool's allocation: ${name}`, async () => {
      const measured = await measuredStep(config, B, T);
      const estimate = trainingMemoryEstimate(config, B, T);
      expect(estimate.totalBytes).toBe(estimate.parameterBytes + estimate.activationBytes);
      expect(measured / estimate.totalBytes).toBeGreaterThan(0.8);
      expect(measured / estimate.totalBytes).toBeLessThan(1.2);
    });
  }

  it('counts a frozen base at its weights alone under LoRA (no gradients, no moments): within 20% of the pool', async () => {
    // Weights dominate at this shape, so the frozen base's 4 bytes per parameter show.
    const config = decoderConfig({ hidden: 96, layers: 3, heads: 4, kvHeads: 2, intermediate: 192, maxPosition: 64 }, { vocabSize: 500 });
    const lora = { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'] };
    const estimate = trainingMemoryEstimate(config, 1, 8, { lora: { modules: lora.targets, rank: lora.rank } });
    expect(loraParameterCount(config, lora.targets, lora.rank)).toBe(3 * 4 * ((96 + 96) + (96 + 48))); // layers × rank × (q: 96→96, v: 96→48)
    const measured = await measuredStep(config, 1, 8, lora);
    expect(measured / estimate.totalBytes).toBeGreaterThan(0.8);
    expect(measured / estimate.totalBytes).toBeLessThan(1.2);
    // …against full fine-tuning of the same model, which holds four times the parameter bytes.
    const full = trainingMemoryEstimate(config, 1, 8);
    expect(full.parameterBytes / estimate.parameterBytes).toBeGreaterThan(3.5);
    expect((await measuredStep(config, 1, 8)) / measured).toBeGreaterThan(2.5);
  });

  it('grows with the batch and the sequence, and names the logits as the decoder’s largest buffer', () => {
    const config = decoderConfig('base', { vocabSize: 8192 });
    const a = trainingMemoryEstimate(config, 8, 256);
    expect(trainingMemoryEstimate(config, 16, 256).activationBytes).toBe(2 * a.activationBytes);
    expect(trainingMemoryEstimate(config, 8, 512).totalBytes).toBeGreaterThan(a.totalBytes);
    expect(a.largestBufferBytes).toBe(8 * 256 * 8192 * 4);
  });
});
