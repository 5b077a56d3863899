// Decoder language model in Qwen2 / Llama layout and names (Qwen2ForCausalLM): token embeddings →
// pre-norm layers (RMSNorm, causal attention with RoPE and optional grouped-query heads, SwiGLU
// MLP) → final RMSNorm → logits through the tied embedding matrix, or through lm_head.weight when
// tieWordEmbeddings is false. Llama's optional o_proj and MLP biases (outputBias, mlpBias) too. Generation appends each step's
// keys and values to a preallocated KV cache (generate.ts).
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { EngineError, ShapeError } from '../errors.ts';
import { Model, seededInit, type Initializer, type Linear } from './module.ts';
import { headDim, type DecoderConfig } from './config.ts';
import { add, reshapeCopy } from '../ops/elementwise.ts';
import { linear } from '../ops/matmul.ts';
import { rmsNorm } from '../ops/norm.ts';
import { swiglu } from '../ops/activation.ts';
import { embedding } from '../ops/embedding.ts';
import { rope } from '../ops/rope.ts';
import { attention } from '../ops/attention.ts';

export interface DecoderBatch {
  /** Token ids, i32 [B, T]. */
  inputIds: Tensor;
  /** Key mask, f32 [B, S] (1 = token, 0 = padding); S = T, or the cache length when a cache is used. */
  attentionMask?: Tensor;
  /** Rotary positions, i32 [B, T] (left-padded prompts); default offset + 0..T-1. */
  positions?: Tensor;
}

/** Per layer, keys and values [B, maxLen, kvHeads, headDim], zero-initialised. */
export interface KvCache {
  batch: number;
  maxLen: number;
  layers: { k: Tensor; v: Tensor }[];
  release(): void;
}

export interface DecoderForwardOptions {
  /** Append this call's keys/values to the cache at `offset` and attend over the cache (generation only). */
  cache?: KvCache;
  /** Absolute position of the first input token (with a cache: how many tokens it already holds). */
  offset?: number;
  /** Only the last position's logits ([B, 1, V]); generation only. */
  lastOnly?: boolean;
}

interface DecoderLayer {
  inputNorm: Tensor;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  postNorm: Tensor;
  gate: Linear;
  up: Linear;
  down: Linear;
}

export class DecoderLM extends Model<DecoderConfig> {
  /** [V, H]; also the output projection when the embeddings are tied. */
  readonly embedTokens: Tensor;
  /** [V, H] lm_head.weight of an untied model, else null. */
  readonly lmHead: Tensor | null;
  private readonly layers: DecoderLayer[] = [];
  private readonly norm: Tensor;

  constructor(engine: Engine, config: DecoderConfig, init: Initializer = seededInit(0)) {
    super(engine, config, init);
    const { hidden: H, intermediate: I, kvHeads, attentionBias } = config;
    const outputBias = config.outputBias ?? false;
    const mlpBias = config.mlpBias ?? false;
    const kvWidth = kvHeads * headDim(config);
    this.embedTokens = this.param('model.embed_tokens.weight', [config.vocabSize, H], 'normal');
    for (let l = 0; l < config.layers; l++) {
      const p = `model.layers.${l}`;
      this.layers.push({
        inputNorm: this.param(`${p}.input_layernorm.weight`, [H], 'ones'),
        q: this.linear(`${p}.self_attn.q_proj`, H, H, attentionBias),
        k: this.linear(`${p}.self_attn.k_proj`, H, kvWidth, attentionBias),
        v: this.linear(`${p}.self_attn.v_proj`, H, kvWidth, attentionBias),
        o: this.linear(`${p}.self_attn.o_proj`, H, H, outputBias),
        postNorm: this.param(`${p}.post_attention_layernorm.weight`, [H], 'ones'),
        gate: this.linear(`${p}.mlp.gate_proj`, H, I, mlpBias),
        up: this.linear(`${p}.mlp.up_proj`, H, I, mlpBias),
        down: this.linear(`${p}.mlp.down_proj`, I, H, mlpBias),
      });
    }
    this.norm = this.param('model.norm.weight', [H], 'ones');
    this.lmHead = config.tieWordEmbeddings === false ? this.param('lm_head.weight', [config.vocabSize, H], 'normal') : null;
  }

