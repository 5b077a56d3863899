// Model size from its config alone (no GPU): parameter counts as the models build them, the
// bytes of f32 state training keeps per parameter (weight, gradient, AdamW m and v), and the
// memory a training step needs, so a config that cannot fit is refused before anything is built.
import { headDim, type ModelConfig } from './config.ts';
import { bucketSize } from '../pool.ts';

/** A Linear layer of a model: its module path and [in, out] features. */
export interface LinearShape {
  name: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

/** The Linear layers a model of `config` builds, in creation order (decoder.ts / encoder.ts). */
export function linearShapes(config: ModelConfig): LinearShape[] {
  const { hidden: H, intermediate: I, layers } = config;
  const out: LinearShape[] = [];
  const lin = (name: string, inFeatures: number, outFeatures: number, bias: boolean) => out.push({ name, inFeatures, outFeatures, bias });
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    if (config.kind === 'encoder') {
      lin(`${p}.attn.Wqkv`, H, 3 * H, false);
      lin(`${p}.attn.Wo`, H, H, false);
      lin(`${p}.mlp.Wi`, H, 2 * I, false);
      lin(`${p}.mlp.Wo`, I, H, false);
    } else {
      const kv = config.kvHeads * headDim(config);
      const mlpBias = config.mlpBias ?? false;
      lin(`${p}.self_attn.q_proj`, H, H, config.attentionBias);
      lin(`${p}.self_attn.k_proj`, H, kv, config.attentionBias);
      lin(`${p}.self_attn.v_proj`, H, kv, config.attentionBias);
      lin(`${p}.self_attn.o_proj`, H, H, config.outputBias ?? false);
      lin(`${p}.mlp.gate_proj`, H, I, mlpBias);
      lin(`${p}.mlp.up_proj`, H, I, mlpBias);
      lin(`${p}.mlp.down_proj`, I, H, mlpBias);
    }
  }
  if (config.kind === 'encoder') {
    lin('head.dense', H, H, true);
    lin('classifier', H, config.numClasses, true);
  }
  return out;
}

/** Every parameter tensor a model of `config` builds: its name and element count. */
export function parameterSizes(config: ModelConfig): { name: string; size: number }[] {
  const H = config.hidden;
  const V = config.vocabSize;
  const out: { name: string; size: number }[] = [];
  const add = (name: string, size: number) => {
    out.push({ name, size });
  };
  for (const l of linearShapes(config)) {
    add(`${l.name}.weight`, l.inFeatures * l.outFeatures);
    if (l.bias) add(`${l.name}.bias`, l.outFeatures);
  }
  if (config.kind === 'encoder') {
    add('model.embeddings.tok_embeddings.weight', V * H);
    // LayerNorms (weight and bias): the embeddings', each layer's (layer 0 has no attn_norm), the final one, the head's.
    const norms = ['model.embeddings.norm', ...Array.from({ length: config.layers }, (_, l) => [...(l ? [`model.layers.${l}.attn_norm`] : []), `model.layers.${l}.mlp_norm`]).flat(), 'model.final_norm', 'head.norm'];
    for (const n of norms) {
      add(`${n}.weight`, H);
      add(`${n}.bias`, H);
    }
  } else {
    add('model.embed_tokens.weight', V * H);
    for (let l = 0; l < config.layers; l++) {
      add(`model.layers.${l}.input_layernorm.weight`, H);
      add(`model.layers.${l}.post_attention_layernorm.weight`, H);
    }
    add('model.norm.weight', H);
    // A tied output projection adds nothing; lm_head.weight adds V·H.
    if (config.tieWordEmbeddings === false) add('lm_head.weight', V * H);
  }
  return out;
}

export function parameterCount(config: ModelConfig): number {
  return parameterSizes(config).reduce((n, p) => n + p.size, 0);
}

/**
 * FLOPs of training on one token (forward and backward, the backward costing twice the forward):
 * every Linear's product, a decoder's output projection over the vocabulary (tied or not) and
 * attention's two products (against all `seqLen` keys in an encoder, half of them on average in a
 * causal decoder). An encoder's head runs once per sequence, so it counts 1/seqLen per token.
 * Embedding lookups cost nothing: "6 FLOPs per parameter" would count them, and in a small model
 * with its vocabulary's embeddings they are most of the parameters (over half of a 200k encoder's).
 */
