// The decoder (DecoderLM, Qwen2 / Llama layout) as a with-past ONNX graph with Optimum's names for
// Qwen2ForCausalLM, so generation is incremental and transformers.js runs it:
//   in:  input_ids, position_ids (int64 [batch_size, sequence_length]),
//        attention_mask (int64 [batch_size, past_sequence_length + sequence_length]),
//        past_key_values.{i}.key / .value (f32 [batch_size, kv_heads, past_sequence_length, head_dim];
//        past length 0 for the first call)
//   out: logits (f32 [batch_size, sequence_length, vocab]),
//        present.{i}.key / .value (the past with this call's keys and values appended).
// Same computation as the engine: causal attention under the key mask, grouped-query heads, RMSNorm,
// SwiGLU, logits through the tied embedding matrix.
import type { DecoderConfig } from '../../engine/nn/config.ts';
import { headDim } from '../../engine/nn/config.ts';
import { DataType, type GraphProto } from './proto.ts';
import { GraphBuilder } from './builder.ts';
import { tensorLookup, type Tensors } from './tensors.ts';

export function decoderGraph(config: DecoderConfig, tensors: Tensors): GraphProto {
  // The graph is the tied Qwen2 layout: refuse what it does not build rather than export something else.
  if (config.tieWordEmbeddings === false || config.outputBias || config.mlpBias) {
    throw new Error('ONNX export supports tied decoders without o_proj / MLP biases (Qwen2 layout, or Llama without attention_bias / mlp_bias); this model has ' + [config.tieWordEmbeddings === false ? 'a separate lm_head' : '', config.outputBias ? 'o_proj biases' : '', config.mlpBias ? 'MLP biases' : ''].filter(Boolean).join(', '));
  }
  const t = tensorLookup(tensors);
  const g = new GraphBuilder('lantern-decoder-lm');
  const { hidden: H, heads, kvHeads, eps, vocabSize: V } = config;
  const D = headDim(config);
  const group = heads / kvHeads;
  const ids = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const past = Array.from({ length: config.layers }, (_, l) => ({
    key: g.input(`past_key_values.${l}.key`, DataType.FLOAT, ['batch_size', kvHeads, 'past_sequence_length', D]),
    value: g.input(`past_key_values.${l}.value`, DataType.FLOAT, ['batch_size', kvHeads, 'past_sequence_length', D]),
  }));
  const B = g.dim(ids, 0);
  const T = g.dim(ids, 1);
  const S = g.dim(mask, 1);
  // Query t sits at absolute position (S − T) + t and sees keys j ≤ that position that the mask keeps.
  const queryPos = g.op('Unsqueeze', [g.range(T, g.op('Sub', [S, T])), g.ints([1])]);
  const keyPos = g.op('Unsqueeze', [g.range(S), g.ints([0])]);
  const causal = g.op('Unsqueeze', [g.op('LessOrEqual', [keyPos, queryPos]), g.ints([0, 1])]);
  const keyOk = g.op('Unsqueeze', [g.op('Cast', [mask], { to: DataType.BOOL }), g.ints([1, 2])]);
  const allowed = g.op('And', [causal, keyOk]);
  const rot = g.rotary(positionIds, D, config.ropeTheta, config.maxPosition);

  const embed = g.weight('model.embed_tokens.weight', t('model.embed_tokens.weight').data, [V, H]);
  let x = g.op('Gather', [embed, ids], { axis: 0 });
  // [B, kvHeads, S, D] → [B, heads, S, D]: each kv head serves `group` query heads.
  const repeatKv = (y: string) => (group === 1 ? y : g.reshape(g.op('Expand', [g.op('Unsqueeze', [y, g.ints([2])]), g.shape([B, kvHeads, group, S, D])]), [B, heads, S, D]));
  const bias = (name: string) => (config.attentionBias ? t(name) : undefined);
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}`;
    const h = g.rmsNorm(x, `${p}.input_layernorm`, t(`${p}.input_layernorm.weight`).data, eps);
    const proj = (name: string, n: number) => g.reshape(g.linear(h, `${p}.self_attn.${name}`, t(`${p}.self_attn.${name}.weight`), bias(`${p}.self_attn.${name}.bias`)), [B, T, n, D]);
    const q = g.op('Transpose', [g.applyRotary(proj('q_proj', heads), rot, D)], { perm: [0, 2, 1, 3] });
    const kNew = g.op('Transpose', [g.applyRotary(proj('k_proj', kvHeads), rot, D)], { perm: [0, 2, 1, 3] });
    const vNew = g.op('Transpose', [proj('v_proj', kvHeads)], { perm: [0, 2, 1, 3] });
    const k = g.op('Concat', [past[l]!.key, kNew], { axis: 2 });
    const v = g.op('Concat', [past[l]!.value, vNew], { axis: 2 });
    g.output(k, `present.${l}.key`, DataType.FLOAT, ['batch_size', kvHeads, 'total_sequence_length', D]);
    g.output(v, `present.${l}.value`, DataType.FLOAT, ['batch_size', kvHeads, 'total_sequence_length', D]);
    const a = g.reshape(g.op('Transpose', [g.attention(q, repeatKv(k), repeatKv(v), allowed, D)], { perm: [0, 2, 1, 3] }), [B, T, H]);
    x = g.op('Add', [x, g.linear(a, `${p}.self_attn.o_proj`, t(`${p}.self_attn.o_proj.weight`))]);
    const h2 = g.rmsNorm(x, `${p}.post_attention_layernorm`, t(`${p}.post_attention_layernorm.weight`).data, eps);
    const mlp = g.op('Mul', [g.silu(g.linear(h2, `${p}.mlp.gate_proj`, t(`${p}.mlp.gate_proj.weight`))), g.linear(h2, `${p}.mlp.up_proj`, t(`${p}.mlp.up_proj.weight`))]);
    x = g.op('Add', [x, g.linear(mlp, `${p}.mlp.down_proj`, t(`${p}.mlp.down_proj.weight`))]);
  }
  // Tied output projection: Gemm against the embedding matrix itself (transB), so it is stored once.
  const final = g.reshape(g.rmsNorm(x, 'model.norm', t('model.norm.weight').data, eps), [-1, H]);
  const logits = g.reshape(g.op('Gemm', [final, embed], { transB: 1 }), [B, T, V]);
  g.output(logits, 'logits', DataType.FLOAT, ['batch_size', 'sequence_length', V]);
  // Outputs in Optimum's order: logits first, then present.* by layer.
  g.outputs.unshift(g.outputs.pop()!);
  return g.graph();
}

/** Names of the with-past inputs and outputs, for callers that feed the graph. */
export function decoderIo(layers: number): { pastKeys: string[]; presentKeys: string[] } {
  const pastKeys: string[] = [];
  const presentKeys: string[] = [];
  for (let l = 0; l < layers; l++) {
    pastKeys.push(`past_key_values.${l}.key`, `past_key_values.${l}.value`);
    presentKeys.push(`present.${l}.key`, `present.${l}.value`);
  }
  return { pastKeys, presentKeys };
}