  /** Logits [B, T, V] (or [B, 1, V] with lastOnly). */
  forward(batch: DecoderBatch, opts: DecoderForwardOptions = {}): Tensor {
    const { hidden: H, heads, kvHeads, ropeTheta, eps } = this.config;
    const D = headDim(this.config);
    const ids = batch.inputIds;
    if (ids.shape.length !== 2 || ids.dtype !== 'i32') throw new ShapeError(`inputIds must be i32 [B, T], got ${ids}`);
    const [B, T] = ids.shape as [number, number];
    const offset = opts.offset ?? 0;
    const cache = opts.cache;
    const keyLen = cache ? cache.maxLen : T;
    if (offset + T > (cache ? cache.maxLen : this.config.maxPosition)) {
      throw new ShapeError(`positions up to ${offset + T} exceed ${cache ? `the KV cache length ${cache.maxLen}` : `the model's maxPosition ${this.config.maxPosition}`}`);
    }
    if (cache && cache.batch !== B) throw new ShapeError(`the KV cache holds ${cache.batch} rows, the batch has ${B}`);
    const mask = batch.attentionMask;
    if (mask && (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== keyLen)) throw new ShapeError(`attentionMask must be [${B}, ${keyLen}], got ${mask}`);
    if ((cache || opts.lastOnly) && this.engine.autograd.enabled) throw new EngineError('the KV cache and lastOnly are for generation: run them inside engine.autograd.noGrad');
    // Explicit positions are absolute (they already include the offset).
    const ropeOpts = batch.positions ? { theta: ropeTheta, positions: batch.positions } : { theta: ropeTheta, positionOffset: offset };

    let x = embedding(ids, this.embedTokens);
    this.layers.forEach((layer, l) => {
      const h = rmsNorm(x, layer.inputNorm, eps);
      const q = rope(reshapeCopy(layer.q.forward(h), [B, T, heads, D]), ropeOpts);
      let k = rope(reshapeCopy(layer.k.forward(h), [B, T, kvHeads, D]), ropeOpts);
      let v = reshapeCopy(layer.v.forward(h), [B, T, kvHeads, D]);
      if (cache) {
        const slot = cache.layers[l]!;
        const row = kvHeads * D * 4;
        for (let b = 0; b < B; b++) {
          this.engine.copy(k, slot.k, T * row, b * T * row, (b * cache.maxLen + offset) * row);
          this.engine.copy(v, slot.v, T * row, b * T * row, (b * cache.maxLen + offset) * row);
        }
        k = slot.k;
        v = slot.v;
      }
      const a = attention(q, k, v, { causal: true, queryOffset: cache ? offset : 0, ...(mask ? { keyMask: mask } : {}) });
      x = add(x, layer.o.forward(reshapeCopy(a, [B, T, H])));
      const h2 = rmsNorm(x, layer.postNorm, eps);
      x = add(x, layer.down.forward(swiglu(layer.gate.forward(h2), layer.up.forward(h2))));
    });
    if (opts.lastOnly && T > 1) x = lastPosition(this.engine, x);
    return linear(rmsNorm(x, this.norm, eps), this.lmHead ?? this.embedTokens);
  }

  /** A zeroed KV cache for `batch` rows of up to `maxLen` tokens (the caller releases it). */
  createKvCache(batch: number, maxLen: number): KvCache {
    if (maxLen > this.config.maxPosition) throw new ShapeError(`a KV cache of ${maxLen} tokens exceeds the model's maxPosition ${this.config.maxPosition}`);
    const shape = [batch, maxLen, this.config.kvHeads, headDim(this.config)];
    // Zeroed so that never-written slots hold finite values (they are masked out by causality).
    const layers = this.layers.map(() => ({ k: this.engine.zeros(shape).keep(), v: this.engine.zeros(shape).keep() }));
    return {
      batch,
      maxLen,
      layers,
      release: () => layers.forEach(({ k, v }) => (k.release(), v.release())),
    };
  }
}

/** x[:, T-1, :] as [B, 1, H] (no autograd). */
function lastPosition(engine: Engine, x: Tensor): Tensor {
  const [B, T, H] = x.shape as [number, number, number];
  const out = engine.empty([B, 1, H]);
  for (let b = 0; b < B; b++) engine.copy(x, out, H * 4, ((b + 1) * T - 1) * H * 4, b * H * 4);
  return out;
}
