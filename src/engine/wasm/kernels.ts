// The WASM backend's implementation of every kernel key the ops dispatch (see backend.ts): the
// same bindings, in the same order, and the same uniform words as the WGSL kernel of that key,
// so an op runs unchanged on either backend. Most are WebAssembly SIMD from ./assembly, split
// across threads when large; the rest (the embedding lookup, pooling, dropout, the one-value
// reductions) are loops over typed-array views of the same memory, which V8 compiles
// to about scalar WASM. Kernels in EACH also run over a whole list of tensors in one call
// (Backend.dispatchEach: AdamW and clipping over every parameter). Every one is checked against
// its CPU twin by the self-test, like the WGSL kernels.
import { EngineError } from '../errors.ts';
import { counterHash } from '../random.ts';
import { CLIP_EPS } from '../optim.ts';
import type { Divergence } from '../kd-spec.ts';
import type { WasmKernels } from './module.ts';

/** What a kernel sees: views of the whole memory (element offsets), the SIMD exports, the threads. */
export interface KernelContext {
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly wasm: WasmKernels;
  /**
   * Runs the export `name`(...args, part, parts, scratch) over every part, one per thread, and
   * returns when all are done (on this thread alone, as one part, when `oneThread`).
   * `scratchBytes` is what one part needs.
   */
  parallel(name: string, args: readonly number[], scratchBytes: number, oneThread?: boolean): void;
  /** Copies data to a staging area of the memory (kept until the next call) and gives its byte offset. */
  stage(data: Int32Array | Float32Array): number;
}

/** A kernel's uniforms, word by word, as its WGSL struct lays them out. */
export interface Uniforms {
  u32(word: number): number;
  f32(word: number): number;
}

/**
 * p holds the bindings' element offsets (byte offset / 4) in binding order; grid is the WGSL
 * dispatch's workgroup counts, which some kernels read a size from (matmul: the batch is z).
 */
export type KernelImpl = (c: KernelContext, p: readonly number[], u: Uniforms, grid: readonly number[]) => void;

/** A kernel over a whole list of dispatches (Backend.dispatchEach) in one call: each item's bindings and uniforms. */
export type EachImpl = (c: KernelContext, items: readonly { p: readonly number[]; u: Uniforms }[]) => void;

// ---- elementwise ------------------------------------------------------------------------------

/** ./assembly/elementwise.ts's map operations. */
const MAP_OPS = { add: 0, sub: 1, mul: 2, scale: 3 } as const;

/** map:<op>: out[i] = a[i] op b[i] (or a[i]·s) for i < n (uniform word 0), s = f32 word 1. */
function map(op: keyof typeof MAP_OPS): KernelImpl {
  const code = MAP_OPS[op];
  return (c, p, u) => {
    const n = u.u32(0);
    const [a, b, out] = op === 'scale' ? [p[0]!, 0, p[1]!] : [p[0]!, p[1]!, p[2]!];
    c.parallel('map', [code, a * 4, b * 4, out * 4, n, u.f32(1)], 0, n < PARALLEL_ELEMENTWISE);
  };
}

/** activation:<gelu|silu>[-gated][-backward] (ops/activation.ts) → the SIMD kernel's kind and mode. */
function activation(name: string): KernelImpl | undefined {
  const m = /^(gelu|silu)(-gated)?(-backward)?$/.exec(name);
  if (!m) return undefined;
  const kind = m[1] === 'gelu' ? 0 : 1;
  const mode = (m[2] ? 2 : 0) + (m[3] ? 1 : 0);
  // Bindings in order: the inputs (1, 2, 2 or 3 of them), then the outputs (1, or 2 for mode 3).
  const inputs = [1, 2, 2, 3][mode]!;
  return (c, p, u) => {
    const at = (i: number) => (i < p.length ? p[i]! * 4 : 0);
    const n = u.u32(0);
    c.parallel('activation', [kind, mode, at(0), inputs > 1 ? at(1) : 0, inputs > 2 ? at(2) : 0, at(inputs), mode === 3 ? at(inputs + 1) : 0, n], 0, n < PARALLEL_ELEMENTWISE);
  };
}

