// A small ONNX graph builder: named inputs, outputs and initializers, and nodes whose outputs get
// fresh names. The student graphs (encoder.ts, decoder.ts) are written with it, from the standard
// ONNX operators of one opset (OPSET); composite pieces both graphs use (norms, activations,
// rotary embeddings, attention) are the functions at the bottom.
import { DataType, type AttributeValue, type DataTypeId, type Dim, type GraphProto, type NodeProto, type TensorProto, type ValueInfo } from './proto.ts';

/** Opset 17: LayerNormalization is standard; ReduceMean still takes `axes` as an attribute. */
export const OPSET = 17;

/** The most negative f32: masked attention scores (as Hugging Face's exports use). */
const F32_MIN = -3.4028234663852886e38;

export function floatBytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private count = 0;
  private readonly constants = new Map<string, string>();

  constructor(readonly name: string) {}

  input(name: string, elemType: DataTypeId, shape: Dim[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Marks `value` as the graph output `name` (through an Identity when the names differ). */
  output(value: string, name: string, elemType: DataTypeId, shape: Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name], name: `${name}/identity` });
    this.outputs.push({ name, elemType, shape });
  }

  /** An f32 initializer. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: floatBytes(data) });
    return name;
  }

  /** A small constant (shared by value): int64 indices and shapes, or f32 scalars. */
  constant(values: readonly number[], type: 'int64' | 'float', dims: number[] = [values.length]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = `const_${this.constants.size}`;
    const rawData = type === 'int64' ? new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer) : floatBytes(Float32Array.from(values));
    this.initializers.push({ name, dims, dataType: type === 'int64' ? DataType.INT64 : DataType.FLOAT, rawData });
    this.constants.set(key, name);
    return name;
  }

  scalar(value: number): string {
    return this.constant([value], 'float', []);
  }

  ints(values: readonly number[]): string {
    return this.constant(values, 'int64');
  }

  /** One node with one output. */
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>): string {
    return this.opN(opType, inputs, 1, attributes)[0]!;
  }

  opN(opType: string, inputs: string[], outputs: number, attributes?: Record<string, AttributeValue>): string[] {
    const id = this.count++;
    const names = Array.from({ length: outputs }, (_, i) => `${opType.toLowerCase()}_${id}${outputs > 1 ? `_${i}` : ''}`);
    this.nodes.push({ opType, inputs, outputs: names, name: `${opType}_${id}`, ...(attributes ? { attributes } : {}) });
    return names;
  }

  graph(): GraphProto {
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  // ---- shapes -------------------------------------------------------------------------------------

  /** Dimension `axis` of `x` as an int64 [1] tensor. */
  dim(x: string, axis: number): string {
    return this.op('Gather', [this.op('Shape', [x]), this.ints([axis])], { axis: 0 });
  }

  /** A shape from int64 [1] pieces and fixed numbers. */
  shape(parts: (string | number)[]): string {
    return this.op('Concat', parts.map((p) => (typeof p === 'number' ? this.ints([p]) : p)), { axis: 0 });
  }

  reshape(x: string, parts: (string | number)[]): string {
    return this.op('Reshape', [x, parts.every((p) => typeof p === 'number') ? this.ints(parts as number[]) : this.shape(parts)]);
  }

  /** 0, 1, …, n−1 (int64) for an int64 [1] length. */
  range(length: string, start?: string): string {
    const scalar = (t: string) => this.op('Squeeze', [t, this.ints([0])]);
    const from = start ? scalar(start) : this.constant([0], 'int64', []);
    const to = start ? this.op('Add', [from, scalar(length)]) : scalar(length);
    return this.op('Range', [from, to, this.constant([1], 'int64', [])]);
  }

  // ---- layers -------------------------------------------------------------------------------------

  /** x · Wᵀ (+ b) for a Hugging Face weight [out, in]: the initializer stores Wᵀ [in, out] for MatMul. */
  linear(x: string, name: string, weight: { shape: number[]; data: Float32Array }, bias?: { data: Float32Array }): string {
    const [out, inF] = weight.shape as [number, number];
    const y = this.op('MatMul', [x, this.weight(`${name}.weight`, transpose(weight.data, out, inF), [inF, out])]);
    return bias ? this.op('Add', [y, this.weight(`${name}.bias`, bias.data, [out])]) : y;
  }

  layerNorm(x: string, name: string, gamma: Float32Array, beta: Float32Array, eps: number): string {
    return this.op('LayerNormalization', [x, this.weight(`${name}.weight`, gamma, [gamma.length]), this.weight(`${name}.bias`, beta, [beta.length])], { axis: -1, epsilon: { float: eps } });
  }

  /** x / sqrt(mean(x²) + eps) · γ (the engine's RMSNorm). */
  rmsNorm(x: string, name: string, gamma: Float32Array, eps: number): string {
    const meanSq = this.op('ReduceMean', [this.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const rstd = this.op('Reciprocal', [this.op('Sqrt', [this.op('Add', [meanSq, this.scalar(eps)])])]);
    return this.op('Mul', [this.op('Mul', [x, rstd]), this.weight(`${name}.weight`, gamma, [gamma.length])]);
  }

  /** GELU, tanh approximation (gelu_pytorch_tanh), as the engine computes it. */
  gelu(x: string): string {
    const cube = this.op('Mul', [this.op('Mul', [x, x]), x]);
    const inner = this.op('Mul', [this.op('Add', [x, this.op('Mul', [cube, this.scalar(0.044715)])]), this.scalar(Math.sqrt(2 / Math.PI))]);
    return this.op('Mul', [this.op('Mul', [x, this.scalar(0.5)]), this.op('Add', [this.op('Tanh', [inner]), this.scalar(1)])]);
  }

  silu(x: string): string {
    return this.op('Mul', [x, this.op('Sigmoid', [x])]);
  }

  /**
   * cos and sin [B|1, T, 1, D] of the rotary angles p·θ^(−2i/D) (duplicated over both halves,
   * Hugging Face's rotate-half layout), gathered for int64 positions [B|1, T] from tables computed
   * here in float64: the Sin/Cos built-ins of some GPUs are off by ~1e-3 (WGSL allows it).
   */
  rotary(positions: string, headDim: number, theta: number, maxPosition: number): { cos: string; sin: string } {
    const half = headDim / 2;
    const cos = new Float32Array(maxPosition * headDim);
    const sin = new Float32Array(maxPosition * headDim);
    for (let p = 0; p < maxPosition; p++) {
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(p * Math.fround(Math.pow(theta, (-2 * i) / headDim)));
        for (const j of [i, i + half]) {
          cos[p * headDim + j] = Math.cos(angle);
          sin[p * headDim + j] = Math.sin(angle);
        }
      }
    }
    const gather = (table: string) => this.op('Unsqueeze', [this.op('Gather', [table, positions], { axis: 0 }), this.ints([2])]);
    return { cos: gather(this.weight('rotary.cos', cos, [maxPosition, headDim])), sin: gather(this.weight('rotary.sin', sin, [maxPosition, headDim])) };
  }

  /** x·cos + rotate_half(x)·sin for x [B, T, heads, D]. */
  applyRotary(x: string, rot: { cos: string; sin: string }, headDim: number): string {
    const half = headDim / 2;
    const [x1, x2] = this.opN('Split', [x, this.ints([half, half])], 2, { axis: -1 });
    const rotated = this.op('Concat', [this.op('Neg', [x2!]), x1!], { axis: -1 });
    return this.op('Add', [this.op('Mul', [x, rot.cos]), this.op('Mul', [rotated, rot.sin])]);
  }

  /**
   * softmax(q·kᵀ/√D where allowed) · v for q [B, H, T, D], k and v [B, H, S, D] and a boolean
   * `allowed` broadcastable to [B, H, T, S]. A query that may see no key gets zeros (as the engine's
   * attention), not the uniform average a plain masked softmax would give.
   */
  attention(q: string, k: string, v: string, allowed: string, headDim: number): string {
    const scores = this.op('Mul', [this.op('MatMul', [q, this.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), this.scalar(1 / Math.sqrt(headDim))]);
    const probs = this.op('Softmax', [this.op('Where', [allowed, scores, this.scalar(F32_MIN)])], { axis: -1 });
    const anyKey = this.op('ReduceMax', [this.op('Cast', [allowed], { to: DataType.FLOAT })], { axes: [-1], keepdims: 1 });
    return this.op('MatMul', [this.op('Mul', [probs, anyKey]), v]);
  }
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}
