// Benchmark of the WASM matrix product (src/engine/wasm/assembly/matmul.ts) beside TF.js's WASM
// backend (XNNPACK), jax-js's WASM backend and numpy (OpenBLAS, one thread) as the ceiling, all
// in this run, on the same shapes. GFLOP/s = 2·M·N·K / time. Ours runs one thread (one part); with
// --parts2 it also runs two parts on two Node worker_threads over one shared memory.
// Run: npx tsx bench/wasm-matmul.ts [--parts2] [--only-ours]
import { createMemory, instantiateKernels, kernelModule, RESERVED_BYTES } from '../src/engine/wasm/module.ts';
import { randn } from '../src/engine/random.ts';
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

interface Shape {
  name: string;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
}
const S = (name: string, M: number, K: number, N: number, transA = false, transB = false): Shape => ({ name, M, N, K, transA, transB });
const SHAPES: Shape[] = [
  S('256²', 256, 256, 256),
  S('512²', 512, 512, 512),
  S('1024²', 1024, 1024, 1024),
  S('512×256·256×1024', 512, 256, 1024),
  S('512×1024·1024×256', 512, 1024, 256),
  S('512×128·128×1024', 512, 128, 1024),
  S('512×256·(1024×256)ᵀ', 512, 256, 1024, false, true),
  S('(512×256)ᵀ·512×1024', 256, 512, 1024, true, false),
  S('1×1024·(1024×1024)ᵀ', 1, 1024, 1024, false, true),
  S('1×1024·1024×1024', 1, 1024, 1024),
];

const args = new Set(process.argv.slice(2));
const flops = (s: Shape) => 2 * s.M * s.N * s.K;

/** Best seconds per call over 7 rounds, each long enough (≥ 60 ms): the machine is shared, so the least disturbed round. */
async function time(fn: () => void | Promise<void>): Promise<number> {
  await fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await fn();
    if (performance.now() - t0 > 60) break;
    reps *= 2;
  }
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let n = 0; n < reps; n++) await fn();
    rounds.push((performance.now() - t0) / 1000 / reps);
  }
  return Math.min(...rounds);
}

const stored = (s: Shape) => ({
  a: new Float32Array(randn(s.M * s.K, 1)),
  b: new Float32Array(randn(s.K * s.N, 2)),
  aShape: s.transA ? [s.K, s.M] : [s.M, s.K],
  bShape: s.transB ? [s.N, s.K] : [s.K, s.N],
});

// ---- ours -----------------------------------------------------------------------------------------

const module = await kernelModule(false);
const memory = createMemory(64 << 20, false);
const wasm = instantiateKernels(module, memory);
const scratchBytes = wasm.matmulScratchBytes!() as number;

function layout(s: Shape) {
  let top = RESERVED_BYTES;
  const take = (bytes: number) => {
    const p = top;
    top += Math.ceil(bytes / 64) * 64;
    return p;
  };
  const a = take(s.M * s.K * 4);
  const b = take(s.K * s.N * 4);
  const c = take(s.M * s.N * 4);
  const scratch = [take(scratchBytes), take(scratchBytes)];
  return { a, b, c, scratch, top };
}

function oursCall(s: Shape, l: ReturnType<typeof layout>, part: number, parts: number, scratch: number): number[] {
  return [l.a, l.b, l.c, 0, s.M, s.N, s.K, s.transA ? 1 : 0, s.transB ? 1 : 0, 0, 0, 0, 1, part, parts, scratch];
}

async function ours(s: Shape): Promise<number> {
  const l = layout(s);
  const f32 = new Float32Array(memory.buffer);
  const d = stored(s);
  f32.set(d.a, l.a / 4);
  f32.set(d.b, l.b / 4);
  const call = oursCall(s, l, 0, 1, l.scratch[0]!);
  return time(() => void wasm.matmul!(...call));
}