// ---- rows: softmax, norms (SIMD over each row's columns, ./assembly/rows.ts) ------------------

/**
 * A row kernel: the export `name`(...bindings in bytes, rows, cols[, eps], part, parts, scratch),
 * split across threads when the rows are many (a wake-up of the pool costs more than a few rows).
 */
function rows(name: string, withEps = false): KernelImpl {
  return (c, p, u) => {
    const [rowCount, cols] = [u.u32(0), u.u32(1)];
    const args = [...p.map((x) => x * 4), rowCount, cols, ...(withEps ? [u.f32(2)] : [])];
    if (rowCount * cols >= PARALLEL_ROW_FLOATS) c.parallel(name, args, 0);
    else c.wasm[name]!(...args, 0, 1, 0);
  };
}

/** Below this many floats a row kernel runs on the calling thread alone. */
const PARALLEL_ROW_FLOATS = 1 << 16;

function norm(kind: string, pass: string | undefined): KernelImpl | undefined {
  if (kind !== 'layer' && kind !== 'rms') return undefined;
  const base = kind === 'layer' ? 'layerNorm' : 'rmsNorm';
  if (pass === undefined) return rows(`${base}Forward`, true);
  if (pass === 'dx') return rows(`${base}Dx`);
  if (pass === 'dparams') return rows(`${base}Dparams`);
  return undefined;
}

// ---- layout: split, rope, embedding, pooling, dropout ------------------------------------------

/** split:<gather|scatter>: row by row, `size` floats of the narrow tensor at `offset` in a row of `total` (uniforms n, size, total, offset). */
function strided(direction: 'gather' | 'scatter'): KernelImpl {
  return (c, [src, dst], u) => {
    const n = u.u32(0);
    c.parallel('strided', [src! * 4, dst! * 4, n, u.u32(1), u.u32(2), u.u32(3), direction === 'scatter' ? 1 : 0], 0, n < PARALLEL_ELEMENTWISE);
  };
}

/**
 * rope[.positions]: the (cos, signed sin) table here, in float64 rounded to f32, one row per
 * position (offset + t mod T) or, with explicit positions, per token; the rotation in SIMD.
 */
function rope(withPositions: boolean): KernelImpl {
  return (c, [x, out, positions], u) => {
    const [rows, t, heads, half, offset] = [u.u32(0), u.u32(1), u.u32(2), u.u32(3), u.u32(4)];
    const [log2Theta, sign] = [u.f32(5), u.f32(6)];
    const tokens = Math.ceil(rows / heads);
    const count = withPositions ? tokens : Math.min(t, tokens);
    const invFreq = Float64Array.from({ length: half }, (_, f) => 2 ** ((-2 * f) / (2 * half) * log2Theta));
    const cs = new Float32Array(count * 2 * half);
    for (let r = 0; r < count; r++) {
      const pos = withPositions ? c.i32[positions! + r]! : offset + r;
      for (let f = 0; f < half; f++) {
        cs[r * 2 * half + f] = Math.cos(pos * invFreq[f]!);
        cs[r * 2 * half + half + f] = sign * Math.sin(pos * invFreq[f]!);
      }
    }
    c.parallel('rope', [x! * 4, out! * 4, c.stage(cs), rows, heads, half, t, withPositions ? 1 : 0], 0, rows * half < PARALLEL_ELEMENTWISE);
  };
}

const embeddingForward: KernelImpl = ({ f32, i32 }, [ids, table, out], u) => {
  const n = u.u32(0);
  const h = u.u32(1);
  const v = u.u32(2);
  for (let i = 0; i < n; i++) {
    const id = i32[ids! + i]!;
    const o = out! + i * h;
    if (id < 0 || id >= v) f32.fill(0, o, o + h);
    else f32.copyWithin(o, table! + id * h, table! + id * h + h);
  }
};

const embeddingInitFirst: KernelImpl = ({ i32 }, [first], u) => {
  i32.fill(-1, first!, first! + u.u32(2));
};

