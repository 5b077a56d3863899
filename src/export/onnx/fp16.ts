// The fp16 variant of a graph: every f32 weight stored as f16 (half the download) and widened back
// to f32 by a Cast at the start of the graph, so inputs, outputs (and the past key/value cache that
// transformers.js allocates) stay f32 and the arithmetic is the fp32 graph's.
import { DataType, type GraphProto, type NodeProto, type TensorProto } from './proto.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 → binary16 bits, round to nearest even (overflow → ±Inf, NaN kept). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function toFloat16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = toFloat16Bits(data[i]!);
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
