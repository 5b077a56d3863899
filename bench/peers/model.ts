// The `small` encoder and decoder written once for the peers (jax-js, TF.js) over a few array
// ops, in exactly our models' layout (src/engine/nn/encoder.ts, decoder.ts: ModernBERT and Qwen2,
// Hugging Face names and [out, in] weights), so that from our initial weights every contender
// computes the same loss: that is how the training rows cross-check answers.
import type { TrainingCase } from './workloads.ts';
import type { EncoderDims, DecoderDims } from '../../src/engine/presets.ts';

/**
 * What a peer supplies. Nothing consumes its inputs (the jax-js adapter adds `.ref`s), shapes are
 * row-major, `axis` -1 is the last.
 */
export interface PeerOps<A> {
  constant(data: Float32Array, shape: number[]): A;
  /** x [..., in] · Wᵀ (W [out, in], Hugging Face's layout) + b. */
  linear(x: A, w: A, b?: A): A;
  /** Batched a [..., m, k] · b [..., k, n] (same leading dims); transB: b is [..., n, k]. */
  matmul(a: A, b: A, transB?: boolean): A;
  transpose(a: A, perm: number[]): A;
  reshape(a: A, shape: number[]): A;
  add(a: A, b: A): A;
  sub(a: A, b: A): A;
  mul(a: A, b: A): A;
  scale(a: A, s: number): A;
  addScalar(a: A, s: number): A;
  tanh(a: A): A;
  sigmoid(a: A): A;
  rsqrt(a: A): A;
  sqrt(a: A): A;
  div(a: A, b: A): A;
  /** Mean over the last axis, kept as size 1. */
  meanLast(a: A): A;
  /** log-softmax over the last axis. */
  logSoftmax(a: A): A;
  softmax(a: A): A;
  /** Columns [start, start + width) of the last axis. */
  sliceLast(a: A, start: number, width: number): A;
  concatLast(parts: A[]): A;
  /** Rows of the embedding table E [V, H] for the batch (ids come with the batch). */
  embed(table: A, batch: PeerBatch<A>): A;
  /** Mean over rows of −Σ onehot · logp. */
  meanAll(a: A): A;
  sumLast(a: A): A;
}

export interface PeerBatch<A> {
  /** Token ids as the peer wants them (i32 tensor or one-hot rows). */
  ids: A;
  /** One-hot targets [rows, classes or vocab]. */
  targetOneHot: A;
  /** Additive attention bias, broadcast over batch and heads: [T, T] (encoder) or causal [g·T, T]. */
  attnBias: A;
  /** RoPE tables [1, T, 1, D/2]. */
  cos: A;
  sin: A;
}

export type Params<A> = Record<string, A>;

const GELU_C = Math.sqrt(2 / Math.PI);

function gelu<A>(o: PeerOps<A>, x: A): A {
  // 0.5·x·(1 + tanh(c·(x + 0.044715·x³)))
  const inner = o.scale(o.add(x, o.scale(o.mul(o.mul(x, x), x), 0.044715)), GELU_C);
  return o.mul(o.scale(x, 0.5), o.addScalar(o.tanh(inner), 1));
}

function layerNorm<A>(o: PeerOps<A>, x: A, w: A, b: A, eps: number): A {
  const c = o.sub(x, o.meanLast(x));
  return o.add(o.mul(o.mul(c, o.rsqrt(o.addScalar(o.meanLast(o.mul(c, c)), eps))), w), b);
}

function rmsNorm<A>(o: PeerOps<A>, x: A, w: A, eps: number): A {
  return o.mul(o.mul(x, o.rsqrt(o.addScalar(o.meanLast(o.mul(x, x)), eps))), w);
}

/** Hugging Face rotate-half on x [B, T, heads, D]. */
function rope<A>(o: PeerOps<A>, x: A, D: number, batch: PeerBatch<A>): A {
  const x1 = o.sliceLast(x, 0, D / 2);
  const x2 = o.sliceLast(x, D / 2, D / 2);
  return o.concatLast([o.sub(o.mul(x1, batch.cos), o.mul(x2, batch.sin)), o.add(o.mul(x2, batch.cos), o.mul(x1, batch.sin))]);
}

