// Model configs: a preset's dims plus what the data decides (vocabulary, classes) and the few
// numerical constants. One object describes a model for construction, checkpoints and the UI.
import { DECODER_PRESETS, ENCODER_PRESETS, type DecoderDims, type DecoderPreset, type EncoderDims, type EncoderPreset } from '../presets.ts';
import { POOL_KINDS, type PoolKind } from '../ops/pooling.ts';
import { EngineError } from '../errors.ts';

export interface EncoderConfig extends EncoderDims {
  kind: 'encoder';
  vocabSize: number;
  numClasses: number;
  pooling: PoolKind;
  ropeTheta: number;
  /** LayerNorm epsilon. */
  eps: number;
  /** Class names in class-index order (id2label in config.json); defaults to LABEL_i. */
  labels?: string[];
  padTokenId?: number;
}

export interface DecoderConfig extends DecoderDims {
  kind: 'decoder';
  vocabSize: number;
  ropeTheta: number;
  /** RMSNorm epsilon. */
  eps: number;
  /** Biases on q/k/v projections: true for Qwen2 (the default), false for Llama. */
  attentionBias: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
}

export type ModelConfig = EncoderConfig | DecoderConfig;

export class ConfigError extends EngineError {
  override name = 'ConfigError';
}

export function encoderConfig(preset: EncoderPreset | EncoderDims, opts: { vocabSize: number; numClasses: number } & Partial<Omit<EncoderConfig, 'kind'>>): EncoderConfig {
  const dims = typeof preset === 'string' ? presetDims(ENCODER_PRESETS, preset) : preset;
  const config: EncoderConfig = { kind: 'encoder', ...dims, pooling: 'cls', ropeTheta: 160_000, eps: 1e-5, padTokenId: 0, ...opts };
  validateConfig(config);
  return config;
}

export function decoderConfig(preset: DecoderPreset | DecoderDims, opts: { vocabSize: number } & Partial<Omit<DecoderConfig, 'kind'>>): DecoderConfig {
  const dims = typeof preset === 'string' ? presetDims(DECODER_PRESETS, preset) : preset;
  const config: DecoderConfig = { kind: 'decoder', ...dims, ropeTheta: 1_000_000, eps: 1e-6, attentionBias: true, ...opts };
  validateConfig(config);
  return config;
}

function presetDims<T>(presets: Record<string, T>, name: string): T {
  const dims = presets[name];
  if (!dims) throw new ConfigError(`unknown preset "${name}"; expected one of ${Object.keys(presets).join(', ')}`);
  return { ...dims };
}

/** Head width: hidden / heads. */
export function headDim(config: ModelConfig): number {
  return config.hidden / config.heads;
}

