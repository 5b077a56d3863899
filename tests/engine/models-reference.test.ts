// Model-level check: the GPU models' logits against a float64 CPU forward composed from the ops'
// CPU references (src/engine/nn/reference.ts), with padding, grouped-query heads and each pooling.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { decoderConfig, encoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit, type Model } from '../../src/engine/nn/module.ts';
import { decoderForwardRef, encoderForwardRef } from '../../src/engine/nn/reference.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { parameterCount } from '../../src/engine/nn/size.ts';
import type { PoolKind } from '../../src/engine/ops/pooling.ts';

async function values(model: Model<unknown>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const { name, tensor } of model.parameters()) out.set(name, (await tensor.read()) as Float32Array);
  return out;
}

describe('GPU models match the CPU reference forward', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  const ids = [1, 7, 3, 12, 5, 9, 2, 0, 4, 4, 11, 0];
  const mask = [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0];

  for (const pooling of ['cls', 'mean', 'last'] as PoolKind[]) {
    it(`encoder classifier with ${pooling} pooling and padding`, async () => {
      const config = encoderConfig({ hidden: 16, layers: 2, heads: 2, intermediate: 24, maxPosition: 16 }, { vocabSize: 13, numClasses: 3, pooling });
      const model = new EncoderClassifier(engine, config, seededInit(21, 0.3));
      const got = await engine.autograd.noGrad(() =>
        engine.tidy(async () => model.forward({ inputIds: engine.upload(Int32Array.from(ids), [2, 6], 'i32'), attentionMask: engine.upload(Float32Array.from(mask), [2, 6]) }).read()),
      );
      expect(model.parameterCount()).toBe(parameterCount(config));
      const want = encoderForwardRef(config, await values(model), ids, mask, 2, 6);
      const result = compare(`encoder ${pooling}`, got, want, 1e-3);
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      model.release();
    });
  }

  it('decoder with grouped-query attention and q/k/v biases', async () => {
    const config = decoderConfig({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 40, maxPosition: 16 }, { vocabSize: 13 });
    const model = new DecoderLM(engine, config, seededInit(22, 0.3));
    const got = await engine.autograd.noGrad(() => engine.tidy(async () => model.forward({ inputIds: engine.upload(Int32Array.from(ids), [2, 6], 'i32') }).read()));
    expect(model.parameterCount()).toBe(parameterCount(config));
    const want = decoderForwardRef(config, await values(model), ids, 2, 6);
    const result = compare('decoder', got, want, 1e-3);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    model.release();
  });
});