/**
 * Softmax attention: q [B, T, heads, D], k, v [B, T, kvHeads, D]; query head h reads kv head
 * h / (heads / kvHeads), done by folding each kv group's query heads into its rows.
 */
function attention<A>(o: PeerOps<A>, q: A, k: A, v: A, dims: { B: number; T: number; heads: number; kvHeads: number; D: number }, bias: A): A {
  const { B, T, heads, kvHeads, D } = dims;
  const g = heads / kvHeads;
  const qh = o.reshape(o.transpose(q, [0, 2, 1, 3]), [B, kvHeads, g * T, D]);
  const kh = o.transpose(k, [0, 2, 1, 3]);
  const vh = o.transpose(v, [0, 2, 1, 3]);
  const p = o.softmax(o.add(o.scale(o.matmul(qh, kh, true), 1 / Math.sqrt(D)), bias));
  const out = o.reshape(o.matmul(p, vh), [B, heads, T, D]);
  return o.reshape(o.transpose(out, [0, 2, 1, 3]), [B, T, heads * D]);
}

function crossEntropy<A>(o: PeerOps<A>, logits: A, batch: PeerBatch<A>): A {
  return o.scale(o.meanAll(o.sumLast(o.mul(o.logSoftmax(logits), batch.targetOneHot))), -1);
}

/** Mean cross-entropy of EncoderClassifier (cls pooling, no padding) for one batch. */
export function encoderLoss<A>(o: PeerOps<A>, p: Params<A>, batch: PeerBatch<A>, c: TrainingCase): A {
  const { hidden: H, heads, intermediate: I, layers } = c.dims as EncoderDims;
  const D = H / heads;
  const { batch: B, seqLen: T } = c;
  const eps = 1e-5;
  const ln = (x: A, name: string) => layerNorm(o, x, p[`${name}.weight`]!, p[`${name}.bias`]!, eps);
  let x = ln(o.embed(p['model.embeddings.tok_embeddings.weight']!, batch), 'model.embeddings.norm');
  for (let l = 0; l < layers; l++) {
    const pre = `model.layers.${l}`;
    const h = l === 0 ? x : ln(x, `${pre}.attn_norm`);
    const qkv = o.linear(h, p[`${pre}.attn.Wqkv.weight`]!);
    const heads4 = (a: A) => o.reshape(a, [B, T, heads, D]);
    const q = rope(o, heads4(o.sliceLast(qkv, 0, H)), D, batch);
    const k = rope(o, heads4(o.sliceLast(qkv, H, H)), D, batch);
    const v = heads4(o.sliceLast(qkv, 2 * H, H));
    x = o.add(x, o.linear(attention(o, q, k, v, { B, T, heads, kvHeads: heads, D }, batch.attnBias), p[`${pre}.attn.Wo.weight`]!));
    const wi = o.linear(ln(x, `${pre}.mlp_norm`), p[`${pre}.mlp.Wi.weight`]!);
    x = o.add(x, o.linear(o.mul(gelu(o, o.sliceLast(wi, 0, I)), o.sliceLast(wi, I, I)), p[`${pre}.mlp.Wo.weight`]!));
  }
  x = ln(x, 'model.final_norm');
  const pooled = o.reshape(o.sliceLast(o.reshape(x, [B, T * H]), 0, H), [B, H]); // cls: position 0
  const head = ln(gelu(o, o.linear(pooled, p['head.dense.weight']!, p['head.dense.bias']!)), 'head.norm');
  return crossEntropy(o, o.linear(head, p['classifier.weight']!, p['classifier.bias']!), batch);
}

