// Sequence pooling [B, T, H] → [B, H]: the first token (cls), the mask-weighted mean (mean), or
// the last token whose mask is set (last). A row with no tokens pools to zeros.
import { FLAT_INDEX, WORKGROUP_1D, grid1d } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';

/** The pooling kinds, named once for the whole project (models, CPU twin, experiment schema, UI). */
export const POOL_KINDS = ['cls', 'mean', 'last'] as const;
export type PoolKind = (typeof POOL_KINDS)[number];
const KIND_CODE: Record<PoolKind, number> = { cls: 0, mean: 1, last: 2 };

const HEADER = /* wgsl */ `
struct U { b: u32, t: u32, h: u32, kind: u32 }
const CLS = 0u;
const MEAN = 1u;`;

const FORWARD_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.b * u.h) { return; }
  let b = i / u.h;
  let col = i % u.h;
  let row = b * u.t * u.h + col;
  if (u.kind == CLS) { out[i] = x[row]; return; }
  if (u.kind == MEAN) {
    var sum = 0.0;
    var count = 0.0;
    for (var t = 0u; t < u.t; t++) {
      let m = mask[b * u.t + t];
      sum += m * x[row + t * u.h];
      count += m;
    }
    out[i] = select(0.0, sum / count, count > 0.0);
    return;
  }
  var acc = 0.0;
  for (var t = 0u; t < u.t; t++) {
    if (mask[b * u.t + t] != 0.0) { acc = x[row + t * u.h]; }
  }
  out[i] = acc;
}`;

// Per row: 1 / Σmask (mean) or the index of the last token (last); -1 or 0 when the row is empty.
const ROW_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read> mask: array<f32>;
@group(0) @binding(1) var<storage, read_write> rowInfo: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.x;
  if (b >= u.b) { return; }
  var count = 0.0;
  var last = -1.0;
  for (var t = 0u; t < u.t; t++) {
    let m = mask[b * u.t + t];
    count += m;
    if (m != 0.0) { last = f32(t); }
  }
  rowInfo[b] = select(last, select(0.0, 1.0 / count, count > 0.0), u.kind == MEAN);
}`;

const BACKWARD_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read> rowInfo: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.b * u.t * u.h) { return; }
  let col = i % u.h;
  let t = (i / u.h) % u.t;
  let b = i / (u.h * u.t);
  let gi = g[b * u.h + col];
  if (u.kind == CLS) { gx[i] = select(0.0, gi, t == 0u); return; }
  if (u.kind == MEAN) { gx[i] = mask[b * u.t + t] * rowInfo[b] * gi; return; }
  gx[i] = select(0.0, gi, f32(t) == rowInfo[b]);
}`;

/** Pools x [B, T, H] under mask [B, T] (f32, 1 = token, 0 = padding) into [B, H]. */
export function pool(x: Tensor, mask: Tensor, kind: PoolKind): Tensor {
  if (x.shape.length !== 3) throw new ShapeError(`pool: x must be [B, T, H], got [${x.shape.join(', ')}]`);
  const [B, T, H] = x.shape as [number, number, number];
  if (mask.dtype !== 'f32' || mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new ShapeError(`pool: mask must be f32 [${B}, ${T}], got ${mask.dtype} [${mask.shape.join(', ')}]`);
  }
  if (!(kind in KIND_CODE)) throw new ShapeError(`pool: unknown kind "${kind}" (cls, mean or last)`);
  if (T === 0) throw new ShapeError('pool: the sequence is empty');
  const engine = x.engine;
  const uniforms = new Uint32Array([B, T, H, KIND_CODE[kind]]);
  const out = engine.empty([B, H]);
  engine.dispatch(engine.kernel('pool.forward', FORWARD_WGSL), [x, mask, out], grid1d(B * H), uniforms);
  if (engine.autograd.needsGrad([x])) {
    engine.autograd.record([x, mask], [out], ([g]) => {
      const rowInfo = engine.empty([B]);
      const gx = engine.empty(x.shape);
      engine.dispatch(engine.kernel('pool.rowInfo', ROW_WGSL), [mask, rowInfo], [Math.ceil(B / 64)], uniforms);
      engine.dispatch(engine.kernel('pool.backward', BACKWARD_WGSL), [g!, mask, rowInfo, gx], grid1d(B * T * H), uniforms);
      rowInfo.release();
      return [gx, null];
    });
  }
  return out;
}