/** first[id] = the first position using id, next[n] = the next position with the same id (or -1). */
const embeddingLinks: KernelImpl = ({ i32 }, [ids, first, next], u) => {
  const n = u.u32(0);
  const v = u.u32(2);
  const last = new Map<number, number>();
  for (let m = 0; m < n; m++) {
    i32[next! + m] = -1;
    const id = i32[ids! + m]!;
    if (id < 0 || id >= v) continue;
    const prev = last.get(id);
    if (prev === undefined) i32[first! + id] = m;
    else i32[next! + prev] = m;
    last.set(id, m);
  }
};

/** The scatter-add over embedding.links's lists, SIMD over each row, parts splitting the vocabulary. */
const embeddingGrad: KernelImpl = (c, [g, first, next, gTable], u) => {
  const [h, v] = [u.u32(1), u.u32(2)];
  c.parallel('embeddingGrad', [g! * 4, first! * 4, next! * 4, gTable! * 4, h, v], 0, v * h < PARALLEL_ELEMENTWISE);
};

const POOL_CLS = 0;
const POOL_MEAN = 1;

const poolForward: KernelImpl = ({ f32 }, [x, mask, out], u) => {
  const [B, T, H, kind] = [u.u32(0), u.u32(1), u.u32(2), u.u32(3)];
  for (let b = 0; b < B; b++) {
    for (let col = 0; col < H; col++) {
      const row = x! + b * T * H + col;
      let value = 0;
      if (kind === POOL_CLS) value = f32[row]!;
      else if (kind === POOL_MEAN) {
        let sum = 0;
        let count = 0;
        for (let t = 0; t < T; t++) {
          const m = f32[mask! + b * T + t]!;
          sum += m * f32[row + t * H]!;
          count += m;
        }
        value = count > 0 ? sum / count : 0;
      } else for (let t = 0; t < T; t++) if (f32[mask! + b * T + t] !== 0) value = f32[row + t * H]!;
      f32[out! + b * H + col] = value;
    }
  }
};

const poolRowInfo: KernelImpl = ({ f32 }, [mask, rowInfo], u) => {
  const [B, T, , kind] = [u.u32(0), u.u32(1), u.u32(2), u.u32(3)];
  for (let b = 0; b < B; b++) {
    let count = 0;
    let last = -1;
    for (let t = 0; t < T; t++) {
      const m = f32[mask! + b * T + t]!;
      count += m;
      if (m !== 0) last = t;
    }
    f32[rowInfo! + b] = kind === POOL_MEAN ? (count > 0 ? 1 / count : 0) : last;
  }
};

const poolBackward: KernelImpl = ({ f32 }, [g, mask, rowInfo, gx], u) => {
  const [B, T, H, kind] = [u.u32(0), u.u32(1), u.u32(2), u.u32(3)];
  for (let b = 0; b < B; b++) {
    const info = f32[rowInfo! + b]!;
    for (let t = 0; t < T; t++) {
      const w = kind === POOL_CLS ? (t === 0 ? 1 : 0) : kind === POOL_MEAN ? f32[mask! + b * T + t]! * info : t === info ? 1 : 0;
      const o = gx! + (b * T + t) * H;
      for (let col = 0; col < H; col++) f32[o + col] = w === 0 ? 0 : w * f32[g! + b * H + col]!;
    }
  }
};

const dropout: KernelImpl = ({ f32 }, [x, out], u) => {
  const n = u.u32(0);
  const seed = u.u32(1);
  const threshold = u.u32(2);
  const scale = u.f32(3);
  for (let i = 0; i < n; i++) f32[out! + i] = counterHash(seed, i) >= threshold ? f32[x! + i]! * scale : 0;
};

// ---- optimizer and clipping, over every parameter in one call (./assembly/optim.ts) ------------

/** Below this many floats in all the list's tensors, the calling thread does them alone. */
const PARALLEL_ELEMENTWISE = 1 << 16;

