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
  /** Bias on o_proj (Llama with attention_bias: q, k, v and o all biased). Default false. */
  outputBias?: boolean;
  /** Biases on gate_proj, up_proj and down_proj (Llama mlp_bias). Default false. */
  mlpBias?: boolean;
  /** Logits through model.embed_tokens.weight (true, the default) or a separate lm_head.weight [V, H] (false). */
  tieWordEmbeddings?: boolean;
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
  if (config.kind === 'decoder' && config.outputBias && !config.attentionBias) {
    throw new ConfigError('outputBias (an o_proj bias) needs attentionBias too: Llama biases q, k, v and o together, Qwen2 only q, k and v');
  }
  if (config.kind === 'decoder' && config.mlpBias && config.attentionBias && !config.outputBias) {
    throw new ConfigError('mlpBias with q/k/v biases but no o_proj bias is neither a Qwen2 nor a Llama layout');
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
  // Qwen2 biases q, k and v (always); Llama biases q, k, v and o together (attention_bias) and the MLP (mlp_bias).
  const qwen = config.attentionBias && !config.outputBias && !config.mlpBias;
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
    tie_word_embeddings: config.tieWordEmbeddings ?? true,
    hidden_act: 'silu',
    rope_scaling: null,
    ...(qwen ? { use_sliding_window: false } : { attention_bias: config.attentionBias, mlp_bias: config.mlpBias ?? false, head_dim: config.hidden / config.heads }),
    attention_dropout: 0,
    ...(config.bosTokenId !== undefined ? { bos_token_id: config.bosTokenId } : {}),
    ...(config.eosTokenId !== undefined ? { eos_token_id: config.eosTokenId } : {}),
    ...(config.padTokenId !== undefined ? { pad_token_id: config.padTokenId } : {}),
    torch_dtype: 'float32',
    lantern: { kind: 'decoder' },
  };
}

/** How a config.json is loaded: the model config, and the tensors the file may lack (biases the
 * Hugging Face model does not have: zeros give the same function) or may hold unused. */
export interface HfLoadPlan {
  config: ModelConfig;
  /** Parameter names that the checkpoint may omit: they are filled with zeros (norm_bias / classifier_bias false). */
  zeroIfAbsent: (name: string) => boolean;
  /** Tensor names in the file that are ignored (a tied lm_head.weight, rotary inv_freq buffers). */
  ignored: (name: string) => boolean;
}

export const SUPPORTED_MODEL_TYPES = ['qwen2', 'llama', 'modernbert'] as const;

/** Reads a config.json written by toHfConfig or by transformers (Qwen2Config, LlamaConfig, ModernBertConfig). */
export function fromHfConfig(json: Record<string, unknown>): ModelConfig {
  return hfLoadPlan(json).config;
}

/**
 * Maps a Hugging Face config.json onto the engine's models, with transformers' defaults for absent
 * fields. Everything the models cannot compute exactly is refused, every such field named with its
 * value in one ConfigError (nothing is approximated silently).
 */
