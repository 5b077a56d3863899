// Matrix products, with transposed operands, batching over workgroup z and a fused bias, in one of
// two WGSL kernels chosen by the adapter (never by timing, so a run computes the same bits each time):
// - tiled (real GPUs): a 64×64 output tile per workgroup of 8×8 threads, 8×8 outputs per thread,
//   K in tiles of 16 through workgroup memory, vec4 loads where the contiguous dimension allows;
// - direct (software adapters): 4×4 outputs per thread read straight from storage, no workgroup
//   memory and no barrier (see directWgsl for why).
// Backward reuses the same kernels through the transpose flags: no explicit transposes.
import type { Engine, Kernel } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { EngineError, ShapeError } from '../errors.ts';
import { sumRows } from './elementwise.ts';

export interface MatmulOptions {
  /** a is stored [..., K, M] and used transposed. */
  transA?: boolean;
  /** b is stored [..., N, K] and used transposed (the Hugging Face linear weight layout). */
  transB?: boolean;
}

/** One product C[z] = op(A[z])·op(B[z]) for z < batch; an operand that is not batched is shared. */
interface Geometry {
  M: number;
  N: number;
  K: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  batchedA: boolean;
  batchedB: boolean;
}

const TILE = 64;
const TILE_K = 16;
/**
 * Workgroup of 8×8 threads, each computing an 8×8 block of the 64×64 tile: twice the multiply-adds
 * per workgroup-memory read of 16×16 threads with 4×4 blocks, and 4× fewer threads to park at each
 * barrier. On SwiftShader it gave roughly 2–3× the throughput of 16×16 threads (bench/engine.ts).
 */
const THREADS_PER_SIDE = 8;