// Two parts over one shared memory: part 0 on this thread, part 1 on a worker woken through
// Atomics (as the engine's pool does), so a call costs no message round trip.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl, args } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
const c = new Int32Array(ctl);
const a = new Float64Array(args);
let seen = 0;
for (;;) {
  Atomics.wait(c, 0, seen);
  seen = Atomics.load(c, 0);
  if (seen < 0) break;
  inst.exports.matmul(...Array.from(a));
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
}
`;
let two: { wasm: typeof wasm; mem: WebAssembly.Memory; ctl: Int32Array; args: Float64Array; worker: Worker } | undefined;
async function ours2(s: Shape): Promise<number> {
  if (!two) {
    const mem = createMemory(64 << 20, true);
    const mod = await kernelModule(true);
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const args = new Float64Array(new SharedArrayBuffer(16 * 8));
    const worker = new Worker(WORKER, { eval: true, workerData: { module: mod, memory: mem, ctl: ctl.buffer, args: args.buffer } });
    two = { wasm: instantiateKernels(mod, mem), mem, ctl, args, worker };
  }
  const { mem, ctl, args } = two;
  const w2 = two.wasm;
  const l = layout(s);
  const f32 = new Float32Array(mem.buffer);
  const d = stored(s);
  f32.set(d.a, l.a / 4);
  f32.set(d.b, l.b / 4);
  args.set(oursCall(s, l, 1, 2, l.scratch[1]!));
  const own = oursCall(s, l, 0, 2, l.scratch[0]!);
  return time(() => {
    const gen = Atomics.add(ctl, 0, 1) + 1;
    Atomics.notify(ctl, 0);
    w2.matmul!(...own);
    while (Atomics.load(ctl, 1) !== gen) Atomics.wait(ctl, 1, Atomics.load(ctl, 1));
  });
}

// ---- peers --------------------------------------------------------------------------------------

type Peer = { name: string; detail: string; run(s: Shape): Promise<number> };

async function tfPeer(): Promise<Peer> {
  const tf = await import('@tensorflow/tfjs-core');
  const tfw = await import('@tensorflow/tfjs-backend-wasm');
  tfw.setWasmPaths(fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)));
  tfw.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js could not start its WASM backend');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return {
    name: 'TF.js',
    detail: `@tensorflow/tfjs-backend-wasm 4.22 (XNNPACK; SIMD build ${simd ? 'used' : 'not used'}; threaded-SIMD build ${threads ? 'available' : 'not used (no threads in this Node)'}; ${tfw.getThreadsCount()} thread)`,
    async run(s) {
      const d = stored(s);
      const ta = tf.tensor(d.a, d.aShape);
      const tb = tf.tensor(d.b, d.bShape);
      const t = await time(() => tf.matMul(ta, tb, s.transA, s.transB).dispose());
      tf.dispose([ta, tb]);
      return t;
    },
  };
}

async function jaxPeer(): Promise<Peer> {
  const jax = await import('@jax-js/jax');
  const devices = await jax.init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js found no wasm device (${devices.join(', ')})`);
  jax.defaultDevice('wasm');
  const np = jax.numpy;
  type A = import('@jax-js/jax').Array;
  const jits = new Map<string, (a: A, b: A) => A>();
  const jitFor = (tA: boolean, tB: boolean) => {
    const key = `${tA}${tB}`;
    let f = jits.get(key);
    if (!f) jits.set(key, (f = jax.jit((a: A, b: A) => np.matmul(tA ? np.transpose(a, [1, 0]) : a, tB ? np.transpose(b, [1, 0]) : b))));
    return f;
  };
  const workers = typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return {
    name: 'jax-js',
    detail: `@jax-js/jax 0.1.25 (wasm device, jit; ${workers ? 'Worker global present' : 'no global Worker in Node, so one thread'})`,
    async run(s) {
      const d = stored(s);
      const ja = np.array(d.a as Float32Array<ArrayBuffer>).reshape(d.aShape);
      const jb = np.array(d.b as Float32Array<ArrayBuffer>).reshape(d.bShape);
      const f = jitFor(s.transA, s.transB);
      const t = await time(async () => {
        const c = f(ja.ref, jb.ref);
        await jax.blockUntilReady(c);
        c.dispose();
      });
      ja.dispose();
      jb.dispose();
      return t;
    },
  };
}

