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
// Software adapters get direct variants of the three kernels instead (see "direct kernels" below).
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { packUniforms } from '../wgsl.ts';

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

/** Keys (or queries) per tile: two tiles of D floats per row stay within 8 KiB of workgroup memory. */
function tileFor(D: number): number {
  return Math.max(4, Math.min(WG, Math.floor(256 / Math.ceil(D / 4))));
}

const UNIFORMS = /* wgsl */ `struct U { b: u32, t: u32, s: u32, nh: u32, nkv: u32, causal: u32, offset: u32, scale: f32 }`;

// Per-thread vectors (a query, its accumulator…) live in D/4 vec4 variables with every loop over
// the head size unrolled at generation time: constant indices let a compiler keep them in
// registers, where a dynamically indexed private array may be placed in memory.
class HeadCode {
  readonly n: number; // vec4 chunks
  constructor(readonly D: number) {
    this.n = Math.ceil(D / 4);
  }
  private each(fn: (c: number) => string, sep = '\n  '): string {
    return Array.from({ length: this.n }, (_, c) => fn(c)).join(sep);
  }
  /** var name0 = vec4f(0.0); … */
  declare(name: string): string {
    return this.each((c) => `var ${name}${c} = vec4f(0.0);`);
  }
  /** name_c = <row of buf at base, chunk c> · factor, padding past D with zeros. */
  load(name: string, buf: string, base: string, factor = ''): string {
    return this.each((c) => {
      const parts = [0, 1, 2, 3].map((k) => (4 * c + k < this.D ? `${buf}[${base} + ${4 * c + k}u]` : '0.0'));
      return `${name}${c} = vec4f(${parts.join(', ')})${factor};`;
    });
  }
  /** Writes the D real components of name_c · factor to buf at base. */
  store(name: string, buf: string, base: string, factor = ''): string {
    const lines: string[] = [];
    for (let c = 0; c < this.n; c++) {
      for (let k = 0; k < 4 && 4 * c + k < this.D; k++) lines.push(`${buf}[${base} + ${4 * c + k}u] = ${name}${c}[${k}]${factor};`);
    }
    return lines.join('\n    ');
  }
  /** dot(a_c, tile[row·n + c]) summed over chunks. */
  dot(reg: string, tile: string, row: string): string {
    return this.each((c) => `dot(${reg}${c}, ${tile}[${row} * ${this.n}u + ${c}u])`, ' + ');
  }
  /** reg_c = reg_c · keep + weight · tile[row·n + c]. */
  axpy(reg: string, keep: string | null, weight: string, tile: string, row: string): string {
    return this.each((c) => `${reg}${c} = ${keep ? `${reg}${c} * ${keep} + ` : `${reg}${c} + `}${weight} * ${tile}[${row} * ${this.n}u + ${c}u];`);
  }
}

/**
 * WGSL that stages rows [first, first + TILE) of a [B, rows, heads, D] tensor into vec4 tiles.
 * Rows past `limit` or failing `keep` are staged as zeros, so whatever sits there (padding, an
 * unwritten cache slot) can never leak a NaN into the sums.
 */
function stageTiles(h: HeadCode, tile: number, dst: string[], src: string[], first: string, limit: string, headOf: string, heads: string, keep: (r: string) => string): string {
  const n = h.n;
  const read = (buf: string) =>
    h.D % 4 === 0
      ? `vec4f(${buf}[o], ${buf}[o + 1u], ${buf}[o + 2u], ${buf}[o + 3u])`
      : `vec4f(${[0, 1, 2, 3].map((k) => `select(0.0, ${buf}[o + ${k}u], c * 4u + ${k}u < D)`).join(', ')})`;
  return `for (var e = lid; e < ${tile * n}u; e += WG) {
      let r = ${first} + e / ${n}u;
      let c = e % ${n}u;
      ${dst.map((d) => `var ${d}Value = vec4f(0.0);`).join('\n      ')}
      if (r < ${limit} && ${keep('r')}) {
        let o = ((b * ${limit} + r) * ${heads} + ${headOf}) * D + c * 4u;
        ${dst.map((d, i) => `${d}Value = ${read(src[i]!)};`).join('\n        ')}
      }
      ${dst.map((d) => `${d}[e] = ${d}Value;`).join('\n      ')}
    }`;
}

