// Token-level distillation: a student decoder trained with each divergence against a fixed tiny
// teacher gets closer to it — its divergence from the teacher on held-out inputs falls.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { decoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit, type Initializer } from '../../src/engine/nn/module.ts';
import { logitRows, Trainer } from '../../src/engine/nn/train.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { kdLoss } from '../../src/engine/ops/kd-loss.ts';
import { DIVERGENCES, type KdLossSpec } from '../../src/engine/kd-spec.ts';
import { mulberry32 } from '../../src/engine/random.ts';

const VOCAB = 24;
const B = 4;
const T = 8;

function randomIds(seed: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: B * T }, () => Math.floor(r() * VOCAB));
}

describe('distillation from a fixed teacher', () => {
  let engine: Engine;
  let teacher: DecoderLM;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
    // Large embeddings and small layer weights: a peaked teacher whose next-token distribution
    // depends mostly on the current token, a function a tiny student can learn in a few steps.
    const embeddings = seededInit(100, 0.3);
    const layers = seededInit(100, 0.02);
    const init: Initializer = (name, shape, kind) => (name === 'model.embed_tokens.weight' ? embeddings : layers)(name, shape, kind);
    teacher = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: VOCAB }), init);
  });
  afterAll(() => teacher.release());

  const heldOut = randomIds(999);

  /** The divergence (no CE, no T² scaling) of the student from the teacher on the held-out batch. */
  async function heldOutDivergence(student: DecoderLM, spec: KdLossSpec): Promise<number> {
    return engine.autograd.noGrad(() =>
      engine.tidy(async () => {
        const ids = engine.upload(heldOut, [B, T], 'i32');
        const teacherLogits = logitRows(teacher.forward({ inputIds: ids }));
        const loss = kdLoss(logitRows(student.forward({ inputIds: ids })), { spec: { ...spec, scaleByT2: false, wCe: 0, wKd: 1 }, teacherLogits });
        return (await loss.read())[0]!;
      }),
    );
  }

  for (const divergence of DIVERGENCES) {
    it(`${divergence}: the student's held-out divergence falls`, async () => {
      const spec: KdLossSpec = { divergence, temperature: 2, scaleByT2: true, wCe: 0, wKd: 1 };
      const student = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: VOCAB }), seededInit(7));
      const optimizer = new AdamW(student.trainableParameters(), { lr: 1e-2, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0 });
      const trainer = new Trainer(engine, student.trainableParameters(), optimizer, { clipNorm: 1, readLossEvery: 1000 });
      const before = await heldOutDivergence(student, spec);
      for (let step = 0; step < 30; step++) {
        const ids = randomIds(step + 1);
        await trainer.step(() => {
          const input = engine.upload(ids, [B, T], 'i32');
          const teacherLogits = engine.autograd.noGrad(() => logitRows(teacher.forward({ inputIds: input })));
          return kdLoss(logitRows(student.forward({ inputIds: input })), { spec, teacherLogits });
        });
      }
      const after = await heldOutDivergence(student, spec);
      expect(before).toBeGreaterThan(0);
      expect(after, `${divergence}: ${before} → ${after}`).toBeLessThan(0.5 * before);
      optimizer.release();
      student.release();
    });
  }
});