/**
 * a [..., M, K] (or [..., K, M] with transA) times b [K, N] (or [N, K] with transB), or a batched b
 * with the same leading dimensions as a (or a 2-D a shared across a batched b) → [..., M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const what = `matmul([${a.shape.join(', ')}]${transA ? 'ᵀ' : ''}, [${b.shape.join(', ')}]${transB ? 'ᵀ' : ''})`;
  if (a.shape.length < 2 || b.shape.length < 2) throw new ShapeError(`${what}: both operands need at least 2 dimensions`);
  if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new ShapeError(`${what}: operands must be f32`);
  const M = a.shape.at(transA ? -1 : -2)!;
  const K = a.shape.at(transA ? -2 : -1)!;
  const Kb = b.shape.at(transB ? -1 : -2)!;
  const N = b.shape.at(transB ? -2 : -1)!;
  if (K !== Kb) throw new ShapeError(`${what}: inner dimensions differ (${K} vs ${Kb})`);
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  if (leadA.length && leadB.length && (leadA.length !== leadB.length || leadA.some((d, i) => d !== leadB[i]))) {
    throw new ShapeError(`${what}: batch dimensions [${leadA.join(', ')}] and [${leadB.join(', ')}] differ (a 2-D operand is shared across the batch)`);
  }
  const lead = leadA.length ? leadA : leadB;
  const batch = lead.reduce((p, d) => p * d, 1);
  const outShape = [...lead, M, N];
  // A batched, untransposed a times a shared b: the batch folds into M (one big product).
  if (leadA.length && !leadB.length && !transA) {
    return product(a, b, null, { M: M * batch, N, K, batch: 1, transA, transB, batchedA: false, batchedB: false }, outShape);
  }
  return product(a, b, null, { M, N, K, batch, transA, transB, batchedA: leadA.length > 0, batchedB: leadB.length > 0 }, outShape);
}

/** x [..., in] · weightᵀ (+ bias): weight is [out, in] as in Hugging Face checkpoints. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const what = `linear(x [${x.shape.join(', ')}], weight [${weight.shape.join(', ')}]${bias ? `, bias [${bias.shape.join(', ')}]` : ''})`;
  if (weight.shape.length !== 2) throw new ShapeError(`${what}: weight must be [out, in]`);
  const [N, K] = weight.shape as [number, number];
  if (x.shape.length < 1 || x.shape.at(-1) !== K) throw new ShapeError(`${what}: the last dimension of x must be ${K}`);
  if (bias && bias.size !== N) throw new ShapeError(`${what}: bias must have ${N} values`);
  const M = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  return product(x, weight, bias ?? null, { M, N, K, batch: 1, transA: false, transB: true, batchedA: false, batchedB: false }, [...x.shape.slice(0, -1), N]);
}

/** Forward product with autograd. */
function product(a: Tensor, b: Tensor, bias: Tensor | null, g: Geometry, outShape: number[]): Tensor {
  const engine = a.engine;
  const out = gemm(engine, a, b, g, outShape, bias);
  const inputs = bias ? [a, b, bias] : [a, b];
  if (engine.autograd.needsGrad(inputs)) {
    engine.autograd.record(inputs, [out], ([dC]) => {
      const dc = dC!;
      const { M, N, K, batch, transA, transB, batchedA, batchedB } = g;
      let dA: Tensor | null = null;
      let dB: Tensor | null = null;
      if (a.requiresGrad) {
        // dop(A) = dC·op(B)ᵀ; with transA the stored gradient is its transpose, op(B)·dCᵀ.
        const geo = transA
          ? { M: K, N: M, K: N, batch, transA: transB, transB: true, batchedA: batchedB, batchedB: true }
          : { M, N: K, K: N, batch, transA: false, transB: !transB, batchedA: true, batchedB };
        const x = transA ? b : dc;
        const y = transA ? dc : b;
        dA = batchedA || batch === 1 ? gemm(engine, x, y, geo, a.shape) : sumOverBatch(engine, gemm(engine, x, y, geo, [batch, a.size]), a.shape);
      }
      if (b.requiresGrad) {
        // dop(B) = op(A)ᵀ·dC; with transB the stored gradient is dCᵀ·op(A).
        const geo = transB
          ? { M: N, N: K, K: M, batch, transA: true, transB: transA, batchedA: true, batchedB: batchedA }
          : { M: K, N, K: M, batch, transA: !transA, transB: false, batchedA, batchedB: true };
        const x = transB ? dc : a;
        const y = transB ? a : dc;
        dB = batchedB || batch === 1 ? gemm(engine, x, y, geo, b.shape) : sumOverBatch(engine, gemm(engine, x, y, geo, [batch, b.size]), b.shape);
      }
      const grads: (Tensor | null)[] = [dA, dB];
      if (bias) grads.push(bias.requiresGrad ? sumRows(dc, N) : null);
      return grads;
    });
  }
  return out;
}

/** Sums [batch, n] over the batch into a new tensor of the given shape. */
function sumOverBatch(engine: Engine, batched: Tensor, shape: readonly number[]): Tensor {
  const n = batched.shape[1]!;
  const summed = sumRows(batched, n);
  batched.release();
  const out = engine.empty(shape);
  engine.copy(summed, out, out.byteLength);
  summed.release();
  return out;
}

