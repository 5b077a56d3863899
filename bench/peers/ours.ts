// Our engine as a contender: the same ops and Trainer a user's training run goes through.
import { Engine } from '../../src/engine/runtime.ts';
import type { WasmBackend } from '../../src/engine/wasm/backend.ts';
import type { Tensor } from '../../src/engine/tensor.ts';
import { matmul } from '../../src/engine/ops/matmul.ts';
import { add } from '../../src/engine/ops/elementwise.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { Trainer, logitRows } from '../../src/engine/nn/train.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { decoderConfig, encoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import type { EncoderDims, DecoderDims } from '../../src/engine/presets.ts';
import { TINY_X, TINY_Y, sequential, type Contender, type Prepared, type Weights } from './contender.ts';
import { ADAMW, trainingBatch, type MatmulCase, type TrainingCase } from './workloads.ts';

function buildModel(engine: Engine, c: TrainingCase): EncoderClassifier | DecoderLM {
  return c.model === 'encoder'
    ? new EncoderClassifier(engine, encoderConfig(c.dims as EncoderDims, { vocabSize: c.vocab, numClasses: c.classes }), seededInit(0))
    : new DecoderLM(engine, decoderConfig(c.dims as DecoderDims, { vocabSize: c.vocab }), seededInit(0));
}

/** The initial weights every contender starts the training rows from (our seeded init). */
export async function initialWeights(engine: Engine, c: TrainingCase): Promise<Weights> {
  const model = buildModel(engine, c);
  try {
    const weights: Weights = new Map();
    for (const { name, tensor } of model.parameters()) weights.set(name, { shape: [...tensor.shape], data: (await tensor.read()) as Float32Array });
    return weights;
  } finally {
    model.release();
  }
}

/** Computes a tensor, reads it back and releases it. */
async function readOnce(engine: Engine, fn: () => Tensor): Promise<Float32Array> {
  const t = engine.tidy(fn);
  try {
    return (await t.read()) as Float32Array;
  } finally {
    t.release();
  }
}

/** Records `run` `reps` times into one submission (as a training step is recorded) and waits. */
async function repeat(engine: Engine, run: () => Tensor, reps: number): Promise<void> {
  engine.tidy(() => {
    for (let i = 0; i < reps; i++) run();
  });
  await engine.sync();
}

export function oursContender(engine: Engine): Contender {
  return {
    name: 'ours',
    detail: engine.kind === 'wasm' ? `Lantern engine (WASM SIMD, ${(engine.backend as WasmBackend).threadCount} thread(s))` : 'Lantern engine (WGSL, one submission per step)',
    async matmul(c: MatmulCase, a: Float32Array, b: Float32Array): Promise<Prepared<Float32Array>> {
      const lead = c.batch > 1 ? [c.batch] : [];
      const ta = engine.upload(a, [...lead, c.m, c.k]).keep();
      const tb = engine.upload(b, [...lead, c.k, c.n]).keep();
      const answer = await readOnce(engine, () => matmul(ta, tb));
      return {
        answer,
        run: (reps) => repeat(engine, () => matmul(ta, tb), reps),
        dispose: () => (ta.release(), tb.release()),
      };
    },
    async training(c: TrainingCase, weights: Weights): Promise<Prepared<[number, number]>> {
      void weights; // ours is where the weights come from (the same seeded init)
      const model = buildModel(engine, c);
      const params = model.trainableParameters();
      const optimizer = new AdamW(params, { ...ADAMW });
      const trainer = new Trainer(engine, params, optimizer, { readLossEvery: 1_000_000 });
      const { ids, targets } = trainingBatch(c);
      const inputIds = engine.upload(ids, [c.batch, c.seqLen], 'i32').keep();
      const attentionMask = engine.full([c.batch, c.seqLen], 1).keep();
      const target = engine.upload(targets, [targets.length], 'i32').keep();
      const lossFn =
        model instanceof EncoderClassifier
          ? () => crossEntropy(model.forward({ inputIds, attentionMask }), target)
          : () => crossEntropy(logitRows(model.forward({ inputIds })), target);
      const first = (await trainer.step(lossFn, { readLoss: true })).loss!;
      const second = (await trainer.step(lossFn, { readLoss: true })).loss!;
      return {
        answer: [first, second],
        async run(reps) {
          for (let i = 0; i < reps; i++) await trainer.step(lossFn, { readLoss: i === reps - 1 });
        },
        dispose() {
          for (const t of [inputIds, attentionMask, target]) t.release();
          optimizer.release();
          model.release();
        },
      };
    },
    async tinyOp() {
      const x = engine.upload(TINY_X, [4]).keep();
      const y = engine.upload(TINY_Y, [4]).keep();
      return sequential(() => readOnce(engine, () => add(x, y)), () => (x.release(), y.release()));
    },
    async tinyChain(length: number) {
      const x = engine.upload(TINY_X, [4]).keep();
      const y = engine.upload(TINY_Y, [4]).keep();
      const chain = () => {
        let z = x;
        for (let i = 0; i < length; i++) z = add(z, y);
        return z;
      };
      return sequential(() => readOnce(engine, chain), () => (x.release(), y.release()));
    },
    destroy() {
      engine.destroy();
    },
  };
}
