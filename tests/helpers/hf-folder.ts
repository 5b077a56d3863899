// Tiny Hugging Face model folders as transformers' save_pretrained writes them: config.json with
// the fields transformers serialises (Qwen2Config, LlamaConfig, ModernBertConfig), weights under
// the Hugging Face tensor names listed here independently of the engine's models, in one
// model.safetensors or in shards with model.safetensors.index.json, F32, F16 or BF16.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecoderDims } from '../../src/engine/presets.ts';
import { floatToBf16, floatToHalf, writeSafetensors, type NamedTensorData, type SafetensorsDtype } from '../../src/engine/safetensors.ts';

/** Deterministic normal(0, std) values (xorshift + Box–Muller). */
export function seededValues(n: number, seed: number, std: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

export type TensorSpec = [name: string, shape: number[], kind?: 'norm' | 'bias' | 'weight'];

export function makeTensors(specs: TensorSpec[], seed: number, std = 0.2): Map<string, NamedTensorData> {
  const out = new Map<string, NamedTensorData>();
  specs.forEach(([name, shape, kind = 'weight'], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const r = seededValues(n, seed * 1000 + i + 1, kind === 'weight' ? std : 0.1);
    out.set(name, { shape, data: kind === 'norm' ? r.map((v) => 1 + v) : r });
  });
  return out;
}

// ---- Qwen2 / Llama ----------------------------------------------------------------------------

/** A decoder's sizes (the engine's DecoderDims) and its vocabulary. */
export interface DecoderSpec extends DecoderDims {
  vocab: number;
}

export const TINY_DECODER: DecoderSpec = { vocab: 50, hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, maxPosition: 64 };

/** Qwen2ForCausalLM's config.json (the fields of Qwen2.5-0.5B's, at tiny sizes). */
export function qwen2Config(d: DecoderSpec = TINY_DECODER, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: d.hidden,
    initializer_range: 0.02,
    intermediate_size: d.intermediate,
    max_position_embeddings: d.maxPosition,
    max_window_layers: d.layers,
    model_type: 'qwen2',
    num_attention_heads: d.heads,
    num_hidden_layers: d.layers,
    num_key_value_heads: d.kvHeads,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000.0,
    sliding_window: d.maxPosition,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    transformers_version: '4.43.1',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: d.vocab,
    ...extra,
  };
}

/** LlamaForCausalLM's config.json (TinyLlama's fields, at tiny sizes): untied, no biases by default. */
export function llamaConfig(d: DecoderSpec = TINY_DECODER, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 1,
    eos_token_id: 2,
    head_dim: d.hidden / d.heads,
    hidden_act: 'silu',
    hidden_size: d.hidden,
    initializer_range: 0.02,
    intermediate_size: d.intermediate,
    max_position_embeddings: d.maxPosition,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: d.heads,
    num_hidden_layers: d.layers,
    num_key_value_heads: d.kvHeads,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000.0,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    transformers_version: '4.44.0',
    use_cache: true,
    vocab_size: d.vocab,
    ...extra,
  };
}

/** Qwen2 / Llama state_dict names and shapes (Qwen2: q/k/v biases; Llama: attention_bias on q/k/v/o, mlp_bias on the MLP). */
export function decoderSpecs(d: DecoderSpec, layout: { qkvBias: boolean; oBias?: boolean; mlpBias?: boolean; lmHead: boolean }): TensorSpec[] {
  const D = d.hidden / d.heads;
  const kv = d.kvHeads * D;
  const specs: TensorSpec[] = [['model.embed_tokens.weight', [d.vocab, d.hidden]]];
  for (let l = 0; l < d.layers; l++) {
    const p = `model.layers.${l}`;
    const lin = (name: string, out: number, inp: number, bias: boolean) => {
      specs.push([`${p}.${name}.weight`, [out, inp]]);
      if (bias) specs.push([`${p}.${name}.bias`, [out], 'bias']);
    };
    lin('self_attn.q_proj', d.hidden, d.hidden, layout.qkvBias);
    lin('self_attn.k_proj', kv, d.hidden, layout.qkvBias);
    lin('self_attn.v_proj', kv, d.hidden, layout.qkvBias);
    lin('self_attn.o_proj', d.hidden, d.hidden, layout.oBias ?? false);
    lin('mlp.gate_proj', d.intermediate, d.hidden, layout.mlpBias ?? false);
    lin('mlp.up_proj', d.intermediate, d.hidden, layout.mlpBias ?? false);
    lin('mlp.down_proj', d.hidden, d.intermediate, layout.mlpBias ?? false);
    specs.push([`${p}.input_layernorm.weight`, [d.hidden], 'norm'], [`${p}.post_attention_layernorm.weight`, [d.hidden], 'norm']);
  }
  specs.push(['model.norm.weight', [d.hidden], 'norm']);
  if (layout.lmHead) specs.push(['lm_head.weight', [d.vocab, d.hidden]]);
  return specs;
}

// ---- ModernBERT -------------------------------------------------------------------------------

export interface EncoderSpec {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPosition: number;
  classes: number;
}

export const TINY_ENCODER: EncoderSpec = { vocab: 60, hidden: 32, layers: 3, heads: 4, intermediate: 48, maxPosition: 64, classes: 3 };