/** Records one tiled product into a new tensor (no autograd). */
function gemm(engine: Engine, a: Tensor, b: Tensor, g: Geometry, outShape: readonly number[], bias: Tensor | null = null): Tensor {
  const out = engine.empty(outShape);
  if (out.size === 0) return out;
  if (g.K === 0) {
    engine.fill(out, 0);
    return out;
  }
  const direct = engine.softwareAdapter;
  const rowsPerGroup = direct ? directRows(engine.quadSubgroups) * DIRECT_THREADS : TILE;
  const colsPerGroup = direct ? DIRECT_COLS * DIRECT_THREADS : TILE;
  const groups = [Math.ceil(g.N / colsPerGroup), Math.ceil(g.M / rowsPerGroup), g.batch];
  const maxGroups = engine.limits.maxComputeWorkgroupsPerDimension;
  if (groups.some((n) => n > maxGroups)) {
    out.release();
    throw new EngineError(`matmul: ${g.batch} products of ${g.M}×${g.N} exceed this GPU's ${maxGroups} workgroups per dimension`);
  }
  const uniforms = new Uint32Array([g.M, g.N, g.K, g.batchedA ? g.M * g.K : 0, g.batchedB ? g.K * g.N : 0, g.M * g.N, 0, 0]);
  const bindings = bias ? [a, b, bias, out] : [a, b, out];
  if (direct) {
    const spec: DirectSpec = { transA: g.transA, transB: g.transB, vecC: g.N % 4 === 0, bias: bias !== null, quad: engine.quadSubgroups, rows: directRows(engine.quadSubgroups), cols: DIRECT_COLS };
    engine.dispatch(directKernel(engine, spec), bindings, groups, uniforms);
    return out;
  }
  const spec: KernelSpec = {
    transA: g.transA,
    transB: g.transB,
    vecA: (g.transA ? g.M : g.K) % 4 === 0,
    vecB: (g.transB ? g.K : g.N) % 4 === 0,
    vecC: g.N % 4 === 0,
    bias: bias !== null,
  };
  engine.dispatch(matmulKernel(engine, spec), bindings, groups, uniforms);
  return out;
}

/** What a compiled kernel is specialised for (instead of branching per element). */
interface KernelSpec {
  transA: boolean;
  transB: boolean;
  /** The contiguous dimension of the stored A (K, or M with transA) is a multiple of 4. */
  vecA: boolean;
  /** The contiguous dimension of the stored B (N, or K with transB) is a multiple of 4. */
  vecB: boolean;
  /** N is a multiple of 4. */
  vecC: boolean;
  bias: boolean;
}

function matmulKernel(engine: Engine, s: KernelSpec): Kernel {
  const key = `matmul:${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}:${s.vecA ? 4 : 1}${s.vecB ? 4 : 1}${s.vecC ? 4 : 1}${s.bias ? ':bias' : ''}`;
  return engine.kernel(key, matmulWgsl(s));
}

/**
 * Tile loads: the 64×16 A tile and the 16×64 B tile are 256 vec4s each, spread over the
 * workgroup's threads. Workgroup memory holds both tiles as [k][m/4] and [k][n/4] vec4s, so the
 * inner loop reads R/4 vec4s of A and of B per k for R² multiply-adds.
 */
function loadTile(name: 'a' | 'b', stored: 'kMajor' | 'kMinor', vec: boolean, threads: number): string {
  const tileVar = name === 'a' ? 'As' : 'Bs';
  const base = name === 'a' ? 'aBase' : 'bBase';
  // kMajor: stored [K, X] (X contiguous: A with transA, B without transB); kMinor: stored [X, K].
  const X = name === 'a' ? 'u.M' : 'u.N';
  const x0 = name === 'a' ? 'row0' : 'col0';
  const passes: string[] = [];
  for (let p = 0; p < (TILE * TILE_K) / 4 / threads; p++) {
    const v = `tid + ${p * threads}u`;
    if (stored === 'kMajor') {
      // vec4 v → (k = v / 16, x = (v % 16)·4): one vec4 along x, written whole.
      const load = vec
        ? `if (gk < u.K && gx < ${X}) { v = ${name}[off / 4u]; }`
        : `if (gk < u.K) {
      if (gx < ${X}) { v.x = ${name}[off]; }
      if (gx + 1u < ${X}) { v.y = ${name}[off + 1u]; }
      if (gx + 2u < ${X}) { v.z = ${name}[off + 2u]; }
      if (gx + 3u < ${X}) { v.w = ${name}[off + 3u]; }
    }`;
      passes.push(`{
    let kk = (${v}) / 16u; let xq = (${v}) % 16u;
    let gk = k0 + kk; let gx = ${x0} + xq * 4u;
    let off = ${base} + gk * ${X} + gx;
    var v = vec4f(0.0);
    ${load}
    ${tileVar}[kk * 16u + xq] = v;
  }`);
    } else {
      // vec4 v → (x = v / 4, k = (v % 4)·4): one vec4 along k, scattered over 4 k rows.
      const load = vec
        ? `if (gx < ${X} && gk < u.K) { v = ${name}[off / 4u]; }`
        : `if (gx < ${X}) {
      if (gk < u.K) { v.x = ${name}[off]; }
      if (gk + 1u < u.K) { v.y = ${name}[off + 1u]; }
      if (gk + 2u < u.K) { v.z = ${name}[off + 2u]; }
      if (gk + 3u < u.K) { v.w = ${name}[off + 3u]; }
    }`;
      const scatter = [0, 1, 2, 3].map((i) => `${tileVar}[(kq + ${i}u) * 16u + xx / 4u][xx % 4u] = v[${i}];`).join(' ');
      passes.push(`{
    let xx = (${v}) / ${TILE_K / 4}u; let kq = ((${v}) % ${TILE_K / 4}u) * 4u;
    let gk = k0 + kq; let gx = ${x0} + xx;
    let off = ${base} + gx * u.K + gk;
    var v = vec4f(0.0);
    ${load}
    ${scatter}
  }`);
    }
  }
  return passes.join('\n  ');
}