function maskCode(hasMask: boolean, binding: number): { decl: string; visible: (b: string, j: string) => string } {
  return hasMask
    ? { decl: `@group(0) @binding(${binding}) var<storage, read> keyMask: array<f32>;`, visible: (b, j) => `keyMask[${b} * u.s + ${j}] != 0.0` }
    : { decl: '', visible: () => 'true' };
}

function header(D: number, tile: number): string {
  return `const D = ${D}u;
const TILE = ${tile}u;
const WG = ${WG}u;
// Finite stand-in for -inf: exp(NEG - x) is 0 and never NaN.
const NEG = -1.0e30;`;
}

function forwardWgsl(D: number, hasMask: boolean): string {
  const T = tileFor(D);
  const h = new HeadCode(D);
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
${header(D, T)}
var<workgroup> kt: array<vec4f, ${T * h.n}>;
var<workgroup> vt: array<vec4f, ${T * h.n}>;
var<workgroup> visible: array<u32, ${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.y;
  let b = wid.z;
  let kh = h / (u.nh / u.nkv);
  let i = wid.x * WG + lid;
  let isLive = i < u.t;
  let rowBase = ((b * u.t + i) * u.nh + h) * D;
  ${h.declare('q')}
  ${h.declare('acc')}
  if (isLive) {
    ${h.load('q', 'q', 'rowBase', ' * u.scale')}
  }
  // Under causal, the workgroup's last query bounds the keys anyone here can see.
  var end = u.s;
  if (u.causal == 1u) { end = min(u.s, u.offset + min(u.t, wid.x * WG + WG)); }
  var mx = NEG;
  var sum = 0.0;
  for (var j0 = 0u; j0 < end; j0 += TILE) {
    ${stageTiles(h, T, ['kt', 'vt'], ['k', 'v'], 'j0', 'u.s', 'kh', 'u.nkv', (r) => `${r} < end && ${m.visible('b', r)}`)}
    if (lid < TILE) {
      let j = j0 + lid;
      visible[lid] = select(0u, 1u, j < u.s && ${m.visible('b', 'j')});
    }
    workgroupBarrier();
    for (var jj = 0u; jj < TILE; jj++) {
      let j = j0 + jj;
      // Branch-free online softmax: invisible keys leave the running max, sum and accumulator alone.
      let ok = isLive && visible[jj] == 1u && (u.causal == 0u || j <= u.offset + i);
      let sc = ${h.dot('q', 'kt', 'jj')};
      let newMx = select(mx, max(mx, sc), ok);
      let corr = exp(mx - newMx);
      let p = select(0.0, exp(sc - newMx), ok);
      sum = sum * corr + p;
      ${h.axpy('acc', 'corr', 'p', 'vt', 'jj')}
      mx = newMx;
    }
    workgroupBarrier();
  }
  if (isLive) {
    let inv = select(0.0, 1.0 / sum, sum > 0.0);
    ${h.store('acc', 'out', 'rowBase', ' * inv')}
    lse[(b * u.nh + h) * u.t + i] = select(0.0, mx + log(sum), sum > 0.0);
  }
}`;
}

function backwardQueryWgsl(D: number, hasMask: boolean): string {
  const T = tileFor(D);
  const h = new HeadCode(D);
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
${header(D, T)}
var<workgroup> kt: array<vec4f, ${T * h.n}>;
var<workgroup> vt: array<vec4f, ${T * h.n}>;
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
  ${h.declare('q')}
  ${h.declare('o')}
  ${h.declare('go')}
  ${h.declare('dq')}
  var di = 0.0;
  var li = 0.0;
  if (isLive) {
    ${h.load('q', 'q', 'rowBase', ' * u.scale')}
    ${h.load('o', 'out', 'rowBase')}
    ${h.load('go', 'gOut', 'rowBase')}
    di = ${Array.from({ length: h.n }, (_, c) => `dot(go${c}, o${c})`).join(' + ')};
    delta[stat] = di;
    li = lse[stat];
  }
  var end = u.s;
  if (u.causal == 1u) { end = min(u.s, u.offset + min(u.t, wid.x * WG + WG)); }
  for (var j0 = 0u; j0 < end; j0 += TILE) {
    ${stageTiles(h, T, ['kt', 'vt'], ['k', 'v'], 'j0', 'u.s', 'kh', 'u.nkv', (r) => `${r} < end && ${m.visible('b', r)}`)}
    if (lid < TILE) {
      let j = j0 + lid;
      visible[lid] = select(0u, 1u, j < u.s && ${m.visible('b', 'j')});
    }
    workgroupBarrier();
    for (var jj = 0u; jj < TILE; jj++) {
      let j = j0 + jj;
      let ok = isLive && visible[jj] == 1u && (u.causal == 0u || j <= u.offset + i);
      let sc = ${h.dot('q', 'kt', 'jj')};
      let dp = ${h.dot('go', 'vt', 'jj')};
      let ds = select(0.0, exp(sc - li) * (dp - di), ok);
      ${h.axpy('dq', null, 'ds', 'kt', 'jj')}
    }
    workgroupBarrier();
  }
  if (isLive) {
    ${h.store('dq', 'gq', 'rowBase', ' * u.scale')}
  }
}`;
}