/** Runs `name`(table, count, ...args) over a table of five words per tensor. */
function overTensors(c: KernelContext, name: string, rows: readonly (readonly number[])[], args: readonly number[], floats: number): void {
  const table = c.stage(Int32Array.from(rows.flatMap((r) => [...r, 0, 0, 0, 0, 0].slice(0, 5))));
  c.parallel(name, [table, rows.length, ...args], 0, floats < PARALLEL_ELEMENTWISE);
}

const sumOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** adamw (bindings p, g, m, v) and adamw:scaled (… and the clip coefficient): uniforms n, lr, β1, β2, eps, decay, step size, √bc2. */
function adamwEach(scaled: boolean): EachImpl {
  return (c, items) => {
    const u = items[0]!.u;
    const coef = scaled ? items[0]!.p[4]! * 4 : 0;
    const sizes = items.map((it) => it.u.u32(0));
    const rows = items.map(({ p }, i) => [p[0]! * 4, p[1]! * 4, p[2]! * 4, p[3]! * 4, sizes[i]!]);
    overTensors(c, 'adamwAll', rows, [coef, u.f32(2), u.f32(3), u.f32(4), u.f32(5), u.f32(6), u.f32(7)], sumOf(sizes));
  };
}

/** clip:sumSquares (bindings x, partials; uniforms n, offset, groups): each group's Σ x² in partials. */
const clipSumSquaresEach: EachImpl = (c, items) => {
  const rows = items.map(({ p, u }) => [p[0]! * 4, u.u32(0), u.u32(1), u.u32(2)]);
  overTensors(c, 'sumSquaresAll', rows, [items[0]!.p[1]! * 4], sumOf(items.map((it) => it.u.u32(0))));
};

/** x[i] *= s[0] (clip:scale, kdLoss:scaleByScalar: bindings x, s; uniform n). */
const scaleByFirstEach: EachImpl = (c, items) => {
  const rows = items.map(({ p, u }) => [p[0]! * 4, u.u32(0)]);
  overTensors(c, 'scaleAll', rows, [items[0]!.p[1]! * 4], sumOf(items.map((it) => it.u.u32(0))));
};

const clipTotal: KernelImpl = ({ f32 }, [partials, norm, coef], u) => {
  const count = u.u32(0);
  const maxNorm = u.f32(1);
  let acc = 0;
  for (let i = 0; i < count; i++) acc += f32[partials! + i]!;
  const total = Math.sqrt(acc);
  f32[norm!] = total;
  f32[coef!] = Math.min(1, maxNorm / (total + CLIP_EPS));
};

/** The kernels with a whole-list form; a single dispatch is a list of one. */
const EACH: Record<string, EachImpl> = {
  adamw: adamwEach(false),
  'adamw:scaled': adamwEach(true),
  'clip:sumSquares': clipSumSquaresEach,
  'clip:scale': scaleByFirstEach,
  'kdLoss:scaleByScalar': scaleByFirstEach,
};

const one = (each: EachImpl): KernelImpl => (c, p, u) => each(c, [{ p, u }]);

// ---- the KD loss (./assembly/kd-loss.ts) -------------------------------------------------------

/** kd-spec.ts's divergences as the SIMD kernel numbers them. */
const KD_DIVERGENCE: Record<Divergence, number> = { fkl: 0, rkl: 1, jsd: 2, tvd: 3, sfkl: 4, srkl: 5 };
const KD_TEACHER = { none: 0, dense: 1, sparse: 2 } as const;

/**
 * kdLoss:<divergence>:<teacher>:<ce>:<mask>:<grad> (ops/kd-loss.ts): each row's
 * wRow·(sKd·D + wCe·CE) and its gradient, wRow = mask / Σ mask, in float64 SIMD, rows split
 * across threads.
 */
