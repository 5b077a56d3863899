// Embedding gather with a deterministic, atomics-free scatter-add gradient.
//
// Backward builds, per vocabulary row, a linked list of the positions that use it (first[v] and
// next[n], found by scanning the ids: O(N²) comparisons over N = ids.size, cheap next to a matmul
// at training sizes), then one thread per (row, column) walks its list in position order. Every
// sum runs in a fixed order, so gradients are bit-identical from run to run.
import { FLAT_INDEX, WORKGROUP_1D, grid1d } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';

const HEADER = /* wgsl */ `struct U { n: u32, h: u32, v: u32 }`;

const FORWARD_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.n * u.h) { return; }
  let id = ids[i / u.h];
  // Out-of-range ids read as zero vectors (a GPU kernel cannot throw; the host checks shapes).
  if (id < 0 || u32(id) >= u.v) { out[i] = 0.0; return; }
  out[i] = table[u32(id) * u.h + i % u.h];
}`;

const INIT_FIRST_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read_write> first: array<i32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let v = ${FLAT_INDEX};
  if (v < u.v) { first[v] = -1; }
}`;

const LINKS_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> first: array<i32>;
@group(0) @binding(2) var<storage, read_write> next: array<i32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = ${FLAT_INDEX};
  if (n >= u.n) { return; }
  let id = ids[n];
  next[n] = -1;
  if (id < 0 || u32(id) >= u.v) { return; }
  var isFirst = true;
  for (var m = 0u; m < n; m++) {
    if (ids[m] == id) { isFirst = false; break; }
  }
  if (isFirst) { first[id] = i32(n); }
  for (var m = n + 1u; m < u.n; m++) {
    if (ids[m] == id) { next[n] = i32(m); break; }
  }
}`;

const GRAD_WGSL = /* wgsl */ `
${HEADER}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> first: array<i32>;
@group(0) @binding(2) var<storage, read> next: array<i32>;
@group(0) @binding(3) var<storage, read_write> gTable: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.v * u.h) { return; }
  let col = i % u.h;
  var n = first[i / u.h];
  var acc = 0.0;
  loop {
    if (n < 0) { break; }
    acc += g[u32(n) * u.h + col];
    n = next[n];
  }
  gTable[i] = acc;
}`;

/** table[ids] → [...ids.shape, H]. Ids outside [0, V) give zero vectors and no gradient. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  if (ids.dtype !== 'i32') throw new ShapeError(`embedding: ids must be i32, got ${ids.dtype}`);
  if (table.shape.length !== 2) throw new ShapeError(`embedding: the table must be [V, H], got [${table.shape.join(', ')}]`);
  const engine = table.engine;
  const [V, H] = table.shape as [number, number];
  const N = ids.size;
  const out = engine.empty([...ids.shape, H]);
  const uniforms = new Uint32Array([N, H, V, 0]);
  engine.dispatch(engine.kernel('embedding.forward', FORWARD_WGSL), [ids, table, out], grid1d(N * H), uniforms);
  if (engine.autograd.needsGrad([table])) {
    engine.autograd.record([ids, table], [out], ([g]) => {
      const first = engine.empty([V], 'i32');
      const next = engine.empty([N], 'i32');
      const gTable = engine.empty([V, H]);
      engine.dispatch(engine.kernel('embedding.initFirst', INIT_FIRST_WGSL), [first], grid1d(V), uniforms);
      engine.dispatch(engine.kernel('embedding.links', LINKS_WGSL), [ids, first, next], grid1d(N), uniforms);
      engine.dispatch(engine.kernel('embedding.grad', GRAD_WGSL), [g!, first, next, gTable], grid1d(V * H), uniforms);
      first.release();
      next.release();
      return [null, gTable];
    });
  }
  return out;
}
