// Float64 CPU forward of both models, composed from the ops' CPU references (src/engine/cpu) and
// reading the same named parameters: the oracle the GPU models are compared with (model-level
// self-check), independent of every GPU kernel.
import { embedding } from '../cpu/embedding.ts';
import { layerNorm, rmsNorm } from '../cpu/norm.ts';
import { linear } from '../cpu/matmul.ts';
import { rope } from '../cpu/rope.ts';
import { attention } from '../cpu/attention.ts';
import { geglu, gelu, swiglu } from '../cpu/activation.ts';
import { pool } from '../cpu/pooling.ts';
import { splitLastDim } from '../cpu/split.ts';
import { headDim, type DecoderConfig, type EncoderConfig } from './config.ts';
import { ConfigError } from './config.ts';

export type ParameterValues = ReadonlyMap<string, ArrayLike<number>>;

function getter(params: ParameterValues) {
  return (name: string): Float64Array => {
    const v = params.get(name);
    if (!v) throw new ConfigError(`reference forward: no parameter "${name}"`);
    return Float64Array.from(v);
  };
}

/** Adds (1/rank·alpha-scaled) LoRA deltas when NAME.lora_A/B are present, like Linear.forward. */
function linearRef(p: (n: string) => Float64Array, params: ParameterValues, name: string, x: Float64Array, out: number, bias: boolean, lora?: { rank: number; alpha: number }): Float64Array {
  const y = linear(x, p(`${name}.weight`), bias ? p(`${name}.bias`) : null, out);
  if (lora && params.has(`${name}.lora_A.weight`)) {
    const h = linear(x, p(`${name}.lora_A.weight`), null, lora.rank);
    const d = linear(h, p(`${name}.lora_B.weight`), null, out);
    const s = lora.alpha / lora.rank;
    for (let i = 0; i < y.length; i++) y[i] += s * d[i]!;
  }
  return y;
}

function addInto(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i]!;
  return a;
}

/** Class logits [B, C] of EncoderClassifier.forward. */
export function encoderForwardRef(config: EncoderConfig, params: ParameterValues, ids: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, lora?: { rank: number; alpha: number }): Float64Array {
  const p = getter(params);
  const { hidden: H, heads, intermediate: I, eps, ropeTheta: theta } = config;
  const D = headDim(config);
  const maskF = Float64Array.from(mask);
  const ln = (x: Float64Array, name: string) => layerNorm(x, p(`${name}.weight`), p(`${name}.bias`), eps);
  let x = ln(embedding(ids, p('model.embeddings.tok_embeddings.weight'), H), 'model.embeddings.norm');
  for (let l = 0; l < config.layers; l++) {
    const pre = `model.layers.${l}`;
    const h = l === 0 ? x : ln(x, `${pre}.attn_norm`);
    const [qh, kh, v] = splitLastDim(linearRef(p, params, `${pre}.attn.Wqkv`, h, 3 * H, false, lora), [H, H, H]) as [Float64Array, Float64Array, Float64Array];
    const dims = { B, T, nH: heads, D };
    const q = rope(qh, dims, { theta });
    const k = rope(kh, dims, { theta });
    const a = attention(q, k, v, { B, T, S: T, nH: heads, nKV: heads, D }, { causal: false, keyMask: maskF });
    x = addInto(x, linearRef(p, params, `${pre}.attn.Wo`, a, H, false, lora));
    const [input, gate] = splitLastDim(linearRef(p, params, `${pre}.mlp.Wi`, ln(x, `${pre}.mlp_norm`), 2 * I, false, lora), [I, I]) as [Float64Array, Float64Array];
    x = addInto(x, linearRef(p, params, `${pre}.mlp.Wo`, geglu(input, gate), H, false, lora));
  }
  x = ln(x, 'model.final_norm');
  const pooled = pool(x, maskF, B, T, H, config.pooling);
  const head = ln(gelu(linearRef(p, params, 'head.dense', pooled, H, true, lora)), 'head.norm');
  return linearRef(p, params, 'classifier', head, config.numClasses, true, lora);
}

/** Next-token logits [B, T, V] of DecoderLM.forward (no cache, no padding). */
export function decoderForwardRef(config: DecoderConfig, params: ParameterValues, ids: ArrayLike<number>, B: number, T: number, lora?: { rank: number; alpha: number }): Float64Array {
  const p = getter(params);
  const { hidden: H, heads, kvHeads, intermediate: I, eps, ropeTheta: theta, attentionBias } = config;
  const outputBias = config.outputBias ?? false;
  const mlpBias = config.mlpBias ?? false;
  const D = headDim(config);
  const rms = (x: Float64Array, name: string) => rmsNorm(x, p(name), eps);
  const embed = p('model.embed_tokens.weight');
  let x = embedding(ids, embed, H);
  for (let l = 0; l < config.layers; l++) {
    const pre = `model.layers.${l}`;
    const h = rms(x, `${pre}.input_layernorm.weight`);
    const q = rope(linearRef(p, params, `${pre}.self_attn.q_proj`, h, H, attentionBias, lora), { B, T, nH: heads, D }, { theta });
    const k = rope(linearRef(p, params, `${pre}.self_attn.k_proj`, h, kvHeads * D, attentionBias, lora), { B, T, nH: kvHeads, D }, { theta });
    const v = linearRef(p, params, `${pre}.self_attn.v_proj`, h, kvHeads * D, attentionBias, lora);
    const a = attention(q, k, v, { B, T, S: T, nH: heads, nKV: kvHeads, D }, { causal: true });
    x = addInto(x, linearRef(p, params, `${pre}.self_attn.o_proj`, a, H, outputBias, lora));
    const h2 = rms(x, `${pre}.post_attention_layernorm.weight`);
    const mlp = swiglu(linearRef(p, params, `${pre}.mlp.gate_proj`, h2, I, mlpBias, lora), linearRef(p, params, `${pre}.mlp.up_proj`, h2, I, mlpBias, lora));
    x = addInto(x, linearRef(p, params, `${pre}.mlp.down_proj`, mlp, H, mlpBias, lora));
  }
  const head = config.tieWordEmbeddings === false ? p('lm_head.weight') : embed;
  return linear(rms(x, 'model.norm.weight'), head, null, config.vocabSize);
}