function kdLoss(key: string): KernelImpl | undefined {
  const [, divergence, teacher, ce, mask, grad] = key.split(':') as [string, Divergence, keyof typeof KD_TEACHER, string, string, string];
  if (!(teacher in KD_TEACHER) || !(divergence in KD_DIVERGENCE)) return undefined;
  return (c, p, u) => {
    const [n, v, k] = [u.u32(0), u.u32(1), u.u32(2)];
    const [invT, a, wCe, sKd] = [u.f32(4), u.f32(5), u.f32(8), u.f32(9)];
    // Bindings in order: student, [teacher | ids, log-probs, log tail], [targets], [mask], row losses, [gradient]; 0 = absent.
    let at = 1;
    const zt = teacher === 'dense' ? p[at++]! : 0;
    const [ids, lps, logTail] = teacher === 'sparse' ? [p[at++]!, p[at++]!, p[at++]!] : [0, 0, 0];
    const targets = ce ? p[at++]! : 0;
    const maskAt = mask ? p[at++]! : 0;
    const rowLoss = p[at++]!;
    const gradAt = grad ? p[at]! : 0;
    let count = n;
    if (mask) {
      count = 0;
      for (let r = 0; r < n; r++) count += c.f32[maskAt + r]!;
    }
    const args = [p[0]!, zt, ids, lps, logTail, targets, maskAt, rowLoss, gradAt].map((x) => x * 4);
    args.push(n, v, k, KD_DIVERGENCE[divergence], KD_TEACHER[teacher], ce ? 1 : 0);
    // log a and log(1 − a) of the mixtures, −∞ at the ends (no mixture there).
    args.push(invT, a, a > 0 ? Math.log(a) : -Infinity, a < 1 ? Math.log(1 - a) : -Infinity, wCe, sKd, count);
    c.parallel('kdLossRows', args, c.wasm.kdLossScratchBytes!(v) as number, n * v < PARALLEL_ROW_FLOATS);
  };
}

const sumFirst: KernelImpl = ({ f32 }, [rows, out], u) => {
  const n = u.u32(0);
  let acc = 0;
  for (let i = 0; i < n; i++) acc += f32[rows! + i]!;
  f32[out!] = acc;
};

// ---- SIMD kernels across threads ---------------------------------------------------------------

/**
 * Below about this many multiply-adds (~20 µs on one thread here) a kernel runs on the calling
 * thread alone: waking the pool costs more, and far more on a loaded machine, where the worker
 * must wait for a time slice (a decode step makes dozens of such calls per token).
 */
const PARALLEL_MIN_MACS = 1 << 20;

/** matmul:<NN|NT|TN|TT>:<vec>[:bias] → the SIMD product over parts (uniforms M, N, K, strides). */
function matmul(key: string): KernelImpl | undefined {
  const m = /^matmul:([NT])([NT]):\d+(:bias)?$/.exec(key);
  if (!m) return undefined;
  const transA = m[1] === 'T' ? 1 : 0;
  const transB = m[2] === 'T' ? 1 : 0;
  const hasBias = m[3] !== undefined;
  return (c, p, u, grid) => {
    const [a, b] = [p[0]!, p[1]!];
    const bias = hasBias ? p[2]! : 0;
    const out = p[hasBias ? 3 : 2]!;
    const [M, N, K, strideA, strideB, strideC] = [u.u32(0), u.u32(1), u.u32(2), u.u32(3), u.u32(4), u.u32(5)];
    const batch = grid[2] ?? 1;
    // A product of fewer than 4 rows (a decode step) is faster on one thread than split, and so is
    // any product smaller than waking the pool costs.
    const oneThread = M * batch < 4 || M * N * K * batch < PARALLEL_MIN_MACS;
    c.parallel('matmul', [a * 4, b * 4, out * 4, bias * 4, M, N, K, transA, transB, strideA, strideB, strideC, batch], c.wasm.matmulScratchBytes!() as number, oneThread);
  };
}