export function trainingFlopsPerToken(config: ModelConfig, seqLen: number): number {
  let forward = 0;
  for (const l of linearShapes(config)) {
    const perSequence = config.kind === 'encoder' && (l.name.startsWith('head.') || l.name === 'classifier');
    forward += (2 * l.inFeatures * l.outFeatures) / (perSequence ? seqLen : 1);
  }
  if (config.kind === 'decoder') forward += 2 * config.hidden * config.vocabSize;
  const keys = config.kind === 'decoder' ? (seqLen + 1) / 2 : seqLen;
  forward += config.layers * 2 * 2 * keys * config.hidden;
  return 3 * forward;
}

/** PEFT-style module matching (LoRA targets, trainable names): the whole name, its last parts, or a prefix. */
export function matchesModule(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => name === p || name.endsWith(`.${p}`) || name.startsWith(`${p}.`));
}

/** Weight + gradient + AdamW's two moments, f32 (before the pool rounds each buffer up). */
export const TRAINING_BYTES_PER_PARAMETER = 16;

/** What LoRA trains (nn/lora.ts LoraSpec): adapters of `rank` on `modules`, and the parameters named in `trainable`. */
export interface LoraShape {
  modules: readonly string[];
  rank: number;
  trainable?: readonly string[];
}

/**
 * The buffer-pool bytes of weights and optimizer state: each tensor rounded up to its pool bucket
 * (a 4864 × 896 weight takes a 32 MiB bucket for its 17 MB), four buckets (weight, gradient, m,
 * v) for a trained tensor and one for a frozen one. With `lora`, the base is frozen except
 * `lora.trainable`, and each adapted Linear adds A [rank, in] and B [out, rank], trained.
 */
export function parameterStateBytes(config: ModelConfig, lora?: LoraShape): number {
  const f32 = (n: number) => bucketSize(4 * n);
  let bytes = 0;
  for (const p of parameterSizes(config)) bytes += f32(p.size) * (!lora || matchesModule(p.name, lora.trainable ?? []) ? 4 : 1);
  if (lora) for (const l of loraTargets(config, lora.modules)) bytes += 4 * (f32(lora.rank * l.inFeatures) + f32(l.outFeatures * lora.rank));
  return bytes;
}

function loraTargets(config: ModelConfig, modules: readonly string[]): LinearShape[] {
  const targets = linearShapes(config).filter((l) => matchesModule(l.name, modules));
  if (modules.length && !targets.length) throw new Error(`LoRA targets [${modules.join(', ')}] match no layer of this ${config.kind}`);
  return targets;
}

/**
 * Parameters that train under LoRA (nn/lora.ts applyLora), from the config alone: rank·(in + out)
 * per adapted Linear (`modules` as in LoraSpec.targets: "q_proj", "attn.Wqkv", …), plus the
 * model's own parameters kept trainable (`trainable`: an encoder's "head" and "classifier").
 */
export function loraParameterCount(config: ModelConfig, modules: readonly string[], rank: number, trainable: readonly string[] = []): number {
  const adapters = loraTargets(config, modules).reduce((n, l) => n + rank * (l.inFeatures + l.outFeatures), 0);
  return adapters + parameterSizes(config).filter((p) => matchesModule(p.name, trainable)).reduce((n, p) => n + p.size, 0);
}

/** What one training step of a model holds in the engine's buffer pool, by part, in bytes. */
export interface TrainingMemoryEstimate {
  /** Weights, gradients and AdamW moments (parameterStateBytes: four pool buckets per trained tensor, one per frozen one). */
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
export function trainingMemoryEstimate(config: ModelConfig, batch: number, seqLen: number, opts: { lora?: LoraShape } = {}): TrainingMemoryEstimate {
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
  // A weight can be the largest buffer too (a pretrained model's embedding [V, H]).
  largestBufferBytes = Math.max(largestBufferBytes, bucketSize(Math.max(config.vocabSize, config.kind === 'encoder' ? 2 * I : I) * H * 4));
  const parameterBytes = parameterStateBytes(config, opts.lora);
  return { parameterBytes, activationBytes, totalBytes: parameterBytes + activationBytes, largestBufferBytes };
}