function numpyTimes(): Map<string, number> | string {
  const spec = JSON.stringify(SHAPES.map((s) => [s.M, s.N, s.K, s.transA, s.transB]));
  const py = `
import json, time, numpy as np
out = []
for M, N, K, tA, tB in json.loads('${spec}'):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((K, M) if tA else (M, K), dtype=np.float32)
    b = rng.standard_normal((N, K) if tB else (K, N), dtype=np.float32)
    A = a.T if tA else a
    B = b.T if tB else b
    A @ B
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps): A @ B
        if time.perf_counter() - t0 > 0.06: break
        reps *= 2
    rounds = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(reps): A @ B
        rounds.append((time.perf_counter() - t0) / reps)
    out.append(min(rounds))
print(json.dumps([np.__version__] + out))
`;
  try {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const [version, ...ts] = JSON.parse(execFileSync('python3', ['-c', py], { env, encoding: 'utf8' })) as [string, ...number[]];
    const m = new Map<string, number>(SHAPES.map((s, i) => [s.name, ts[i]!]));
    m.set('version', Number.NaN);
    (m as unknown as { v: string }).v = version;
    return m;
  } catch (e) {
    return `numpy not available (${(e as Error).message.split('\n')[0]})`;
  }
}

// ---- run ------------------------------------------------------------------------------------------

console.log(`WASM matmul, GFLOP/s (2·M·N·K / best of 7 timed rounds); node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores).`);
const only = args.has('--only-ours');
const peers: Peer[] = [];
if (!only) {
  for (const make of [tfPeer, jaxPeer]) {
    try {
      const p = await make();
      peers.push(p);
      console.log(`  ${p.name}: ${p.detail}`);
    } catch (e) {
      console.log(`  ${make.name}: failed to start (${(e as Error).message})`);
    }
  }
}
const np = only ? 'skipped' : numpyTimes();
console.log(`  numpy: ${typeof np === 'string' ? np : `${(np as unknown as { v: string }).v}, OpenBLAS, OPENBLAS_NUM_THREADS=1`}`);
console.log(`  ours: matmul.ts, one part on one thread${args.has('--parts2') ? '; "ours×2" = two parts over a shared memory, part 0 on this thread and part 1 on a worker_thread woken by Atomics' : ''}\n`);

const cols = ['ours', ...(args.has('--parts2') ? ['ours×2'] : []), ...peers.map((p) => p.name), ...(typeof np === 'string' ? [] : ['numpy'])];
const ratios = peers.map((p) => `ours/${p.name}`).concat(typeof np === 'string' ? [] : ['ours/numpy']);
console.log(`${'shape (M×K·K×N)'.padEnd(22)} ${cols.map((c) => c.padStart(8)).join(' ')} | ${ratios.map((c) => c.padStart(12)).join(' ')}`);
for (const s of SHAPES) {
  const g = (t: number) => flops(s) / t / 1e9;
  const row: number[] = [g(await ours(s))];
  if (args.has('--parts2')) row.push(g(await ours2(s)));
  for (const p of peers) row.push(g(await p.run(s)));
  if (typeof np !== 'string') row.push(g(np.get(s.name)!));
  const r = row.slice(args.has('--parts2') ? 2 : 1).map((x) => row[0]! / x);
  console.log(`${s.name.padEnd(22)} ${row.map((x) => x.toFixed(1).padStart(8)).join(' ')} | ${r.map((x) => `${x.toFixed(2)}×`.padStart(12)).join(' ')}`);
}
if (two) {
  Atomics.store(two.ctl, 0, -1);
  Atomics.notify(two.ctl, 0);
  await two.worker.terminate();
}
process.exit(0);
