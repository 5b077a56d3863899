// The fp16 variant of a graph: every f32 weight stored as f16 (half the download) and widened back
// to f32 by a Cast at the start of the graph, so inputs, outputs (and the past key/value cache that
// transformers.js allocates) stay f32 and the arithmetic is the fp32 graph's.
import { DataType, type GraphProto, type NodeProto, type TensorProto } from './proto.ts';
import { floatToHalf } from '../../engine/safetensors.ts';

export function toFloat16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = floatToHalf(data[i]!);
  return out;
}

/** Weights with at least this many values go to f16; scalars (eps, scales) stay f32. */
const MIN_VALUES = 2;

export function fp16Graph(graph: GraphProto): GraphProto {
  const casts: NodeProto[] = [];
  const initializers: TensorProto[] = graph.initializers.map((t) => {
    const n = t.rawData.byteLength / 4;
    if (t.dataType !== DataType.FLOAT || n < MIN_VALUES) return t;
    const data = new Float32Array(t.rawData.buffer.slice(t.rawData.byteOffset, t.rawData.byteOffset + t.rawData.byteLength));
    const name = `${t.name}_fp16`;
    casts.push({ opType: 'Cast', inputs: [name], outputs: [t.name], name: `${t.name}/cast`, attributes: { to: DataType.FLOAT } });
    return { name, dims: t.dims, dataType: DataType.FLOAT16, rawData: new Uint8Array(toFloat16(data).buffer) };
  });
  return { ...graph, nodes: [...casts, ...graph.nodes], initializers };
}
