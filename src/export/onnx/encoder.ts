// The encoder classifier (EncoderClassifier, ModernBERT layout) as an ONNX graph with Optimum's
// names for ModernBertForSequenceClassification: inputs input_ids, attention_mask (int64
// [batch_size, sequence_length]), output logits (f32 [batch_size, num_labels]). Same computation
// as the engine: every layer attends globally under the padding mask, rotary positions 0..T−1.
import type { EncoderConfig } from '../../engine/nn/config.ts';
import { headDim } from '../../engine/nn/config.ts';
import { DataType, type GraphProto } from './proto.ts';
import { GraphBuilder } from './builder.ts';
import { rows, tensorLookup, type Tensors } from './tensors.ts';

export function encoderGraph(config: EncoderConfig, tensors: Tensors): GraphProto {
  const t = tensorLookup(tensors);
  const g = new GraphBuilder('lantern-encoder-classifier');
  const { hidden: H, heads, intermediate: I, eps } = config;
  const D = headDim(config);
  const ids = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DataType.INT64, ['batch_size', 'sequence_length']);
  const B = g.dim(ids, 0);
  const T = g.dim(ids, 1);
  const maskF = g.op('Cast', [mask], { to: DataType.FLOAT });
  // Keys a query may attend to: [B, 1, 1, T].
  const allowed = g.op('Unsqueeze', [g.op('Cast', [mask], { to: DataType.BOOL }), g.ints([1, 2])]);
  const rot = g.rotary(g.op('Unsqueeze', [g.range(T), g.ints([0])]), D, config.ropeTheta, config.maxPosition);
  const norm = (x: string, name: string) => g.layerNorm(x, name, t(`${name}.weight`).data, t(`${name}.bias`).data, eps);

  let x = norm(g.op('Gather', [g.weight('model.embeddings.tok_embeddings.weight', t('model.embeddings.tok_embeddings.weight').data, [config.vocabSize, H]), ids], { axis: 0 }), 'model.embeddings.norm');
  const heads4 = (y: string) => g.reshape(y, [B, T, heads, D]);
  const toHeads = (y: string) => g.op('Transpose', [y], { perm: [0, 2, 1, 3] });
  for (let l = 0; l < config.layers; l++) {
    const p = `model.layers.${l}`;
    const h = l === 0 ? x : norm(x, `${p}.attn_norm`);
    const wqkv = t(`${p}.attn.Wqkv.weight`);
    const [wq, wk, wv] = rows(wqkv, [H, H, H]);
    const q = toHeads(g.applyRotary(heads4(g.linear(h, `${p}.attn.Wqkv.q`, wq!)), rot, D));
    const k = toHeads(g.applyRotary(heads4(g.linear(h, `${p}.attn.Wqkv.k`, wk!)), rot, D));
    const v = toHeads(heads4(g.linear(h, `${p}.attn.Wqkv.v`, wv!)));
    const a = g.reshape(g.op('Transpose', [g.attention(q, k, v, allowed, D)], { perm: [0, 2, 1, 3] }), [B, T, H]);
    x = g.op('Add', [x, g.linear(a, `${p}.attn.Wo`, t(`${p}.attn.Wo.weight`))]);
    const m = norm(x, `${p}.mlp_norm`);
    const [wInput, wGate] = rows(t(`${p}.mlp.Wi.weight`), [I, I]);
    const act = g.op('Mul', [g.gelu(g.linear(m, `${p}.mlp.Wi.input`, wInput!)), g.linear(m, `${p}.mlp.Wi.gate`, wGate!)]);
    x = g.op('Add', [x, g.linear(act, `${p}.mlp.Wo`, t(`${p}.mlp.Wo.weight`))]);
  }
  x = norm(x, 'model.final_norm');

  // Pooling as weights over positions [B, 1, T] · x [B, T, H] (cls: position 0; mean: the mask
  // over its count; last: the last position the mask keeps).
  let weights: string;
  if (config.pooling === 'mean') {
    const count = g.op('Max', [g.op('ReduceSum', [maskF, g.ints([1])], { keepdims: 1 }), g.scalar(1e-30)]);
    weights = g.op('Div', [maskF, count]);
  } else {
    const index =
      config.pooling === 'cls'
        ? g.ints([0])
        : // argmax of mask·(1..T) is the last kept position
          g.op('ArgMax', [g.op('Mul', [maskF, g.op('Add', [g.op('Cast', [g.range(T)], { to: DataType.FLOAT }), g.scalar(1)])])], { axis: 1, keepdims: 1 });
    weights = g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [g.range(T), g.ints([0])]), index])], { to: DataType.FLOAT });
  }
  const pooled = g.reshape(g.op('MatMul', [g.op('Unsqueeze', [weights, g.ints([1])]), x]), [B, H]);
  const dense = g.gelu(g.linear(pooled, 'head.dense', t('head.dense.weight'), t('head.dense.bias')));
  const head = norm(dense, 'head.norm');
  const logits = g.linear(head, 'classifier', t('classifier.weight'), t('classifier.bias'));
  g.output(logits, 'logits', DataType.FLOAT, ['batch_size', config.numClasses]);
  return g.graph();
}