/** ModernBertForSequenceClassification's config.json with every layer global and tanh GELU (what the engine runs exactly). */
export function modernBertConfig(e: EncoderSpec = TINY_ENCODER, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const labels = Array.from({ length: e.classes }, (_, i) => `LABEL_${i}`);
  return {
    architectures: ['ModernBertForSequenceClassification'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 1,
    classifier_activation: 'gelu_pytorch_tanh',
    classifier_bias: false,
    classifier_dropout: 0.0,
    classifier_pooling: 'mean',
    cls_token_id: 1,
    decoder_bias: true,
    deterministic_flash_attn: false,
    embedding_dropout: 0.0,
    eos_token_id: 2,
    global_attn_every_n_layers: 1,
    global_rope_theta: 160000.0,
    gradient_checkpointing: false,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: e.hidden,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    initializer_cutoff_factor: 2.0,
    initializer_range: 0.02,
    intermediate_size: e.intermediate,
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    layer_norm_eps: 1e-5,
    local_attention: 128,
    local_rope_theta: 10000.0,
    max_position_embeddings: e.maxPosition,
    mlp_bias: false,
    mlp_dropout: 0.0,
    model_type: 'modernbert',
    norm_bias: false,
    norm_eps: 1e-5,
    num_attention_heads: e.heads,
    num_hidden_layers: e.layers,
    pad_token_id: 0,
    repad_logits_with_grad: false,
    sep_token_id: 2,
    sparse_pred_ignore_index: -100,
    sparse_prediction: false,
    torch_dtype: 'float32',
    transformers_version: '4.48.0',
    vocab_size: e.vocab,
    ...extra,
  };
}

/** ModernBertForSequenceClassification's state_dict (norm_bias / classifier_bias false: no such biases). */
export function modernBertSpecs(e: EncoderSpec, opts: { normBias?: boolean; classifierBias?: boolean } = {}): TensorSpec[] {
  const norm = (name: string): TensorSpec[] => [[`${name}.weight`, [e.hidden], 'norm'], ...(opts.normBias ? [[`${name}.bias`, [e.hidden], 'bias'] as TensorSpec] : [])];
  const specs: TensorSpec[] = [['model.embeddings.tok_embeddings.weight', [e.vocab, e.hidden]], ...norm('model.embeddings.norm')];
  for (let l = 0; l < e.layers; l++) {
    const p = `model.layers.${l}`;
    if (l > 0) specs.push(...norm(`${p}.attn_norm`));
    specs.push([`${p}.attn.Wqkv.weight`, [3 * e.hidden, e.hidden]], [`${p}.attn.Wo.weight`, [e.hidden, e.hidden]], ...norm(`${p}.mlp_norm`));
    specs.push([`${p}.mlp.Wi.weight`, [2 * e.intermediate, e.hidden]], [`${p}.mlp.Wo.weight`, [e.hidden, e.intermediate]]);
  }
  specs.push(...norm('model.final_norm'), ['head.dense.weight', [e.hidden, e.hidden]]);
  if (opts.classifierBias) specs.push(['head.dense.bias', [e.hidden], 'bias']);
  specs.push(...norm('head.norm'), ['classifier.weight', [e.classes, e.hidden]], ['classifier.bias', [e.classes], 'bias']);
  return specs;
}

// ---- Writing ----------------------------------------------------------------------------------

/** The values a tensor holds after being stored as `dtype` (what loading it gives back). */
export function roundedTo(dtype: SafetensorsDtype, data: Float32Array): Float32Array {
  if (dtype === 'F32') return data;
  const u = new Uint32Array(1);
  const f = new Float32Array(u.buffer);
  return data.map((v) => {
    if (dtype === 'BF16') {
      u[0] = floatToBf16(v) << 16;
      return f[0]!;
    }
    const h = floatToHalf(v);
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    const s = h & 0x8000 ? -1 : 1;
    return e === 0 ? s * 2 ** -14 * (m / 1024) : s * 2 ** (e - 15) * (1 + m / 1024);
  });
}

export interface FolderOptions {
  dtype?: SafetensorsDtype;
  /** Split the tensors over this many shards with model.safetensors.index.json (transformers' names). */
  shards?: number;
  extraFiles?: Record<string, string | Uint8Array>;
}

/** The files of a model folder, by name. */
export function hfFolderFiles(config: Record<string, unknown>, tensors: ReadonlyMap<string, NamedTensorData>, opts: FolderOptions = {}): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>([['config.json', enc.encode(JSON.stringify(config, null, 2))]]);
  const dtype = opts.dtype ?? 'F32';
  const n = opts.shards ?? 1;
  const entries = [...tensors];
  if (n <= 1) files.set('model.safetensors', writeSafetensors(new Map(entries), { format: 'pt' }, { dtype }));
  else {
    const weightMap: Record<string, string> = {};
    const per = Math.ceil(entries.length / n);
    let total = 0;
    for (let s = 0; s < n; s++) {
      const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      const part = entries.slice(s * per, (s + 1) * per);
      for (const [t, v] of part) {
        weightMap[t] = name;
        total += v.data.length * (dtype === 'F32' ? 4 : 2);
      }
      files.set(name, writeSafetensors(new Map(part), { format: 'pt' }, { dtype }));
    }
    files.set('model.safetensors.index.json', enc.encode(JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)));
  }
  for (const [name, v] of Object.entries(opts.extraFiles ?? {})) files.set(name, typeof v === 'string' ? enc.encode(v) : v);
  return files;
}

/** Writes the files into a fresh temp folder and returns its path. */
export async function writeHfFolder(files: ReadonlyMap<string, Uint8Array>, prefix = 'lantern-hf-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  return dir;
}