export function validateConfig(config: ModelConfig): void {
  const positive: [string, number][] = [
    ['hidden', config.hidden],
    ['layers', config.layers],
    ['heads', config.heads],
    ['intermediate', config.intermediate],
    ['maxPosition', config.maxPosition],
    ['vocabSize', config.vocabSize],
  ];
  if (config.kind === 'encoder') positive.push(['numClasses', config.numClasses]);
  else positive.push(['kvHeads', config.kvHeads]);
  for (const [k, v] of positive) if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${k} must be a positive integer (got ${v})`);
  if (config.hidden % config.heads) throw new ConfigError(`hidden (${config.hidden}) must be divisible by heads (${config.heads})`);
  if (headDim(config) % 2) throw new ConfigError(`the head width hidden/heads (${headDim(config)}) must be even for RoPE`);
  if (config.kind === 'decoder' && config.heads % config.kvHeads) throw new ConfigError(`heads (${config.heads}) must be a multiple of kvHeads (${config.kvHeads})`);
  if (config.kind === 'encoder' && !POOL_KINDS.includes(config.pooling)) throw new ConfigError(`pooling must be one of ${POOL_KINDS.join(', ')} (got ${config.pooling})`);
  if (config.kind === 'encoder' && config.labels && config.labels.length !== config.numClasses) {
    throw new ConfigError(`${config.labels.length} labels given for ${config.numClasses} classes`);
  }
  if (!(config.ropeTheta > 0)) throw new ConfigError(`ropeTheta must be positive (got ${config.ropeTheta})`);
  if (!(config.eps > 0)) throw new ConfigError(`eps must be positive (got ${config.eps})`);
}

// ---- Hugging Face config.json ---------------------------------------------------------------------

/** config.json for ModernBertForSequenceClassification / Qwen2ForCausalLM (see README "Checkpoints"). */
export function toHfConfig(config: ModelConfig): Record<string, unknown> {
  if (config.kind === 'encoder') {
    const labels = config.labels ?? Array.from({ length: config.numClasses }, (_, i) => `LABEL_${i}`);
    return {
      architectures: ['ModernBertForSequenceClassification'],
      model_type: 'modernbert',
      vocab_size: config.vocabSize,
      hidden_size: config.hidden,
      num_hidden_layers: config.layers,
      num_attention_heads: config.heads,
      intermediate_size: config.intermediate,
      max_position_embeddings: config.maxPosition,
      // Every layer attends globally: ModernBERT's local (sliding-window) layers are not used.
      global_attn_every_n_layers: 1,
      local_attention: 2 * config.maxPosition,
      global_rope_theta: config.ropeTheta,
      local_rope_theta: config.ropeTheta,
      norm_eps: config.eps,
      norm_bias: true,
      attention_bias: false,
      mlp_bias: false,
      classifier_bias: true,
      hidden_activation: 'gelu_pytorch_tanh',
      classifier_activation: 'gelu_pytorch_tanh',
      // Hugging Face knows cls and mean; "last" makes it refuse the config rather than pool wrongly.
      classifier_pooling: config.pooling,
      embedding_dropout: 0,
      attention_dropout: 0,
      mlp_dropout: 0,
      classifier_dropout: 0,
      num_labels: config.numClasses,
      id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
      pad_token_id: config.padTokenId ?? 0,
      torch_dtype: 'float32',
      lantern: { kind: 'encoder', pooling: config.pooling },
    };
  }
  const qwen = config.attentionBias;
  return {
    architectures: [qwen ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: qwen ? 'qwen2' : 'llama',
    vocab_size: config.vocabSize,
    hidden_size: config.hidden,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    intermediate_size: config.intermediate,
    max_position_embeddings: config.maxPosition,
    rope_theta: config.ropeTheta,
    rms_norm_eps: config.eps,
    tie_word_embeddings: true,
    hidden_act: 'silu',
    ...(qwen ? { use_sliding_window: false } : { attention_bias: false, mlp_bias: false, head_dim: config.hidden / config.heads }),
    attention_dropout: 0,
    ...(config.bosTokenId !== undefined ? { bos_token_id: config.bosTokenId } : {}),
    ...(config.eosTokenId !== undefined ? { eos_token_id: config.eosTokenId } : {}),
    ...(config.padTokenId !== undefined ? { pad_token_id: config.padTokenId } : {}),
    torch_dtype: 'float32',
    lantern: { kind: 'decoder' },
  };
}

/** Reads a config.json written by toHfConfig (or a compatible Hugging Face one). */
export function fromHfConfig(json: Record<string, unknown>): ModelConfig {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number') throw new ConfigError(`config.json: "${key}" must be a number (got ${JSON.stringify(v)})`);
    return v;
  };
  const arch = Array.isArray(json.architectures) ? String(json.architectures[0]) : '';
  const type = String(json.model_type ?? '');
  const base = {
    vocabSize: num('vocab_size'),
    hidden: num('hidden_size'),
    layers: num('num_hidden_layers'),
    heads: num('num_attention_heads'),
    intermediate: num('intermediate_size'),
    maxPosition: num('max_position_embeddings'),
  };
  let config: ModelConfig;
  if (type === 'modernbert' || arch.startsWith('ModernBert')) {
    if (json.global_attn_every_n_layers !== undefined && json.global_attn_every_n_layers !== 1) {
      throw new ConfigError('config.json: only ModernBERT models with global attention in every layer (global_attn_every_n_layers = 1) can be loaded');
    }
    const id2label = (json.id2label ?? {}) as Record<string, string>;
    const numClasses = num('num_labels', Object.keys(id2label).length || undefined);
    const labels = Object.keys(id2label).length === numClasses ? Array.from({ length: numClasses }, (_, i) => String(id2label[String(i)])) : undefined;
    const lantern = (json.lantern ?? {}) as { pooling?: PoolKind };
    config = {
      kind: 'encoder',
      ...base,
      numClasses,
      pooling: lantern.pooling ?? ((json.classifier_pooling as PoolKind | undefined) ?? 'cls'),
      ropeTheta: num('global_rope_theta', 160_000),
      eps: num('norm_eps', 1e-5),
      ...(labels ? { labels } : {}),
      ...(typeof json.pad_token_id === 'number' ? { padTokenId: json.pad_token_id } : {}),
    };
  } else if (type === 'qwen2' || type === 'llama' || arch.startsWith('Qwen2') || arch.startsWith('Llama')) {
    const isQwen = type === 'qwen2' || arch.startsWith('Qwen2');
    if (!isQwen && (json.attention_bias === true || json.mlp_bias === true)) throw new ConfigError('config.json: Llama models with attention_bias or mlp_bias cannot be loaded');
    if (typeof json.head_dim === 'number' && json.head_dim * base.heads !== base.hidden) throw new ConfigError('config.json: head_dim × num_attention_heads must equal hidden_size');
    if (json.tie_word_embeddings === false) throw new ConfigError('config.json: only models with tied word embeddings (tie_word_embeddings = true) can be loaded');
    config = {
      kind: 'decoder',
      ...base,
      kvHeads: num('num_key_value_heads', base.heads),
      ropeTheta: num('rope_theta', 10_000),
      eps: num('rms_norm_eps', 1e-6),
      attentionBias: isQwen,
      ...(typeof json.bos_token_id === 'number' ? { bosTokenId: json.bos_token_id } : {}),
      ...(typeof json.eos_token_id === 'number' ? { eosTokenId: json.eos_token_id } : {}),
      ...(typeof json.pad_token_id === 'number' ? { padTokenId: json.pad_token_id } : {}),
    };
  } else {
    throw new ConfigError(`config.json: unsupported model (model_type "${type}", architectures ${JSON.stringify(json.architectures)}); expected modernbert or qwen2`);
  }
  validateConfig(config);
  return config;
}