function matmulWgsl(s: KernelSpec): string {
  const side = THREADS_PER_SIDE;
  const R = TILE / side; // outputs per thread along each side
  const Q = R / 4; // vec4s per thread along each side
  const arr = (vec: boolean) => (vec ? 'array<vec4f>' : 'array<f32>');
  const outBinding = s.bias ? 3 : 2;
  const lines: string[] = [];
  // Accumulators: acc_i_j holds row i, columns 4j..4j+3 of this thread's R×R block.
  for (let i = 0; i < R; i++) for (let j = 0; j < Q; j++) lines.push(`var acc_${i}_${j} = vec4f(0.0);`);
  const accumulators = lines.join('\n  ');
  const fma: string[] = [];
  for (let q = 0; q < Q; q++) fma.push(`let a${q} = As[k * 16u + ty * ${Q}u + ${q}u];`);
  for (let j = 0; j < Q; j++) fma.push(`let b${j} = Bs[k * 16u + tx * ${Q}u + ${j}u];`);
  for (let i = 0; i < R; i++) for (let j = 0; j < Q; j++) fma.push(`acc_${i}_${j} += a${i >> 2}[${i & 3}] * b${j};`);
  const store: string[] = [];
  for (let i = 0; i < R; i++) {
    store.push(`{ let gm = row0 + ty * ${R}u + ${i}u; if (gm < u.M) {`);
    for (let j = 0; j < Q; j++) {
      const gn = `col0 + tx * ${R}u + ${4 * j}u`;
      if (s.vecC) {
        const biasVec = s.bias ? ` + vec4f(bias[gn], bias[gn + 1u], bias[gn + 2u], bias[gn + 3u])` : '';
        store.push(`  { let gn = ${gn}; if (gn < u.N) { out[(cBase + gm * u.N + gn) / 4u] = acc_${i}_${j}${biasVec}; } }`);
      } else {
        store.push(`  { let gn = ${gn};`);
        for (let c = 0; c < 4; c++) store.push(`    if (gn + ${c}u < u.N) { out[cBase + gm * u.N + gn + ${c}u] = acc_${i}_${j}[${c}]${s.bias ? ` + bias[gn + ${c}u]` : ''}; }`);
        store.push('  }');
      }
    }
    store.push('} }');
  }
  return /* wgsl */ `
struct U { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, strideC: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<storage, read> a: ${arr(s.vecA)};
@group(0) @binding(1) var<storage, read> b: ${arr(s.vecB)};
${s.bias ? '@group(0) @binding(2) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${outBinding}) var<storage, read_write> out: ${arr(s.vecC)};
@group(0) @binding(${outBinding + 1}) var<uniform> u: U;

var<workgroup> As: array<vec4f, ${(TILE_K * TILE) / 4}>;
var<workgroup> Bs: array<vec4f, ${(TILE_K * TILE) / 4}>;

@compute @workgroup_size(${side}, ${side})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * ${side}u + tx;
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let aBase = wg.z * u.strideA;
  let bBase = wg.z * u.strideB;
  let cBase = wg.z * u.strideC;
  ${accumulators}
  for (var k0 = 0u; k0 < u.K; k0 += ${TILE_K}u) {
  ${loadTile('a', s.transA ? 'kMajor' : 'kMinor', s.vecA, side * side)}
  ${loadTile('b', s.transB ? 'kMinor' : 'kMajor', s.vecB, side * side)}
    workgroupBarrier();
    for (var k = 0u; k < ${TILE_K}u; k++) {
      ${fma.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${store.join('\n  ')}
}`;
}

