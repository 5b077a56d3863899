// WGSL building blocks shared by the kernels, and the host side of their calling convention:
// 1-D grids, uniform packing, and the row-reduction layout of the row kernels (norms, softmax).
// A leaf module: it imports nothing, so every kernel file (and the runtime) can use it.

export const WORKGROUP_1D = 256;

/** Workgroup counts for n threads of a 1-D kernel, spilling into y past the 65535 limit. */
export function grid1d(n: number, perWorkgroup = WORKGROUP_1D): [number, number] {
  const groups = Math.ceil(n / perWorkgroup);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** WGSL: the flat thread index of a grid1d dispatch (needs gid and nwg builtins named so). */
export const FLAT_INDEX = `(gid.x + gid.y * nwg.x * ${WORKGROUP_1D}u)`;

/**
 * A kernel's uniforms as its WGSL struct lays them out when the struct lists its u32 fields
 * first and its f32 fields after them (every kernel here does), padded to 16 bytes.
 */
export function packUniforms(u32: readonly number[], f32: readonly number[] = []): ArrayBuffer {
  const words = u32.length + f32.length;
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(words / 4) * 16));
  new Uint32Array(buf, 0, u32.length).set(u32);
  new Float32Array(buf, u32.length * 4, f32.length).set(f32);
  return buf;
}

// ---- row kernels ---------------------------------------------------------------------------
// A row kernel reduces over the last dimension (norms, softmax). On a GPU 16 threads share a row
// and combine their partials through workgroup memory; on a software adapter (SwiftShader: a
// barrier is a coroutine switch, every invocation a lane of a CPU register) one thread takes the
// whole row and needs no barrier and no workgroup memory.

/** Threads per row, and rows per workgroup (see rowReduceWgsl for why rows are shared). */
export const ROW_THREADS = 16;
export const ROWS_PER_GROUP = 4;
/** Rows per workgroup when one thread takes a row. */
const SERIAL_ROWS_PER_GROUP = 64;

/** How a row kernel spreads its rows over threads, and the WGSL that goes with it. */
export interface RowLayout {
  /** Threads per row: ROW_THREADS, or 1 on a software adapter. */
  threads: number;
  /** Kernel-key suffix naming the layout ('' or ':serial'). */
  key: string;
  /** WGSL: the entry point header; defines lid, lane, row, live, base, cols. */
  main: string;
  /** WGSL: loop header over this thread's columns of its row. */
  forCols: string;
  /** WGSL: `reduce_sum(v, lid)` (and `reduce_max`) over the threads of one row (see rowReduceWgsl). */
  reduce(type: 'f32' | 'vec2f', ops?: readonly ('sum' | 'max')[]): string;
  /** Workgroups for `rows` rows. */
  grid(rows: number): [number, number];
}

function makeRowLayout(threads: number): RowLayout {
  const rowsPerGroup = threads === 1 ? SERIAL_ROWS_PER_GROUP : ROWS_PER_GROUP;
  return {
    threads,
    key: threads === 1 ? ':serial' : '',
    main: /* wgsl */ `@compute @workgroup_size(${threads * rowsPerGroup})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lane = lid % ${threads}u;
  let row = (wg.x + wg.y * nwg.x) * ${rowsPerGroup}u + lid / ${threads}u;
  let live = row < u.rows;
  let base = row * u.cols;
  let cols = select(0u, u.cols, live); // rows past the end loop zero times but still meet the barriers`,
    forCols: `for (var c = lane; c < cols; c += ${threads}u)`,
    reduce: (type, ops = ['sum']) => (threads === 1 ? ops.map((op) => `\nfn reduce_${op}(v: ${type}, lid: u32) -> ${type} { return v; }`).join('') : rowReduceWgsl(type, ops)),
    grid: (rows) => grid1d(Math.ceil(rows / rowsPerGroup), 1),
  };
}

const GPU_ROWS = makeRowLayout(ROW_THREADS);
const SERIAL_ROWS = makeRowLayout(1);

/** The row layout for an engine's adapter (chosen by the adapter, never by timing). */
export function rowLayout(engine: { softwareAdapter: boolean }): RowLayout {
  return engine.softwareAdapter ? SERIAL_ROWS : GPU_ROWS;
}

/** A row kernel's WGSL, built once per layout. */
export function perRowLayout(build: (r: RowLayout) => string): (r: RowLayout) => string {
  const built = new Map<RowLayout, string>();
  return (r) => {
    let code = built.get(r);
    if (code === undefined) built.set(r, (code = build(r)));
    return code;
  };
}

/**
 * WGSL: `reduce_sum(v)` (and `reduce_max`) combine a value (f32 or vec2f) over the threads of one
 * row and return the result to each of them. Call them from uniform control flow. Every thread
 * reads its row's partials in the same order (broadcast reads, identical results): two barriers
 * instead of a tree's log2(threads)+1. Few threads per row, several rows per workgroup: SwiftShader
 * slowed 4–8× going from 16 to 64 threads per row; GPUs still get 64-thread workgroups.
 */
function rowReduceWgsl(type: 'f32' | 'vec2f', ops: readonly ('sum' | 'max')[]): string {
  const fns = ops.map(
    (op) => /* wgsl */ `
fn reduce_${op}(v: ${type}, lid: u32) -> ${type} {
  red[lid] = v;
  workgroupBarrier();
  let first = lid - lid % ${ROW_THREADS}u;
  var total = red[first];
  for (var i = 1u; i < ${ROW_THREADS}u; i++) { total = ${op === 'sum' ? 'total + red[first + i]' : 'max(total, red[first + i])'}; }
  workgroupBarrier();
  return total;
}`,
  );
  return `var<workgroup> red: array<${type}, ${ROW_THREADS * ROWS_PER_GROUP}>;${fns.join('')}`;
}