function backwardKeyWgsl(D: number, hasMask: boolean): string {
  const T = tileFor(D);
  const h = new HeadCode(D);
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
${header(D, T)}
var<workgroup> qt: array<vec4f, ${T * h.n}>;
var<workgroup> gOutTile: array<vec4f, ${T * h.n}>;
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
  ${h.declare('k')}
  ${h.declare('v')}
  ${h.declare('dk')}
  ${h.declare('dv')}
  if (isLive) {
    ${h.load('k', 'k', 'keyBase', ' * u.scale')}
    ${h.load('v', 'v', 'keyBase')}
  }
  // Under causal, query i sees key j when i ≥ j − offset: skip queries before the first key's.
  var start = 0u;
  if (u.causal == 1u && wid.x * WG > u.offset) { start = wid.x * WG - u.offset; }
  for (var h = kh * groupSize; h < (kh + 1u) * groupSize; h++) {
    for (var i0 = start; i0 < u.t; i0 += TILE) {
      ${stageTiles(h, T, ['qt', 'gOutTile'], ['q', 'gOut'], 'i0', 'u.t', 'h', 'u.nh', () => 'true')}
      if (lid < TILE) {
        let i = i0 + lid;
        let stat = (b * u.nh + h) * u.t + i;
        lt[lid] = select(0.0, lse[stat], i < u.t);
        dt[lid] = select(0.0, delta[stat], i < u.t);
      }
      workgroupBarrier();
      for (var ii = 0u; ii < TILE; ii++) {
        let i = i0 + ii;
        let ok = isLive && i < u.t && (u.causal == 0u || j <= u.offset + i);
        let sc = ${h.dot('k', 'qt', 'ii')};
        let dp = ${h.dot('v', 'gOutTile', 'ii')};
        let p = select(0.0, exp(sc - lt[ii]), ok);
        let ds = select(0.0, p * (dp - dt[ii]), ok);
        ${h.axpy('dv', null, 'p', 'gOutTile', 'ii')}
        ${h.axpy('dk', null, 'ds', 'qt', 'ii')}
      }
      workgroupBarrier();
    }
  }
  if (j < u.s) {
    ${h.store('dk', 'gk', 'keyBase', ' * u.scale')}
    ${h.store('dv', 'gv', 'keyBase')}
  }
}`;
}

// ---- direct kernels, for software adapters ------------------------------------------------------
//
// On a software adapter (SwiftShader) workgroup memory is plain memory and workgroupBarrier() is a
// coroutine switch, so staging tiles only adds copies and switches. These kernels run the same
// math reading rows straight from storage: no workgroup memory, no barrier. A thread owns DIRECT_ROWS
// consecutive queries (or keys), so each key (or query) row it loads serves ROWS of them: on a
// CPU the loads, not the arithmetic, are what costs. Its loop stops at its last query's causal
// bound, and a padded key is skipped before it is read (it may hold NaN), a branch every thread
// of the workgroup takes alike. Rows are bound as vec4 arrays when D is a multiple of 4.

/** Queries (or keys) per workgroup, as in the tiled kernels, and per thread: on SwiftShader 4 and 8
 * ran alike, 1 and 2 up to 2× slower, 16 slower under causal (bench/webgpu-attention.ts). */
const DIRECT_SPAN = 64;
const DIRECT_ROWS = 4;

/** Rows of D floats, as vec4 chunks: one vec4 load per chunk when D is a multiple of 4. */
class DirectRows {
  readonly n: number;
  readonly aligned: boolean;
  constructor(readonly D: number) {
    this.n = Math.ceil(D / 4);
    this.aligned = D % 4 === 0;
  }
  /** The binding's element type. */
  get array(): string {
    return this.aligned ? 'array<vec4f>' : 'array<f32>';
  }
  /** Chunk c of row `row` of buf, padded past D with zeros. */
  at(buf: string, row: string, c: number): string {
    if (this.aligned) return `${buf}[(${row}) * ${this.n}u + ${c}u]`;
    const parts = [0, 1, 2, 3].map((k) => (4 * c + k < this.D ? `${buf}[(${row}) * D + ${4 * c + k}u]` : '0.0'));
    return `vec4f(${parts.join(', ')})`;
  }
  each(fn: (c: number) => string, sep = '\n    '): string {
    return Array.from({ length: this.n }, (_, c) => fn(c)).join(sep);
  }
  declare(name: string): string {
    return this.each((c) => `var ${name}_${c} = vec4f(0.0);`, '\n  ');
  }
  load(name: string, buf: string, row: string, factor = ''): string {
    return this.each((c) => `${name}_${c} = ${this.at(buf, row, c)}${factor};`);
  }
  /** Chunks of the row into locals name_c (read once, used by every row of the thread). */
  fetch(name: string, buf: string, row: string): string {
    return this.each((c) => `let ${name}_${c} = ${this.at(buf, row, c)};`, '\n      ');
  }
  dot(a: string, b: string): string {
    return this.each((c) => `dot(${a}_${c}, ${b}_${c})`, ' + ');
  }
  /** reg_c = reg_c · keep + weight · src_c. */
  axpy(reg: string, keep: string | null, weight: string, src: string): string {
    return this.each((c) => `${reg}_${c} = ${keep ? `${reg}_${c} * ${keep} + ` : `${reg}_${c} + `}${weight} * ${src}_${c};`, '\n      ');
  }
  store(name: string, buf: string, row: string, factor = ''): string {
    if (this.aligned) return this.each((c) => `${buf}[(${row}) * ${this.n}u + ${c}u] = ${name}_${c}${factor};`, '\n      ');
    const lines: string[] = [];
    for (let c = 0; c < this.n; c++) {
      for (let k = 0; k < 4 && 4 * c + k < this.D; k++) lines.push(`${buf}[(${row}) * D + ${4 * c + k}u] = ${name}_${c}[${k}]${factor};`);
    }
    return lines.join('\n      ');
  }
}

/** Generates `fn(a)` for each of a thread's rows a. */
function perRow(rows: number, fn: (a: number) => string, sep = '\n  '): string {
  return Array.from({ length: rows }, (_, a) => fn(a)).join(sep);
}

function directHeader(D: number): string {
  return `const D = ${D}u;