export function hfLoadPlan(json: Record<string, unknown>): HfLoadPlan {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('config.json is not a JSON object');
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`config.json: "${key}" must be a number (got ${JSON.stringify(v)})`);
    return v;
  };
  const optId = (key: string): number | undefined => {
    const v = json[key];
    if (typeof v === 'number') return v;
    if (Array.isArray(v) && typeof v[0] === 'number') return v[0]; // Llama 3 lists several eos ids: the first
    return undefined;
  };
  const refused: string[] = [];
  const refuse = (field: string, why: string) => refused.push(`${field} = ${JSON.stringify(json[field])} (${why})`);
  const arch = Array.isArray(json.architectures) ? String(json.architectures[0]) : '';
  const type =
    typeof json.model_type === 'string'
      ? json.model_type
      : arch.startsWith('ModernBert')
        ? 'modernbert'
        : arch.startsWith('Qwen2')
          ? 'qwen2'
          : arch.startsWith('Llama')
            ? 'llama'
            : arch.startsWith('Bert')
              ? 'bert'
              : '';
  if (type === 'bert') {
    throw new ConfigError(
      'config.json: model_type "bert" is not supported: the engine\'s encoder is ModernBERT-layout (pre-norm layers, rotary positions, GeGLU MLP); ' +
        "BERT's learned absolute position and token-type embeddings, post-norm layers and tanh pooler cannot be represented. Use a ModernBERT model.",
    );
  }
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`config.json: unsupported model_type "${type}" (architectures ${JSON.stringify(json.architectures ?? null)}); supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  if (json.quantization_config !== undefined && json.quantization_config !== null) refuse('quantization_config', 'quantized weights are not supported: load an unquantized checkpoint');
  const base = {
    vocabSize: num('vocab_size'),
    hidden: num('hidden_size'),
    layers: num('num_hidden_layers'),
    heads: num('num_attention_heads'),
    intermediate: num('intermediate_size'),
  };
  let plan: HfLoadPlan;
  if (type === 'modernbert') {
    const maxPosition = num('max_position_embeddings', 8192);
    // ModernBERT: layer l attends globally when l % global_attn_every_n_layers == 0, otherwise within
    // ±local_attention/2 positions with local_rope_theta. Our attention is global in every layer, so
    // local layers are exact only when their window covers every position and their RoPE is the global one.
    const every = num('global_attn_every_n_layers', 3);
    const window = num('local_attention', 128);
    const globalTheta = num('global_rope_theta', 160_000);
    const localTheta = num('local_rope_theta', 10_000);
    const hasLocal = every !== 1 && base.layers > 1;
    if (hasLocal && (Math.floor(window / 2) < maxPosition - 1 || localTheta !== globalTheta)) {
      refused.push(
        `global_attn_every_n_layers = ${every} with local_attention = ${window}, local_rope_theta = ${localTheta} (ModernBERT's alternating sliding-window local attention is not supported: ` +
          'the engine attends globally in every layer; only configs where every layer is global load: global_attn_every_n_layers = 1, or a local window covering max_position_embeddings with local_rope_theta = global_rope_theta)',
      );
    }
    for (const key of ['hidden_activation', 'classifier_activation']) {
      const act = json[key] ?? 'gelu';
      if (act !== 'gelu_pytorch_tanh' && act !== 'gelu_new') {
        refused.push(`${key} = ${JSON.stringify(act)} (the engine's GELU is the tanh approximation, gelu_pytorch_tanh / gelu_new; ${act === 'gelu' ? "exact erf GELU differs by up to 1e-3 per activation and is not implemented" : 'other activations are not implemented'})`);
      }
    }
    if (json.attention_bias === true) refuse('attention_bias', 'biases on Wqkv / Wo are not supported');
    if (json.mlp_bias === true) refuse('mlp_bias', 'biases on Wi / Wo are not supported');
    const pooling = ((json.lantern as { pooling?: unknown } | undefined)?.pooling ?? json.classifier_pooling ?? 'cls') as PoolKind;
    if (!POOL_KINDS.includes(pooling)) refuse('classifier_pooling', `pooling must be one of ${POOL_KINDS.join(', ')}`);
    const id2label = (json.id2label ?? {}) as Record<string, string>;
    // transformers' default is two labels (save_pretrained leaves the default id2label out).
    const numClasses = num('num_labels', Object.keys(id2label).length || 2);
    const labels = Object.keys(id2label).length === numClasses ? Array.from({ length: numClasses }, (_, i) => String(id2label[String(i)])) : undefined;
    const normBias = json.norm_bias === undefined ? false : json.norm_bias === true;
    const classifierBias = json.classifier_bias === undefined ? false : json.classifier_bias === true;
    if (refused.length) throw unsupported(type, refused);
    plan = {
      config: {
        kind: 'encoder',
        ...base,
        maxPosition,
        numClasses,
        pooling,
        ropeTheta: globalTheta,
        eps: num('norm_eps', 1e-5),
        ...(labels ? { labels } : {}),
        ...(typeof json.pad_token_id === 'number' ? { padTokenId: json.pad_token_id } : {}),
      },
      // Without norm_bias the LayerNorms have no bias; without classifier_bias head.dense has none.
      zeroIfAbsent: (name) => (!normBias && /(^|\.)(norm|attn_norm|mlp_norm|final_norm)\.bias$/.test(name)) || (!classifierBias && name === 'head.dense.bias'),
      ignored: () => false,
    };
  } else {
    const isLlama = type === 'llama';
    const act = json.hidden_act ?? 'silu';
    if (act !== 'silu' && act !== 'swish') refuse('hidden_act', 'the MLP is SwiGLU: only silu is implemented');
    const ropeParams = (json.rope_parameters ?? null) as { rope_type?: unknown; type?: unknown; rope_theta?: unknown } | null;
    const scaling = (json.rope_scaling ?? null) as { rope_type?: unknown; type?: unknown } | null;
    if (scaling !== null && (scaling.rope_type ?? scaling.type) !== 'default') refuse('rope_scaling', 'RoPE scaling is not implemented: positions use plain rope_theta');
    if (ropeParams !== null && (ropeParams.rope_type ?? ropeParams.type ?? 'default') !== 'default') refuse('rope_parameters', 'RoPE scaling is not implemented: positions use plain rope_theta');
    if (json.partial_rotary_factor !== undefined && json.partial_rotary_factor !== 1) refuse('partial_rotary_factor', 'RoPE rotates the whole head');
    if (typeof json.head_dim === 'number' && json.head_dim * base.heads !== base.hidden) {
      refuse('head_dim', `the engine's head width is hidden_size / num_attention_heads = ${base.hidden / base.heads}`);
    }
    const maxPosition = num('max_position_embeddings', isLlama ? 2048 : 32_768);
    // Qwen2: with use_sliding_window, layers from max_window_layers on attend within sliding_window.
    const layerTypes = Array.isArray(json.layer_types) ? (json.layer_types as unknown[]) : null;
    const window = typeof json.sliding_window === 'number' ? json.sliding_window : null;
    const windowBites = window === null || window < maxPosition;
    if (!isLlama && json.use_sliding_window === true && num('max_window_layers', 28) < base.layers && windowBites) {
      refused.push(`use_sliding_window = true with sliding_window = ${JSON.stringify(json.sliding_window ?? null)}, max_window_layers = ${JSON.stringify(json.max_window_layers ?? 28)} (sliding-window attention is not supported: every layer attends over the whole context)`);
    } else if (layerTypes && layerTypes.some((t) => t !== 'full_attention') && windowBites) {
      refuse('layer_types', 'only full_attention layers are supported');
    }
    const attentionBias = isLlama ? json.attention_bias === true : true;
    if (refused.length) throw unsupported(type, refused);
    const tie = json.tie_word_embeddings === undefined ? false : json.tie_word_embeddings === true; // Qwen2Config and LlamaConfig default to untied
    const ropeTheta = typeof ropeParams?.rope_theta === 'number' ? ropeParams.rope_theta : num('rope_theta', 10_000);
    const bos = optId('bos_token_id');
    const eos = optId('eos_token_id');
    const pad = optId('pad_token_id');
    plan = {
      config: {
        kind: 'decoder',
        ...base,
        maxPosition,
        kvHeads: num('num_key_value_heads', base.heads),
        ropeTheta,
        eps: num('rms_norm_eps', 1e-6),
        attentionBias,
        ...(isLlama && attentionBias ? { outputBias: true } : {}),
        ...(isLlama && json.mlp_bias === true ? { mlpBias: true } : {}),
        ...(tie ? {} : { tieWordEmbeddings: false }),
        ...(bos !== undefined ? { bosTokenId: bos } : {}),
        ...(eos !== undefined ? { eosTokenId: eos } : {}),
        ...(pad !== undefined ? { padTokenId: pad } : {}),
      },
      zeroIfAbsent: () => false,
      // A tied model's file may also hold lm_head.weight (a copy of the embedding); old Llama files hold rotary buffers.
      ignored: (name) => (tie && name === 'lm_head.weight') || /\.rotary_emb\.inv_freq$/.test(name),
    };
  }
  validateConfig(plan.config);
  return plan;
}

function unsupported(type: string, refused: string[]): ConfigError {
  return new ConfigError(`config.json: this ${type} model cannot be loaded exactly: ${refused.join('; ')}`);
}
