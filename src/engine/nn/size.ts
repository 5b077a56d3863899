// Model size from its config alone (no GPU): parameter counts as the models build them, the
// bytes of f32 state training keeps per parameter (weight, gradient, AdamW m and v), and the
// memory a training step needs, so a config that cannot fit is refused before anything is built.
import { headDim, type ModelConfig } from './config.ts';
import { bucketSize } from '../pool.ts';

export function parameterCount(config: ModelConfig): number {
  const { hidden: H, intermediate: I, layers, vocabSize: V } = config;
  if (config.kind === 'encoder') {
    const norm = 2 * H; // LayerNorm weight and bias
    const layer = 2 * norm + 3 * H * H + H * H + 2 * I * H + I * H; // attn_norm, Wqkv, Wo, mlp_norm, Wi, Wo
    const head = H * H + H + norm; // dense (with bias) and norm
    // Embeddings and their norm; layer 0 has no attn_norm; final norm; head; classifier.
    return V * H + norm + layers * layer - norm + norm + head + config.numClasses * (H + 1);
  }
  const kv = config.kvHeads * headDim(config);
  const bias = (config.attentionBias ? H + 2 * kv : 0) + (config.outputBias ? H : 0) + (config.mlpBias ? 2 * I + H : 0);
  const layer = 2 * H + H * H + 2 * kv * H + bias + H * H + 3 * I * H;
  // A tied output projection adds nothing; lm_head.weight adds V·H.
  return V * H + layers * layer + H + (config.tieWordEmbeddings === false ? V * H : 0);
}

/** Weight + gradient + AdamW's two moments, f32. */
export const TRAINING_BYTES_PER_PARAMETER = 16;

/** What one training step of a model holds in the engine's buffer pool, by part, in bytes. */
export interface TrainingMemoryEstimate {
  /** Weights, gradients and AdamW moments (TRAINING_BYTES_PER_PARAMETER per parameter). */
  parameterBytes: number;
  /** Activations kept for backward, their gradients and the logits, rounded to the pool's buckets. */
  activationBytes: number;
  totalBytes: number;
  /** The largest single buffer: the [B·T, V] logits for a decoder, else a [B·T, intermediate] activation. */
  largestBufferBytes: number;
}

/**
 * The buffer-pool allocation one AdamW training step of `config` reaches on a batch of `batch`
 * sequences of `seqLen` tokens (next-token cross-entropy for a decoder, classification for an
 * encoder). Activations are f32 values per token row: the counts below are fitted to
 * `engine.pool.getStats().allocatedBytes` after a training step (tests/engine/memory-estimate.test.ts
 * checks them against the pool on tiny shapes; they reproduce the engine README's table within 7%).
 * A decoder keeps about 4.4 copies of its [rows, V] logits (logits, their row view, their
 * gradient, the loss's working rows).
 */
export function trainingMemoryEstimate(config: ModelConfig, batch: number, seqLen: number): TrainingMemoryEstimate {
  const rows = batch * seqLen;
  const { hidden: H, intermediate: I, layers } = config;
  const act = (width: number, copies: number) => copies * bucketSize(rows * width * 4);
  let activationBytes: number;
  let largestBufferBytes: number;
  if (config.kind === 'decoder') {
    const kv = config.kvHeads * headDim(config);
    activationBytes = layers * (act(H, 7.6) + act(I, 4.8) + act(kv, 5)) + act(config.vocabSize, 4.4) + act(H, 10.5);
    largestBufferBytes = bucketSize(rows * Math.max(config.vocabSize, I) * 4);
  } else {
    activationBytes = layers * (act(H, 12.3) + act(I, 7.4)) + act(H, 15.4);
    largestBufferBytes = bucketSize(rows * Math.max(2 * I, 3 * H) * 4);
  }
  activationBytes = Math.round(activationBytes);
  const parameterBytes = TRAINING_BYTES_PER_PARAMETER * parameterCount(config);
  return { parameterBytes, activationBytes, totalBytes: parameterBytes + activationBytes, largestBufferBytes };
}
