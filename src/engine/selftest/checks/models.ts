// Whole-model checks for nn/: a tiny encoder classifier and a tiny decoder (grouped-query heads,
// padding) on the GPU against the float64 forward composed from the CPU references
// (nn/reference.ts). Ops that pass alone but are wired wrongly together fail here.
import type { OpCheck } from '../check.ts';
import type { Tensor } from '../../tensor.ts';
import { EncoderClassifier } from '../../nn/encoder.ts';
import { DecoderLM } from '../../nn/decoder.ts';
import { decoderConfig, encoderConfig } from '../../nn/config.ts';
import { seededInit, type Initializer, type Model } from '../../nn/module.ts';
import { decoderForwardRef, encoderForwardRef } from '../../nn/reference.ts';
import { EngineError } from '../../errors.ts';

const B = 2;
const T = 5;
const IDS = Float64Array.from([1, 7, 3, 12, 5, 9, 2, 11, 4, 0]);
const MASK = Float64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);

/** An initializer that remembers what it produced, so the CPU side uses the very same weights. */
function recordingInit(seed: number): { init: Initializer; values: Map<string, Float32Array> } {
  const base = seededInit(seed, 0.3);
  const values = new Map<string, Float32Array>();
  return { values, init: (name, shape, kind) => {
    const v = base(name, shape, kind);
    values.set(name, v);
    return v;
  } };
}

/** Runs a model's forward without recording gradients and frees its weights afterwards. */
function forwardOnce<M extends Model<unknown>>(model: M, run: (m: M) => Tensor): Tensor {
  try {
    return model.engine.autograd.noGrad(() => run(model));
  } finally {
    model.release();
  }
}

function needValues(values: Map<string, Float32Array>): Map<string, Float32Array> {
  if (values.size === 0) throw new EngineError('model check: run the GPU side first (it draws the weights)');
  return values;
}

const encoder = encoderConfig({ hidden: 16, layers: 2, heads: 2, intermediate: 24, maxPosition: 16 }, { vocabSize: 13, numClasses: 3, pooling: 'mean' });
const encoderWeights = recordingInit(31);
const decoder = decoderConfig({ hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, maxPosition: 16 }, { vocabSize: 13 });
const decoderWeights = recordingInit(32);

export const checks: OpCheck[] = [
  {
    name: 'model: encoder classifier forward (padding, mean pooling)',
    inputs: [
      { shape: [B, T], dtype: 'i32', data: IDS },
      { shape: [B, T], data: MASK, grad: false },
    ],
    gpu: ([ids, mask]) => forwardOnce(new EncoderClassifier(ids!.engine, encoder, encoderWeights.init), (m) => m.forward({ inputIds: ids!, attentionMask: mask! })),
    cpuForward: ([ids, mask]) => encoderForwardRef(encoder, needValues(encoderWeights.values), ids!, mask!, B, T),
    tol: 1e-3,
  },
  {
    name: 'model: decoder forward (grouped-query attention)',
    inputs: [{ shape: [B, T], dtype: 'i32', data: IDS }],
    gpu: ([ids]) => forwardOnce(new DecoderLM(ids!.engine, decoder, decoderWeights.init), (m) => m.forward({ inputIds: ids! })),
    cpuForward: ([ids]) => decoderForwardRef(decoder, needValues(decoderWeights.values), ids!, B, T),
    tol: 1e-3,
  },
];
