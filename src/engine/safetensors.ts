// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {string: string}}, then the raw little-endian tensor data (offsets relative to its start).
// Small enough to own: no dependency, works the same in a worker and in Node.

export interface NamedTensorData {
  shape: number[];
  data: Float32Array;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
// Files over this are refused before parsing the header (a header this large is a corrupt file).
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

/**
 * Writes tensors (in the order given) and string metadata to safetensors bytes: F32 by default;
 * `dtype` F16 or BF16 narrows every tensor with round-to-nearest-even (as torch's .half() /
 * .bfloat16() do), the form Hugging Face checkpoints usually come in.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, NamedTensorData> | Record<string, NamedTensorData>,
  metadata: Record<string, string> = {},
  opts: { dtype?: SafetensorsDtype } = {},
): Uint8Array {
  const entries: [string, NamedTensorData][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const dtype = opts.dtype ?? 'F32';
  const width = DTYPE_BYTES[dtype];
  if (!width) throw new SafetensorsError(`cannot write dtype ${dtype} (F32, F16 and BF16 can be written)`);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError('"__metadata__" is reserved and cannot name a tensor');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`${name}: shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (as the reference implementation does).
  const jsonBytesLen = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - ((8 + jsonBytesLen) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    if (dtype === 'F32') {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      if (isLittleEndian) out.set(bytes, pos);
      else for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + i * 4, t.data[i]!, true);
    } else {
      const narrow = dtype === 'BF16' ? floatToBf16 : floatToHalf;
      for (let i = 0; i < t.data.length; i++) view.setUint16(pos + i * 2, narrow(t.data[i]!), true);
    }
    pos += t.data.length * width;
  }
  return out;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensorData>;
  metadata: Record<string, string>;
  /** Each tensor's dtype as stored (its data is always f32 here). */
  dtypes: Map<string, SafetensorsDtype>;
}

/** Reads safetensors bytes; F16 and BF16 tensors are widened to F32. Bad input gets a clear error. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new SafetensorsError(`not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > bytes.length) {
    throw new SafetensorsError(`not a safetensors file: header length ${headerLen} does not fit in ${bytes.length} bytes`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(`not a safetensors file: the header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError('not a safetensors file: the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, NamedTensorData>();
  const dtypes = new Map<string, SafetensorsDtype>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) metadata[k] = String(v);
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = String(info?.dtype);
    const width = DTYPE_BYTES[dtype];
    if (!width) throw new SafetensorsError(`${name}: dtype ${dtype} is not supported (F32, F16 and BF16 are)`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`${name}: invalid shape ${JSON.stringify(info.shape)}`);
    const shape = info.shape as number[];
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o))) throw new SafetensorsError(`${name}: invalid data_offsets`);
    const [begin, end] = offsets as [number, number];
    const count = shape.reduce((a, b) => a * b, 1);
    if (begin < 0 || end < begin || end > dataLen || end - begin !== count * width) {
      throw new SafetensorsError(`${name}: data_offsets [${begin}, ${end}] do not hold ${count} ${dtype} values inside ${dataLen} data bytes`);
    }
    const data = new Float32Array(count);
    const at = dataStart + begin;
    if (dtype === 'F32') {
      if (isLittleEndian && (bytes.byteOffset + at) % 4 === 0) data.set(new Float32Array(bytes.buffer, bytes.byteOffset + at, count));
      else for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + i * 4, true);
    } else if (dtype === 'F16') {
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(at + i * 2, true));
    } else if (isLittleEndian && (bytes.byteOffset + at) % 2 === 0) {
      // BF16 is the top half of an f32: widen by a shift, through integer views (no per-value DataView call).
      const src = new Uint16Array(bytes.buffer, bytes.byteOffset + at, count);
      const dst = new Uint32Array(data.buffer);
      for (let i = 0; i < count; i++) dst[i] = src[i]! << 16;
    } else {
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      for (let i = 0; i < count; i++) {
        u[0] = view.getUint16(at + i * 2, true) << 16;
        data[i] = f[0]!;
      }
    }
    tensors.set(name, { shape, data });
    dtypes.set(name, dtype as SafetensorsDtype);
  }
  return { tensors, metadata, dtypes };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 → bf16 bits, round to nearest even (NaN stays a quiet NaN). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** f32 → IEEE half bits, round to nearest even; overflow gives ±Infinity, tiny values subnormals or ±0. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: the 24-bit significand shifted right by 14 - e (1 - e extra), rounded to even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is still right (up to Infinity)
  return sign | h;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