/** attention.<forward|backwardQuery|backwardKey>.D<d>[.masked] → the SIMD kernels over parts. */
function attention(key: string): KernelImpl | undefined {
  const m = /^attention\.(forward|backwardQuery|backwardKey)\.D(\d+)(\.masked)?$/.exec(key);
  if (!m) return undefined;
  const pass = m[1]!;
  const D = Number(m[2]);
  const masked = m[3] !== undefined;
  const name = `attention${pass[0]!.toUpperCase()}${pass.slice(1)}`;
  return (c, p, u) => {
    const [B, T, S, nH, nKV, causal, offset, scale] = [u.u32(0), u.u32(1), u.u32(2), u.u32(3), u.u32(4), u.u32(5), u.u32(6), u.f32(7)];
    const [q, k, v] = [p[0]!, p[1]!, p[2]!];
    const mask = masked ? p[3]! : 0;
    const rest = p.slice(masked ? 4 : 3).map((x) => x * 4);
    const scratch = c.wasm.attentionScratchBytes!(T, S, D) as number;
    c.parallel(name, [q * 4, k * 4, v * 4, mask * 4, ...rest, B, T, S, nH, nKV, D, causal, offset, scale], scratch, B * nH * T * S * D < PARALLEL_MIN_MACS);
  };
}

// ---- the registry ------------------------------------------------------------------------------

const EXACT: Record<string, KernelImpl> = {
  fill: ({ f32 }, [out], u) => void f32.fill(u.f32(1), out!, out! + u.u32(0)),
  axpy: ({ wasm }, [a, b], u) => wasm.axpy(a! * 4, b! * 4, u.u32(0), u.f32(1)),
  'map:add': map('add'),
  'map:sub': map('sub'),
  'map:mul': map('mul'),
  'map:scale': map('scale'),
  addBias: (c, [x, bias, out], u) => c.parallel('addBias', [x! * 4, bias! * 4, out! * 4, u.u32(0), u.u32(1)], 0, u.u32(0) < PARALLEL_ELEMENTWISE),
  sumRows: (c, [g, out], u) => c.parallel('sumRows', [g! * 4, out! * 4, u.u32(0), u.u32(1)], 0, u.u32(0) * u.u32(1) < PARALLEL_ELEMENTWISE),
  softmax: rows('softmaxForward'),
  'softmax:backward': rows('softmaxBackward'),
  'split:gather': strided('gather'),
  'split:scatter': strided('scatter'),
  rope: rope(false),
  'rope.positions': rope(true),
  'embedding.forward': embeddingForward,
  'embedding.initFirst': embeddingInitFirst,
  'embedding.links': embeddingLinks,
  'embedding.grad': embeddingGrad,
  'pool.forward': poolForward,
  'pool.rowInfo': poolRowInfo,
  'pool.backward': poolBackward,
  dropout,
  ...Object.fromEntries(Object.entries(EACH).map(([key, each]) => [key, one(each)])),
  'clip:total': clipTotal,
  'kdLoss:sumRows': sumFirst,
  // bench/engine.ts's peer: the textbook product, one output at a time (what the naive WGSL kernel does per thread).
  'bench:naive-matmul': ({ f32 }, [a, b, out], u) => {
    const [M, N, K] = [u.u32(0), u.u32(1), u.u32(2)];
    for (let row = 0; row < M; row++) {
      for (let col = 0; col < N; col++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += f32[a! + row * K + k]! * f32[b! + k * N + col]!;
        f32[out! + row * N + col] = acc;
      }
    }
  },
};

/** The whole-list form of a kernel key (Backend.dispatchEach), where it has one. */
export function resolveKernelEach(key: string): EachImpl | undefined {
  return EACH[key];
}

/** The WASM implementation of a kernel key; a clear error for a key no one wrote one for. */
export function resolveKernel(key: string): KernelImpl {
  const impl =
    EXACT[key] ??
    (key.startsWith('activation:') ? activation(key.slice('activation:'.length)) : undefined) ??
    (key.startsWith('norm:') ? norm(key.split(':')[1]!, key.split(':')[2]) : undefined) ??
    (key.startsWith('kdLoss:') ? kdLoss(key) : undefined) ??
    matmul(key) ??
    attention(key);
  if (!impl) throw new EngineError(`the WASM backend has no kernel "${key}" (every WGSL kernel needs its WASM twin in src/engine/wasm/kernels.ts)`);
  return impl;
}
