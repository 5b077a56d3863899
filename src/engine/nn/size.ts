// Model size from its config alone (no GPU): parameter counts as the models build them, and the
// bytes of f32 state training keeps per parameter (weight, gradient, AdamW m and v).
import { headDim, type ModelConfig } from './config.ts';

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
  const bias = config.attentionBias ? H + 2 * kv : 0;
  const layer = 2 * H + H * H + 2 * kv * H + bias + H * H + 3 * I * H;
  return V * H + layers * layer + H; // tied output projection adds nothing
}

/** Weight + gradient + AdamW's two moments, f32. */
export const TRAINING_BYTES_PER_PARAMETER = 16;