/** Threads per side of the direct kernel's workgroup. */
/**
 * Outputs per thread of the direct kernel: 8 rows × 4 columns where quads share A's loads (each
 * lane loads 2 of the 8 rows), 4 × 4 without. Measured on SwiftShader (bench/webgpu-matmul.ts):
 * 8 × 4 beat 4 × 4 by 10–45% on every training shape, 16 × 4 and 8 × 8 only on the large ones.
 */
const directRows = (quad: boolean) => (quad ? 8 : 4);
const DIRECT_COLS = 4;
const DIRECT_THREADS = 8;

interface DirectSpec {
  transA: boolean;
  transB: boolean;
  /** N is a multiple of 4: each row of a thread's block is stored as one vec4. */
  vecC: boolean;
  bias: boolean;
  /** Subgroups of 4 lanes: each lane of a quad loads one of the quad's four rows of A and shares it by shuffle. */
  quad: boolean;
  /** Outputs per thread: rows (a multiple of 4 with quad) × cols (a multiple of 4). */
  rows: number;
  cols: number;
}

function directKernel(engine: Engine, s: DirectSpec): Kernel {
  const key = `matmul.direct:${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}:${s.vecC ? 4 : 1}${s.bias ? ':bias' : ''}${s.quad ? ':quad' : ''}:${s.rows}x${s.cols}`;
  return engine.kernel(key, directWgsl(s));
}

/**
 * The direct kernel, for software adapters. There every WGSL scalar is a 4-lane CPU register (one
 * lane per invocation), workgroup memory is plain memory and a barrier is a coroutine switch, so
 * the tiled kernel's staging only adds loads and switches, and its 64 accumulators per thread
 * spill. Here a thread keeps a small block of outputs in registers and reads A and B straight from
 * storage with K unrolled by 4; an 8×8 workgroup covers neighbouring blocks (cache reuse). Each
 * storage load costs far more than an FMA there (per-lane addressing and bounds checks), so the
 * lever is loads per FMA: with 4-lane subgroups (SwiftShader) the four lanes of a quad share their
 * rows, each lane loads a quarter of them and the others take them by shuffle. That relies on a
 * quad being four consecutive invocations along x (8 threads wide), which holds where subgroups
 * are 4 lanes. Indices are clamped, so edge threads read valid memory and only stores check bounds.
 */
