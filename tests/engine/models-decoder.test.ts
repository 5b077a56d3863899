// A tiny decoder memorises a small fixed corpus: its next-token loss falls by ≥ 80%, then greedy
// generation from each sequence's opening reproduces the rest exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { decoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { logitRows, nextTokenBatch, Trainer } from '../../src/engine/nn/train.ts';
import { generate } from '../../src/engine/nn/generate.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';
import { mulberry32 } from '../../src/engine/random.ts';
import { compare } from '../../src/engine/selftest/check.ts';

const VOCAB = 32;
const EOS = 1;

/** Four random sentences with distinct first two tokens, each ending in EOS. */
function corpus(): number[][] {
  const r = mulberry32(5);
  return [0, 1, 2, 3].map((i) => [2 + 2 * i, 3 + 2 * i, ...Array.from({ length: 10 }, () => 2 + Math.floor(r() * (VOCAB - 2))), EOS]);
}

describe('DecoderLM', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  it('cuts its loss on a fixed corpus by ≥ 80% and then generates a memorised sequence exactly', async () => {
    const sequences = corpus();
    const model = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: VOCAB, eosTokenId: EOS }), seededInit(9));
    const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-2, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0 });
    const trainer = new Trainer(engine, model.trainableParameters(), optimizer, { readLossEvery: 20 });
    const lossFn = () => {
      const b = nextTokenBatch(engine, sequences);
      return crossEntropy(logitRows(model.forward({ inputIds: b.inputIds })), b.targets, b.mask);
    };
    const losses: number[] = [];
    for (let step = 0; step < 120; step++) {
      const { loss } = await trainer.step(lossFn, { readLoss: step === 0 || undefined });
      if (loss !== null) losses.push(loss);
    }
    const first = losses[0]!;
    const last = losses.at(-1)!;
    expect(first).toBeGreaterThan(Math.log(VOCAB) * 0.9); // starts near uniform
    expect(last, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThanOrEqual(0.2 * first);

    const generations = await generate(model, sequences.map((s) => s.slice(0, 2)), { maxNewTokens: 16, stopTokens: [EOS] });
    generations.forEach((g, i) => expect(g).toEqual({ tokens: sequences[i]!.slice(2, -1), finishReason: 'stop' }));
    optimizer.release();
    model.release();
  });

  it('accumulates gradients over micro-batches into the update of the whole batch', async () => {
    const sequences = corpus();
    // eps = 1 keeps AdamW's first update smooth in the gradient (≈ lr·g), so the two are comparable.
    const train = async (split: boolean) => {
      const model = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: VOCAB }), seededInit(9));
      const optimizer = new AdamW(model.trainableParameters(), { lr: 0.1, betas: [0.9, 0.999], eps: 1, weightDecay: 0 });
      const trainer = new Trainer(engine, model.trainableParameters(), optimizer);
      const lossOf = (rows: number[][]) => () => {
        const b = nextTokenBatch(engine, rows);
        return crossEntropy(logitRows(model.forward({ inputIds: b.inputIds })), b.targets, b.mask);
      };
      const { loss } = await trainer.step(split ? [lossOf(sequences.slice(0, 2)), lossOf(sequences.slice(2))] : lossOf(sequences), { readLoss: true });
      const weights = (await model.params.get('model.layers.0.mlp.up_proj.weight')!.read()) as Float32Array;
      const embed = (await model.params.get('model.embed_tokens.weight')!.read()) as Float32Array;
      optimizer.release();
      model.release();
      return { loss: loss!, weights, embed };
    };
    const whole = await train(false);
    const accumulated = await train(true);
    expect(accumulated.loss).toBeCloseTo(whole.loss, 5);
    expect(compare('accumulated up_proj', accumulated.weights, whole.weights, 1e-5)).toMatchObject({ ok: true });
    expect(compare('accumulated embeddings', accumulated.embed, whole.embed, 1e-5)).toMatchObject({ ok: true });
    const init = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: VOCAB }), seededInit(9));
    expect(await init.params.get('model.layers.0.mlp.up_proj.weight')!.read()).not.toEqual(whole.weights); // the step did move them
    init.release();
  });
});