// Finite stand-in for -inf: exp(NEG - x) is 0 and never NaN.
const NEG = -1.0e30;`;
}

/**
 * A thread's queries i_a = first + a; a query past T is computed on a clamped row and never
 * stored. Keys end at the last query's causal bound (none for a thread past T); query a sees key
 * j when see_a(j).
 */
function directQueryPrologue(rows: number): string {
  return `let h = wid.y;
  let b = wid.z;
  let kh = h / (u.nh / u.nkv);
  let first = wid.x * ${DIRECT_SPAN}u + lid * ${rows}u;
  ${perRow(rows, (a) => `let i_${a} = first + ${a}u;\n  let qRow_${a} = (b * u.t + min(i_${a}, u.t - 1u)) * u.nh + h;`)}
  var end = u.s;
  if (u.causal == 1u) { end = min(u.s, u.offset + min(first + ${rows - 1}u, u.t - 1u) + 1u); }
  if (first >= u.t) { end = 0u; }`;
}

function sees(a: number, j: string): string {
  return `(u.causal == 0u || ${j} <= u.offset + i_${a})`;
}

function skipPadded(hasMask: boolean, j: string): string {
  return hasMask ? `if (keyMask[b * u.s + ${j}] == 0.0) { continue; }` : '';
}

function forwardDirectWgsl(D: number, hasMask: boolean): string {
  const r = new DirectRows(D);
  const R = DIRECT_ROWS;
  const m = maskCode(hasMask, 3);
  const n = hasMask ? 4 : 3;
  return /* wgsl */ `