function directWgsl(s: DirectSpec): string {
  const R = s.rows;
  const C = s.cols;
  const Q = C / 4; // vec4s per row of a thread's block
  const outBinding = s.bias ? 3 : 2;
  const aAt = (k: string, row: string) => (s.transA ? `a[aBase + (${k}) * u.M + ${row}]` : `a[aBase + ${row} * u.K + ${k}]`);
  const bAt = (k: string, j: number) => (s.transB ? `b[bBase + c${j} * u.K + ${k}]` : `b[bBase + (${k}) * u.N + c${j}]`);
  /** One step over `T` values of k from `k`: B's T×C block as vec4s, then the R×T A values into the accumulators. */
  const step = (T: number) => {
    const lines: string[] = [];
    const kt = (t: number) => (t === 0 ? 'k' : `k + ${t}u`);
    for (let t = 0; t < T; t++) for (let q = 0; q < Q; q++) lines.push(`let b${t}_${q} = vec4f(${[0, 1, 2, 3].map((j) => bAt(kt(t), 4 * q + j)).join(', ')});`);
    const accumulate = (i: number, t: number, a: string) => {
      for (let q = 0; q < Q; q++) lines.push(`acc${i}_${q} = fma(vec4f(${a}), b${t}_${q}, acc${i}_${q});`);
    };
    if (s.quad) {
      for (let p = 0; p < R / 4; p++) lines.push(`let mine${p} = vec4f(${[0, 1, 2, 3].map((t) => (t < T ? aAt(kt(t), `rq${p}`) : '0.0')).join(', ')});`);
      for (let i = 0; i < R; i++) {
        lines.push(`let ar${i} = subgroupShuffle(mine${i >> 2}, quad + ${i & 3}u);`);
        for (let t = 0; t < T; t++) accumulate(i, t, `ar${i}[${t}]`);
      }
    } else {
      for (let i = 0; i < R; i++) for (let t = 0; t < T; t++) accumulate(i, t, aAt(kt(t), `r${i}`));
    }
    return lines.join('\n    ');
  };
  const store: string[] = [];
  for (let i = 0; i < R; i++) {
    store.push(`if (m0 + ${i}u < u.M) {`);
    for (let q = 0; q < Q; q++) {
      const n = `n0 + ${4 * q}u`;
      const at = `cBase + (m0 + ${i}u) * u.N + ${n}`;
      if (s.vecC) {
        const biasVec = s.bias ? ` + vec4f(${[0, 1, 2, 3].map((c) => `bias[${n} + ${c}u]`).join(', ')})` : '';
        store.push(`  if (${n} < u.N) { out[(${at}) / 4u] = acc${i}_${q}${biasVec}; }`);
      } else {
        for (let c = 0; c < 4; c++) store.push(`  if (${n} + ${c}u < u.N) { out[${at} + ${c}u] = acc${i}_${q}[${c}]${s.bias ? ` + bias[${n} + ${c}u]` : ''}; }`);
      }
    }
    store.push('}');
  }
  const rows = s.quad
    ? ['let quad = lane & ~3u;', ...Array.from({ length: R / 4 }, (_, p) => `let rq${p} = min(m0 + ${4 * p}u + (lane & 3u), u.M - 1u);`)]
    : Array.from({ length: R }, (_, i) => `let r${i} = min(m0 + ${i}u, u.M - 1u);`);
  const accumulators: string[] = [];
  for (let i = 0; i < R; i++) for (let q = 0; q < Q; q++) accumulators.push(`var acc${i}_${q} = vec4f(0.0);`);
  return /* wgsl */ `
${s.quad ? 'enable subgroups;' : ''}
struct U { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, strideC: u32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
${s.bias ? '@group(0) @binding(2) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${outBinding}) var<storage, read_write> out: ${s.vecC ? 'array<vec4f>' : 'array<f32>'};
@group(0) @binding(${outBinding + 1}) var<uniform> u: U;

@compute @workgroup_size(${DIRECT_THREADS}, ${DIRECT_THREADS})
fn main(@builtin(global_invocation_id) gid: vec3u${s.quad ? ', @builtin(subgroup_invocation_id) lane: u32' : ''}) {
  let m0 = gid.y * ${R}u;
  let n0 = gid.x * ${C}u;
  let aBase = gid.z * u.strideA;
  let bBase = gid.z * u.strideB;
  let cBase = gid.z * u.strideC;
  ${rows.join('\n  ')}
  ${Array.from({ length: C }, (_, j) => `let c${j} = min(n0 + ${j}u, u.N - 1u);`).join('\n  ')}
  ${accumulators.join('\n  ')}
  let k4 = u.K & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    ${step(4)}
  }
  for (var k = k4; k < u.K; k++) {
    ${step(1)}
  }
  ${store.join('\n  ')}
}`;
}