/** Mean next-token cross-entropy of DecoderLM (tied embeddings, q/k/v biases). */
export function decoderLoss<A>(o: PeerOps<A>, p: Params<A>, batch: PeerBatch<A>, c: TrainingCase): A {
  const { hidden: H, heads, kvHeads, layers } = c.dims as DecoderDims;
  const D = H / heads;
  const { batch: B, seqLen: T } = c;
  const eps = 1e-6;
  const embed = p['model.embed_tokens.weight']!;
  let x = o.embed(embed, batch);
  for (let l = 0; l < layers; l++) {
    const pre = `model.layers.${l}`;
    const lin = (a: A, name: string, bias: boolean) => o.linear(a, p[`${pre}.${name}.weight`]!, bias ? p[`${pre}.${name}.bias`] : undefined);
    const h = rmsNorm(o, x, p[`${pre}.input_layernorm.weight`]!, eps);
    const q = rope(o, o.reshape(lin(h, 'self_attn.q_proj', true), [B, T, heads, D]), D, batch);
    const k = rope(o, o.reshape(lin(h, 'self_attn.k_proj', true), [B, T, kvHeads, D]), D, batch);
    const v = o.reshape(lin(h, 'self_attn.v_proj', true), [B, T, kvHeads, D]);
    x = o.add(x, lin(attention(o, q, k, v, { B, T, heads, kvHeads, D }, batch.attnBias), 'self_attn.o_proj', false));
    const h2 = rmsNorm(o, x, p[`${pre}.post_attention_layernorm.weight`]!, eps);
    const gate = lin(h2, 'mlp.gate_proj', false);
    x = o.add(x, lin(o.mul(o.mul(gate, o.sigmoid(gate)), lin(h2, 'mlp.up_proj', false)), 'mlp.down_proj', false));
  }
  const logits = o.linear(rmsNorm(o, x, p['model.norm.weight']!, eps), embed);
  return crossEntropy(o, o.reshape(logits, [B * T, c.vocab]), batch);
}

export function modelLoss<A>(o: PeerOps<A>, p: Params<A>, batch: PeerBatch<A>, c: TrainingCase): A {
  return c.model === 'encoder' ? encoderLoss(o, p, batch, c) : decoderLoss(o, p, batch, c);
}

/** The host-side tables of a batch: RoPE cos/sin [T, D/2] (float64, then f32) and the attention bias. */
export function batchTables(c: TrainingCase): { cos: Float32Array; sin: Float32Array; bias: Float32Array; biasShape: number[]; half: number } {
  const { hidden: H, heads } = c.dims;
  const D = H / heads;
  const half = D / 2;
  const theta = c.model === 'encoder' ? 160_000 : 1_000_000;
  const cos = new Float32Array(c.seqLen * half);
  const sin = new Float32Array(c.seqLen * half);
  for (let t = 0; t < c.seqLen; t++)
    for (let f = 0; f < half; f++) {
      const angle = t * Math.pow(theta, (-2 * f) / D);
      cos[t * half + f] = Math.cos(angle);
      sin[t * half + f] = Math.sin(angle);
    }
  const T = c.seqLen;
  if (c.model === 'encoder') return { cos, sin, bias: new Float32Array(T * T), biasShape: [T, T], half };
  const g = heads / (c.dims as DecoderDims).kvHeads;
  const bias = new Float32Array(g * T * T);
  for (let r = 0; r < g * T; r++) for (let j = 0; j < T; j++) bias[r * T + j] = j > r % T ? -1e9 : 0;
  return { cos, sin, bias, biasShape: [g * T, T], half };
}

/** One-hot rows for class / next-token targets. */
export function oneHot(ids: Int32Array, width: number): Float32Array {
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, r) => (out[r * width + id] = 1));
  return out;
}

/**
 * One AdamW update of one parameter, as ours (src/engine/optim.ts, PyTorch's AdamW): decoupled
 * weight decay, bias correction through `lrOverBc1` = lr / (1 − β1ᵗ) and `sqrtBc2` = √(1 − β2ᵗ),
 * given as [1] arrays so that a jit-compiled step does not depend on t.
 */
export function adamwUpdate<A>(o: PeerOps<A>, param: A, grad: A, m: A, v: A, lrOverBc1: A, sqrtBc2: A, h: { lr: number; betas: [number, number]; eps: number; weightDecay: number }): [A, A, A] {
  const [b1, b2] = h.betas;
  const m2 = o.add(o.scale(m, b1), o.scale(grad, 1 - b1));
  const v2 = o.add(o.scale(v, b2), o.scale(o.mul(grad, grad), 1 - b2));
  const denom = o.addScalar(o.div(o.sqrt(v2), sqrtBc2), h.eps);
  const p2 = o.sub(o.scale(param, 1 - h.lr * h.weightDecay), o.div(o.mul(m2, lrOverBc1), denom));
  return [p2, m2, v2];
}