${UNIFORMS}
@group(0) @binding(0) var<storage, read> q: ${r.array};
@group(0) @binding(1) var<storage, read> k: ${r.array};
@group(0) @binding(2) var<storage, read> v: ${r.array};
${m.decl}
@group(0) @binding(${n}) var<storage, read_write> out: ${r.array};
@group(0) @binding(${n + 1}) var<storage, read_write> lse: array<f32>;
@group(0) @binding(${n + 2}) var<uniform> u: U;
${directHeader(D)}
@compute @workgroup_size(${DIRECT_SPAN / R})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${directQueryPrologue(R)}
  ${perRow(R, (a) => `${r.declare(`q${a}`)}\n  ${r.declare(`acc${a}`)}\n  ${r.load(`q${a}`, 'q', `qRow_${a}`, ' * u.scale')}\n  var mx_${a} = NEG;\n  var sum_${a} = 0.0;`)}
  for (var j = 0u; j < end; j++) {
    ${skipPadded(hasMask, 'j')}
    let kRow = (b * u.s + j) * u.nkv + kh;
    ${r.fetch('kr', 'k', 'kRow')}
    ${r.fetch('vr', 'v', 'kRow')}
    ${perRow(
      R,
      (a) => `{
      // Branch-free online softmax: a key query a does not see leaves its max, sum and accumulator alone.
      let ok = ${sees(a, 'j')};
      let sc = ${r.dot(`q${a}`, 'kr')};
      let newMx = select(mx_${a}, max(mx_${a}, sc), ok);
      let corr = exp(mx_${a} - newMx);
      let p = select(0.0, exp(sc - newMx), ok);
      sum_${a} = sum_${a} * corr + p;
      ${r.axpy(`acc${a}`, 'corr', 'p', 'vr')}
      mx_${a} = newMx;
    }`,
      '\n    ',
    )}
  }
  ${perRow(
    R,
    (a) => `if (i_${a} < u.t) {
    let inv = select(0.0, 1.0 / sum_${a}, sum_${a} > 0.0);
    ${r.store(`acc${a}`, 'out', `qRow_${a}`, ' * inv')}
    lse[(b * u.nh + h) * u.t + i_${a}] = select(0.0, mx_${a} + log(sum_${a}), sum_${a} > 0.0);
  }`,
  )}
}`;
}

function backwardQueryDirectWgsl(D: number, hasMask: boolean): string {
  const r = new DirectRows(D);
  const R = DIRECT_ROWS;
  const m = maskCode(hasMask, 3);
  const n = hasMask ? 4 : 3;
  return /* wgsl */ `
