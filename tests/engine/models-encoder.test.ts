// A tiny encoder classifier learns a generated separable task: the class is which "signal" token
// appears somewhere in a variable-length, padded sequence of noise tokens.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { encoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { Trainer } from '../../src/engine/nn/train.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';
import { mulberry32 } from '../../src/engine/random.ts';
import type { PoolKind } from '../../src/engine/ops/pooling.ts';
import { argmax } from '../../src/engine/nn/sampling.ts';

const VOCAB = 24;
const CLASSES = 3;
const CLS = 1;
const T = 8;

interface Example {
  ids: number[];
  label: number;
}

/** [CLS] + noise (ids 5..23) with one signal token (2 + label) at a random place; 4..7 tokens, then padding (0). */
function makeExamples(n: number, seed: number): Example[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const label = Math.floor(r() * CLASSES);
    const len = 4 + Math.floor(r() * (T - 3));
    const ids = [CLS, ...Array.from({ length: len - 1 }, () => 5 + Math.floor(r() * (VOCAB - 5)))];
    ids[1 + Math.floor(r() * (len - 1))] = 2 + label;
    return { ids, label };
  });
}

function upload(engine: Engine, examples: Example[]) {
  const ids = new Int32Array(examples.length * T);
  const mask = new Float32Array(examples.length * T);
  examples.forEach((e, b) => e.ids.forEach((id, t) => ((ids[b * T + t] = id), (mask[b * T + t] = 1))));
  return {
    inputIds: engine.upload(ids, [examples.length, T], 'i32'),
    attentionMask: engine.upload(mask, [examples.length, T]),
    labels: engine.upload(Int32Array.from(examples.map((e) => e.label)), [examples.length], 'i32'),
  };
}

async function accuracy(engine: Engine, model: EncoderClassifier, examples: Example[]): Promise<number> {
  const logits = await engine.autograd.noGrad(() => engine.tidy(async () => (await model.forward(upload(engine, examples)).read()) as Float32Array));
  return examples.filter((e, i) => argmax(logits, i * CLASSES, CLASSES) === e.label).length / examples.length;
}

describe('EncoderClassifier', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  const train = makeExamples(256, 1);
  const heldOut = makeExamples(96, 2);

  // Checked every 10 steps; training stops once held-out accuracy reaches 95% (early stopping).
  for (const pooling of ['mean', 'cls'] as PoolKind[]) {
    it(`reaches ≥ 95% held-out accuracy with ${pooling} pooling`, async () => {
      const model = new EncoderClassifier(engine, encoderConfig('tiny', { vocabSize: VOCAB, numClasses: CLASSES, pooling }), seededInit(3));
      const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-2, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.01 });
      const trainer = new Trainer(engine, model.trainableParameters(), optimizer, { clipNorm: 1, readLossEvery: 10 });
      const before = await accuracy(engine, model, heldOut);
      const history: string[] = [];
      const batch = 16;
      let after = before;
      for (let step = 0; step < 120 && after < 0.95; step++) {
        const at = (step * batch) % train.length;
        const { loss } = await trainer.step(() => {
          const b = upload(engine, train.slice(at, at + batch));
          return crossEntropy(model.forward(b), b.labels);
        });
        if (loss !== null) {
          after = await accuracy(engine, model, heldOut);
          history.push(`step ${step + 1}: loss ${loss.toFixed(3)} accuracy ${after.toFixed(3)}`);
        }
      }
      expect(before).toBeLessThan(0.6);
      expect(after, history.join('; ')).toBeGreaterThanOrEqual(0.95);
      optimizer.release();
      model.release();
    });
  }
});
