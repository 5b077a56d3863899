// Scaled dot-product attention over [B, T, nH, D] queries and [B, S, nKV, D] keys and values,
// causal or bidirectional, with a key padding mask and grouped-query heads (nKV divides nH).
//
// Design: fused, flash-attention style. The forward kernel runs one workgroup per (64 queries,
// head, batch row); each thread owns one query, key/value tiles are staged in workgroup memory,
// and an online softmax keeps a running max and sum, so the T×S probabilities never exist in
// memory. It saves only the log-sum-exp per query (B·nH·T floats, instead of B·nH·T·S for saved
// probabilities). Backward recomputes the probabilities from q, k and that log-sum-exp:
//   kernel 1, one thread per query: δᵢ = Σ dOᵢ·Oᵢ and dqᵢ = scale Σⱼ pᵢⱼ(dOᵢ·vⱼ − δᵢ) kⱼ;
//   kernel 2, one thread per key of one kv head: dvⱼ = Σ pᵢⱼ dOᵢ and dkⱼ = scale Σ pᵢⱼ(dOᵢ·vⱼ − δᵢ) qᵢ,
//   summed over every query head that shares the kv head in a fixed order: deterministic, no atomics.
// A query with no visible key (all padding, or nothing before it under causal) outputs zeros.
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';

export interface AttentionOptions {
  /** Query i sees key j only when j ≤ queryOffset + i. */
  causal: boolean;
  /** f32 [B, S]: 1 = token, 0 = padding (never attended to). */
  keyMask?: Tensor;
  /** Score scale; 1/√D by default. */
  scale?: number;
  /** Absolute position of query 0 among the keys (KV cache length before these queries). */
  queryOffset?: number;
}

const WG = 64;
const MAX_HEAD_SIZE = 256;

/** Keys (or queries) per tile: two D-wide tiles stay within 8 KiB of workgroup memory. */
function tileFor(D: number): number {
  return Math.max(4, Math.min(WG, Math.floor(1024 / D)));
}

const UNIFORMS = /* wgsl */ `struct U { b: u32, t: u32, s: u32, nh: u32, nkv: u32, causal: u32, offset: u32, scale: f32 }`;

function maskCode(hasMask: boolean, binding: number): { decl: string; visible: (b: string, j: string) => string } {
  return hasMask
    ? { decl: `@group(0) @binding(${binding}) var<storage, read> keyMask: array<f32>;`, visible: (b, j) => `keyMask[${b} * u.s + ${j}] != 0.0` }
    : { decl: '', visible: () => 'true' };
}