${UNIFORMS}
@group(0) @binding(0) var<storage, read> q: ${r.array};
@group(0) @binding(1) var<storage, read> k: ${r.array};
@group(0) @binding(2) var<storage, read> v: ${r.array};
${m.decl}
@group(0) @binding(${n}) var<storage, read> out: ${r.array};
@group(0) @binding(${n + 1}) var<storage, read> gOut: ${r.array};
@group(0) @binding(${n + 2}) var<storage, read> lse: array<f32>;
@group(0) @binding(${n + 3}) var<storage, read_write> delta: array<f32>;
@group(0) @binding(${n + 4}) var<storage, read_write> gq: ${r.array};
@group(0) @binding(${n + 5}) var<uniform> u: U;
${directHeader(D)}
@compute @workgroup_size(${DIRECT_SPAN / R})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${directQueryPrologue(R)}
  ${perRow(
    R,
    (a) => `let stat_${a} = (b * u.nh + h) * u.t + min(i_${a}, u.t - 1u);
  ${r.declare(`q${a}`)}
  ${r.declare(`o${a}`)}
  ${r.declare(`go${a}`)}
  ${r.declare(`dq${a}`)}
  ${r.load(`q${a}`, 'q', `qRow_${a}`, ' * u.scale')}
  ${r.load(`o${a}`, 'out', `qRow_${a}`)}
  ${r.load(`go${a}`, 'gOut', `qRow_${a}`)}
  let di_${a} = ${r.dot(`go${a}`, `o${a}`)};
  let li_${a} = lse[stat_${a}];`,
  )}
  for (var j = 0u; j < end; j++) {
    ${skipPadded(hasMask, 'j')}
    let kRow = (b * u.s + j) * u.nkv + kh;
    ${r.fetch('kr', 'k', 'kRow')}
    ${r.fetch('vr', 'v', 'kRow')}
    ${perRow(
      R,
      (a) => `{
      let sc = ${r.dot(`q${a}`, 'kr')};
      let dp = ${r.dot(`go${a}`, 'vr')};
      let ds = select(0.0, exp(sc - li_${a}) * (dp - di_${a}), ${sees(a, 'j')});
      ${r.axpy(`dq${a}`, null, 'ds', 'kr')}
    }`,
      '\n    ',
    )}
  }
  ${perRow(
    R,
    (a) => `if (i_${a} < u.t) {
    delta[stat_${a}] = di_${a};
    ${r.store(`dq${a}`, 'gq', `qRow_${a}`, ' * u.scale')}
  }`,
  )}
}`;
}

function backwardKeyDirectWgsl(D: number, hasMask: boolean): string {
  const r = new DirectRows(D);
  const R = DIRECT_ROWS;
  const m = maskCode(hasMask, 3);
  const n = hasMask ? 4 : 3;
  return /* wgsl */ `
${UNIFORMS}
@group(0) @binding(0) var<storage, read> q: ${r.array};
@group(0) @binding(1) var<storage, read> k: ${r.array};
@group(0) @binding(2) var<storage, read> v: ${r.array};
${m.decl}
@group(0) @binding(${n}) var<storage, read> gOut: ${r.array};
@group(0) @binding(${n + 1}) var<storage, read> lse: array<f32>;
@group(0) @binding(${n + 2}) var<storage, read> delta: array<f32>;
@group(0) @binding(${n + 3}) var<storage, read_write> gk: ${r.array};
@group(0) @binding(${n + 4}) var<storage, read_write> gv: ${r.array};
@group(0) @binding(${n + 5}) var<uniform> u: U;
${directHeader(D)}
@compute @workgroup_size(${DIRECT_SPAN / R})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let kh = wid.y;
  let b = wid.z;
  let groupSize = u.nh / u.nkv;
  let first = wid.x * ${DIRECT_SPAN}u + lid * ${R}u;
  // Key a is live when it exists and is not padding; a padded key's row (which may hold NaN) is
  // never read, and it is seen by no query.
  ${perRow(
    R,
    (a) => `let j_${a} = first + ${a}u;
  let kRow_${a} = (b * u.s + min(j_${a}, u.s - 1u)) * u.nkv + kh;
  var live_${a} = j_${a} < u.s;
  ${hasMask ? `if (live_${a} && keyMask[b * u.s + j_${a}] == 0.0) { live_${a} = false; }` : ''}
  ${r.declare(`k${a}`)}
  ${r.declare(`v${a}`)}
  ${r.declare(`dk${a}`)}
  ${r.declare(`dv${a}`)}
  if (live_${a}) {
    ${r.load(`k${a}`, 'k', `kRow_${a}`, ' * u.scale')}
    ${r.load(`v${a}`, 'v', `kRow_${a}`)}
  }`,
  )}
  // Under causal, query i sees key j when i ≥ j − offset: start at the first key's first query.
  var start = 0u;
  if (u.causal == 1u && first > u.offset) { start = first - u.offset; }
  if (!(${perRow(R, (a) => `live_${a}`, ' || ')})) { start = u.t; }
  for (var h = kh * groupSize; h < (kh + 1u) * groupSize; h++) {
    for (var i = start; i < u.t; i++) {
      let qRow = (b * u.t + i) * u.nh + h;
      let stat = (b * u.nh + h) * u.t + i;
      let li = lse[stat];
      let di = delta[stat];
      ${r.fetch('qr', 'q', 'qRow')}
      ${r.fetch('gr', 'gOut', 'qRow')}
      ${perRow(
        R,
        (a) => `{
        let ok = live_${a} && (u.causal == 0u || j_${a} <= u.offset + i);
        let p = select(0.0, exp(${r.dot(`k${a}`, 'qr')} - li), ok);
        let ds = p * (${r.dot(`v${a}`, 'gr')} - di);
        ${r.axpy(`dv${a}`, null, 'p', 'gr')}
        ${r.axpy(`dk${a}`, null, 'ds', 'qr')}
      }`,
        '\n      ',
      )}
    }
  }
  ${perRow(
    R,
    (a) => `if (j_${a} < u.s) {
    ${r.store(`dk${a}`, 'gk', `kRow_${a}`, ' * u.scale')}
    ${r.store(`dv${a}`, 'gv', `kRow_${a}`)}
  }`,
  )}
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
  const u = packUniforms([B, T, S, nH, nKV, opts.causal ? 1 : 0, opts.queryOffset ?? 0], [opts.scale ?? 1 / Math.sqrt(D)]);
  return u;
}

