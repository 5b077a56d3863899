// Encoder classifier in ModernBERT's layout and names (ModernBertForSequenceClassification):
// embeddings → LayerNorm → pre-norm layers (bidirectional attention with RoPE and a padding mask,
// GeGLU MLP) → final norm → pooling (cls | mean | last) → head (dense, GELU, norm) → classifier.
// As in ModernBERT, layer 0 has no attention norm (the embedding norm precedes it), q/k/v are one
// fused Wqkv projection and the MLP's Wi holds [input; gate].
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { Model, seededInit, type Initializer, type Linear } from './module.ts';
import { headDim, type EncoderConfig } from './config.ts';
import { splitLastDim } from '../ops/split.ts';
import { add, reshapeCopy } from '../ops/elementwise.ts';
import { layerNorm } from '../ops/norm.ts';
import { gelu, geglu } from '../ops/activation.ts';
import { embedding } from '../ops/embedding.ts';
import { rope } from '../ops/rope.ts';
import { attention } from '../ops/attention.ts';
import { pool } from '../ops/pooling.ts';

export interface EncoderBatch {
  /** Token ids, i32 [B, T]. */
  inputIds: Tensor;
  /** 1 = token, 0 = padding, f32 [B, T]. */
  attentionMask: Tensor;
}

interface Norm {
  weight: Tensor;
  bias: Tensor;
}

interface EncoderLayer {
  attnNorm: Norm | null;
  wqkv: Linear;
  wo: Linear;
  mlpNorm: Norm;
  wi: Linear;
  mlpWo: Linear;
}

export class EncoderClassifier extends Model<EncoderConfig> {
  private readonly tokEmbeddings: Tensor;
  private readonly embNorm: Norm;
  private readonly layers: EncoderLayer[] = [];
  private readonly finalNorm: Norm;
  private readonly headDense: Linear;
  private readonly headNorm: Norm;
  private readonly classifier: Linear;

  constructor(engine: Engine, config: EncoderConfig, init: Initializer = seededInit(0)) {
    super(engine, config, init);
    const { hidden: H, intermediate: I } = config;
    this.tokEmbeddings = this.param('model.embeddings.tok_embeddings.weight', [config.vocabSize, H], 'normal');
    this.embNorm = this.norm('model.embeddings.norm');
    for (let l = 0; l < config.layers; l++) {
      const p = `model.layers.${l}`;
      this.layers.push({
        attnNorm: l === 0 ? null : this.norm(`${p}.attn_norm`),
        wqkv: this.linear(`${p}.attn.Wqkv`, H, 3 * H, false),
        wo: this.linear(`${p}.attn.Wo`, H, H, false),
        mlpNorm: this.norm(`${p}.mlp_norm`),
        wi: this.linear(`${p}.mlp.Wi`, H, 2 * I, false),
        mlpWo: this.linear(`${p}.mlp.Wo`, I, H, false),
      });
    }
    this.finalNorm = this.norm('model.final_norm');
    this.headDense = this.linear('head.dense', H, H, true);
    this.headNorm = this.norm('head.norm');
    this.classifier = this.linear('classifier', H, config.numClasses, true);
  }

  private norm(name: string): Norm {
    return { weight: this.param(`${name}.weight`, [this.config.hidden], 'ones'), bias: this.param(`${name}.bias`, [this.config.hidden], 'zeros') };
  }

  private layerNorm(x: Tensor, n: Norm): Tensor {
    return layerNorm(x, n.weight, n.bias, this.config.eps);
  }

  /** The final hidden states [B, T, H] (before pooling). */
  encode(batch: EncoderBatch): Tensor {
    const { hidden: H, heads, intermediate: I, ropeTheta } = this.config;
    const D = headDim(this.config);
    const [B, T] = batch.inputIds.shape as [number, number];
    checkBatch(batch, this.config.maxPosition);
    let x = this.layerNorm(embedding(batch.inputIds, this.tokEmbeddings), this.embNorm);
    for (const layer of this.layers) {
      const h = layer.attnNorm ? this.layerNorm(x, layer.attnNorm) : x;
      const headShape = [B, T, heads, D];
      const [q, k, v] = splitLastDim(layer.wqkv.forward(h), [H, H, H], [headShape, headShape, headShape]);
      const a = attention(rope(q!, { theta: ropeTheta }), rope(k!, { theta: ropeTheta }), v!, { causal: false, keyMask: batch.attentionMask });
      x = add(x, layer.wo.forward(reshapeCopy(a, [B, T, H])));
      const [input, gate] = splitLastDim(layer.wi.forward(this.layerNorm(x, layer.mlpNorm)), [I, I]);
      // ModernBERT: act(input) · gate; our geglu(g, u) = gelu(g) · u.
      x = add(x, layer.mlpWo.forward(geglu(input!, gate!)));
    }
    return this.layerNorm(x, this.finalNorm);
  }

  /** Class logits [B, C]. */
  forward(batch: EncoderBatch): Tensor {
    const pooled = pool(this.encode(batch), batch.attentionMask, this.config.pooling);
    const head = this.layerNorm(gelu(this.headDense.forward(pooled)), this.headNorm);
    return this.classifier.forward(head);
  }
}

function checkBatch(batch: EncoderBatch, maxPosition: number): void {
  const ids = batch.inputIds;
  if (ids.shape.length !== 2 || ids.dtype !== 'i32') throw new ShapeError(`inputIds must be i32 [B, T], got ${ids}`);
  const m = batch.attentionMask;
  if (m.shape.length !== 2 || m.shape[0] !== ids.shape[0] || m.shape[1] !== ids.shape[1]) throw new ShapeError(`attentionMask must be [${ids.shape.join(', ')}], got ${m}`);
  if (ids.shape[1]! > maxPosition) throw new ShapeError(`sequence length ${ids.shape[1]} exceeds the model's maxPosition ${maxPosition}`);
}