function forwardWgsl(D: number, hasMask: boolean): string {
  const T = tileFor(D);
  const m = maskCode(hasMask, 3);
  const n = hasMask ? 4 : 3;
  return /* wgsl */ `
${UNIFORMS}
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
${m.decl}
@group(0) @binding(${n}) var<storage, read_write> out: array<f32>;
@group(0) @binding(${n + 1}) var<storage, read_write> lse: array<f32>;
@group(0) @binding(${n + 2}) var<uniform> u: U;
const D = ${D}u;
const TILE = ${T}u;
const WG = ${WG}u;
var<workgroup> kt: array<f32, ${T * D}>;
var<workgroup> vt: array<f32, ${T * D}>;
var<workgroup> visible: array<u32, ${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.y;
  let b = wid.z;
  let kh = h / (u.nh / u.nkv);
  let i = wid.x * WG + lid;
  let isLive = i < u.t;
  let rowBase = ((b * u.t + i) * u.nh + h) * D;
  var qi: array<f32, ${D}>;
  var acc: array<f32, ${D}>;
  if (isLive) {
    for (var d = 0u; d < D; d++) { qi[d] = q[rowBase + d] * u.scale; }
  }
  // Under causal, the workgroup's last query bounds the keys anyone here can see.
  var end = u.s;
  if (u.causal == 1u) { end = min(u.s, u.offset + min(u.t, wid.x * WG + WG)); }
  var mx = 0.0;
  var sum = 0.0;
  for (var j0 = 0u; j0 < end; j0 += TILE) {
    for (var e = lid; e < TILE * D; e += WG) {
      let j = j0 + e / D;
      if (j < u.s) {
        let src = ((b * u.s + j) * u.nkv + kh) * D + e % D;
        kt[e] = k[src];
        vt[e] = v[src];
      }
    }
    if (lid < TILE) {
      let j = j0 + lid;
      visible[lid] = select(0u, 1u, j < u.s && ${m.visible('b', 'j')});
    }
    workgroupBarrier();
    if (isLive) {
      for (var jj = 0u; jj < TILE; jj++) {
        let j = j0 + jj;
        if (visible[jj] == 0u || (u.causal == 1u && j > u.offset + i)) { continue; }
        var sc = 0.0;
        for (var d = 0u; d < D; d++) { sc += qi[d] * kt[jj * D + d]; }
        if (sum == 0.0) {
          mx = sc;
          sum = 1.0;
          for (var d = 0u; d < D; d++) { acc[d] = vt[jj * D + d]; }
        } else if (sc > mx) {
          let corr = exp(mx - sc);
          sum = sum * corr + 1.0;
          for (var d = 0u; d < D; d++) { acc[d] = acc[d] * corr + vt[jj * D + d]; }
          mx = sc;
        } else {
          let p = exp(sc - mx);
          sum += p;
          for (var d = 0u; d < D; d++) { acc[d] += p * vt[jj * D + d]; }
        }
      }
    }
    workgroupBarrier();
  }
  if (isLive) {
    let inv = select(0.0, 1.0 / sum, sum > 0.0);
    for (var d = 0u; d < D; d++) { out[rowBase + d] = acc[d] * inv; }
    lse[(b * u.nh + h) * u.t + i] = select(0.0, mx + log(sum), sum > 0.0);
  }
}`;
}

function backwardQueryWgsl(D: number, hasMask: boolean): string {
  const T = tileFor(D);
  const m = maskCode(hasMask, 3);
  const n = hasMask ? 4 : 3;
  return /* wgsl */ `
${UNIFORMS}
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
${m.decl}
@group(0) @binding(${n}) var<storage, read> out: array<f32>;
@group(0) @binding(${n + 1}) var<storage, read> gOut: array<f32>;
@group(0) @binding(${n + 2}) var<storage, read> lse: array<f32>;
@group(0) @binding(${n + 3}) var<storage, read_write> delta: array<f32>;
@group(0) @binding(${n + 4}) var<storage, read_write> gq: array<f32>;
@group(0) @binding(${n + 5}) var<uniform> u: U;
const D = ${D}u;
const TILE = ${T}u;
const WG = ${WG}u;
var<workgroup> kt: array<f32, ${T * D}>;
var<workgroup> vt: array<f32, ${T * D}>;
var<workgroup> visible: array<u32, ${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.y;
  let b = wid.z;
  let kh = h / (u.nh / u.nkv);
  let i = wid.x * WG + lid;
  let isLive = i < u.t;
  let rowBase = ((b * u.t + i) * u.nh + h) * D;
  let stat = (b * u.nh + h) * u.t + i;
  var qi: array<f32, ${D}>;
  var doi: array<f32, ${D}>;
  var dq: array<f32, ${D}>;
  var di = 0.0;
  var li = 0.0;
  if (isLive) {
    for (var d = 0u; d < D; d++) {
      qi[d] = q[rowBase + d] * u.scale;
      doi[d] = gOut[rowBase + d];
      di += doi[d] * out[rowBase + d];
    }
    delta[stat] = di;
    li = lse[stat];
  }
  var end = u.s;
  if (u.causal == 1u) { end = min(u.s, u.offset + min(u.t, wid.x * WG + WG)); }
  for (var j0 = 0u; j0 < end; j0 += TILE) {
    for (var e = lid; e < TILE * D; e += WG) {
      let j = j0 + e / D;
      if (j < u.s) {
        let src = ((b * u.s + j) * u.nkv + kh) * D + e % D;
        kt[e] = k[src];
        vt[e] = v[src];
      }
    }
    if (lid < TILE) {
      let j = j0 + lid;
      visible[lid] = select(0u, 1u, j < u.s && ${m.visible('b', 'j')});
    }
    workgroupBarrier();
    if (isLive) {
      for (var jj = 0u; jj < TILE; jj++) {
        let j = j0 + jj;
        if (visible[jj] == 0u || (u.causal == 1u && j > u.offset + i)) { continue; }
        var sc = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) {
          sc += qi[d] * kt[jj * D + d];
          dp += doi[d] * vt[jj * D + d];
        }
        let ds = exp(sc - li) * (dp - di);
        for (var d = 0u; d < D; d++) { dq[d] += ds * kt[jj * D + d]; }
      }
    }
    workgroupBarrier();
  }
  if (isLive) {
    for (var d = 0u; d < D; d++) { gq[rowBase + d] = dq[d] * u.scale; }
  }
}`;
}