type Pass = 'forward' | 'backwardQuery' | 'backwardKey';
const TILED: Record<Pass, (D: number, hasMask: boolean) => string> = { forward: forwardWgsl, backwardQuery: backwardQueryWgsl, backwardKey: backwardKeyWgsl };
const DIRECT: Record<Pass, (D: number, hasMask: boolean) => string> = { forward: forwardDirectWgsl, backwardQuery: backwardQueryDirectWgsl, backwardKey: backwardKeyDirectWgsl };

/**
 * The tiled kernels (real GPUs; the WASM backend implements their keys by name) or the direct
 * ones (software adapters), chosen by the adapter, never by timing.
 */
function kernel(engine: Engine, pass: Pass, D: number, hasMask: boolean) {
  const direct = engine.softwareAdapter;
  const key = `${direct ? 'attention.direct' : 'attention'}.${pass}.D${D}${hasMask ? '.masked' : ''}`;
  return engine.kernel(key, (direct ? DIRECT : TILED)[pass](D, hasMask));
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
  const wg = engine.softwareAdapter ? DIRECT_SPAN : WG;
  const out = engine.empty(q.shape);
  const lse = engine.empty([B, nH, T]);
  engine.dispatch(kernel(engine, 'forward', D, !!mask), [q, k, v, ...masked, out, lse], [Math.ceil(T / wg), nH, B], u);
  if (!engine.autograd.needsGrad([q, k, v])) {
    lse.release();
    return out;
  }
  engine.autograd.record([q, k, v, ...masked], [out], ([gOut]) => {
    const delta = engine.empty([B, nH, T]);
    const gq = engine.empty(q.shape);
    const gk = engine.empty(k.shape);
    const gv = engine.empty(v.shape);
    engine.dispatch(kernel(engine, 'backwardQuery', D, !!mask), [q, k, v, ...masked, out, gOut!, lse, delta, gq], [Math.ceil(T / wg), nH, B], u);
    engine.dispatch(kernel(engine, 'backwardKey', D, !!mask), [q, k, v, ...masked, gOut!, lse, delta, gk, gv], [Math.ceil(S / wg), nKV, B], u);
    delta.release();
    lse.release();
    return [gq, gk, gv, ...masked.map(() => null)];
  });
  return out;
}