function backwardKeyWgsl(D: number, hasMask: boolean): string {
  const T = tileFor(D);
  const m = maskCode(hasMask, 3);
  const n = hasMask ? 4 : 3;
  return /* wgsl */ `
${UNIFORMS}
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
${m.decl}
@group(0) @binding(${n}) var<storage, read> gOut: array<f32>;
@group(0) @binding(${n + 1}) var<storage, read> lse: array<f32>;
@group(0) @binding(${n + 2}) var<storage, read> delta: array<f32>;
@group(0) @binding(${n + 3}) var<storage, read_write> gk: array<f32>;
@group(0) @binding(${n + 4}) var<storage, read_write> gv: array<f32>;
@group(0) @binding(${n + 5}) var<uniform> u: U;
const D = ${D}u;
const TILE = ${T}u;
const WG = ${WG}u;
var<workgroup> qt: array<f32, ${T * D}>;
var<workgroup> gOutTile: array<f32, ${T * D}>;
var<workgroup> lt: array<f32, ${T}>;
var<workgroup> dt: array<f32, ${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let kh = wid.y;
  let b = wid.z;
  let groupSize = u.nh / u.nkv;
  let j = wid.x * WG + lid;
  let isLive = j < u.s && ${m.visible('b', 'j')};
  let keyBase = ((b * u.s + j) * u.nkv + kh) * D;
  var kj: array<f32, ${D}>;
  var vj: array<f32, ${D}>;
  var dk: array<f32, ${D}>;
  var dv: array<f32, ${D}>;
  if (isLive) {
    for (var d = 0u; d < D; d++) {
      kj[d] = k[keyBase + d] * u.scale;
      vj[d] = v[keyBase + d];
    }
  }
  // Under causal, query i sees key j when i ≥ j − offset: skip queries before the first key's.
  var start = 0u;
  if (u.causal == 1u && wid.x * WG > u.offset) { start = wid.x * WG - u.offset; }
  for (var h = kh * groupSize; h < (kh + 1u) * groupSize; h++) {
    for (var i0 = start; i0 < u.t; i0 += TILE) {
      for (var e = lid; e < TILE * D; e += WG) {
        let i = i0 + e / D;
        if (i < u.t) {
          let src = ((b * u.t + i) * u.nh + h) * D + e % D;
          qt[e] = q[src];
          gOutTile[e] = gOut[src];
        }
      }
      if (lid < TILE && i0 + lid < u.t) {
        let stat = (b * u.nh + h) * u.t + i0 + lid;
        lt[lid] = lse[stat];
        dt[lid] = delta[stat];
      }
      workgroupBarrier();
      if (isLive) {
        for (var ii = 0u; ii < TILE; ii++) {
          let i = i0 + ii;
          if (i >= u.t || (u.causal == 1u && j > u.offset + i)) { continue; }
          var sc = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < D; d++) {
            sc += qt[ii * D + d] * kj[d];
            dp += gOutTile[ii * D + d] * vj[d];
          }
          let p = exp(sc - lt[ii]);
          let ds = p * (dp - dt[ii]);
          for (var d = 0u; d < D; d++) {
            dv[d] += p * gOutTile[ii * D + d];
            dk[d] += ds * qt[ii * D + d];
          }
        }
      }
      workgroupBarrier();
    }
  }
  if (j < u.s) {
    for (var d = 0u; d < D; d++) {
      gk[keyBase + d] = dk[d] * u.scale;
      gv[keyBase + d] = dv[d];
    }
  }
}`;
}

function dims(t: Tensor): [number, number, number, number] {
  return t.shape as [number, number, number, number];
}

function validate(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): void {
  const shape = (t: Tensor) => `[${t.shape.join(', ')}]`;
  if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4) {
    throw new ShapeError(`attention: q, k and v must be [B, T, heads, D], got ${shape(q)}, ${shape(k)}, ${shape(v)}`);
  }
  const [B, , nH, D] = dims(q);
  const [Bk, , nKV, Dk] = dims(k);
  if (k.shape.some((d, i) => d !== v.shape[i])) throw new ShapeError(`attention: k ${shape(k)} and v ${shape(v)} differ`);
  if (Bk !== B || Dk !== D) throw new ShapeError(`attention: q ${shape(q)} and k ${shape(k)} disagree on batch or head size`);
  if (nKV === 0 || nH % nKV !== 0) throw new ShapeError(`attention: ${nKV} key/value heads do not divide ${nH} query heads`);
  if (D === 0 || D > MAX_HEAD_SIZE) throw new ShapeError(`attention: head size ${D} is outside 1..${MAX_HEAD_SIZE}`);
  const S = k.shape[1]!;
  const mask = opts.keyMask;
  if (mask && (mask.dtype !== 'f32' || mask.size !== B * S || mask.shape[0] !== B)) {
    throw new ShapeError(`attention: keyMask must be f32 [${B}, ${S}], got ${mask.dtype} ${shape(mask)}`);
  }
  const offset = opts.queryOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(`attention: queryOffset must be a non-negative integer, got ${offset}`);
}

function uniforms(q: Tensor, k: Tensor, opts: AttentionOptions): ArrayBuffer {
  const [B, T, nH, D] = dims(q);
  const [, S, nKV] = dims(k);
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 7).set([B, T, S, nH, nKV, opts.causal ? 1 : 0, opts.queryOffset ?? 0]);
  new Float32Array(u, 28, 1)[0] = opts.scale ?? 1 / Math.sqrt(D);
  return u;
}

function kernel(engine: Engine, name: string, D: number, hasMask: boolean, wgsl: (D: number, hasMask: boolean) => string) {
  return engine.kernel(`attention.${name}.D${D}${hasMask ? '.masked' : ''}`, wgsl(D, hasMask));
}

/** softmax(scale·q·kᵀ + mask)·v per head → [B, T, nH, D]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  validate(q, k, v, opts);
  const engine = q.engine;
  const [B, T, nH, D] = dims(q);
  const [, S, nKV] = dims(k);
  const mask = opts.keyMask;
  const masked = mask ? [mask] : [];
  const u = uniforms(q, k, opts);
  const out = engine.empty(q.shape);
  const lse = engine.empty([B, nH, T]);
  engine.dispatch(kernel(engine, 'forward', D, !!mask, forwardWgsl), [q, k, v, ...masked, out, lse], [Math.ceil(T / WG), nH, B], u);
  if (!engine.autograd.needsGrad([q, k, v])) {
    lse.release();
    return out;
  }
  engine.autograd.record([q, k, v, ...masked], [out], ([gOut]) => {
    const delta = engine.empty([B, nH, T]);
    const gq = engine.empty(q.shape);
    const gk = engine.empty(k.shape);
    const gv = engine.empty(v.shape);
    engine.dispatch(kernel(engine, 'backwardQuery', D, !!mask, backwardQueryWgsl), [q, k, v, ...masked, out, gOut!, lse, delta, gq], [Math.ceil(T / WG), nH, B], u);
    engine.dispatch(kernel(engine, 'backwardKey', D, !!mask, backwardKeyWgsl), [q, k, v, ...masked, gOut!, lse, delta, gk, gv], [Math.ceil(S / WG), nKV, B], u);
    delta.release();
    lse.release();
    return [gq, gk, gv, ...masked.map(() => null)];
  });
  return out;
}
