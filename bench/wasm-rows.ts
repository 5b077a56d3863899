// Benchmark of the WASM row kernels (src/engine/wasm/assembly/rows.ts) beside the WASM backend's
// current JS loops for the same kernel keys (src/engine/wasm/kernels.ts, via resolveKernel), both
// in this run, one thread, on the same data. GB/s counts the bytes each kernel must read and
// write once (f32). Numbers only. Run: npx tsx bench/wasm-rows.ts
import { createMemory, instantiateKernels, kernelModule, RESERVED_BYTES } from '../src/engine/wasm/module.ts';
import { resolveKernel, type KernelContext } from '../src/engine/wasm/kernels.ts';
import { randn } from '../src/engine/random.ts';
import { medianSecondsPerCall } from './wasm-timing.ts';
import { cpus } from 'node:os';

const time = (fn: () => void) => medianSecondsPerCall(fn, 50);

const memory = createMemory(64 << 20, false);
const wasm = instantiateKernels(await kernelModule(false), memory);
const f32 = new Float32Array(memory.buffer);
const ctx: KernelContext = { f32, i32: new Int32Array(memory.buffer), u32: new Uint32Array(memory.buffer), wasm, parallel: () => {}, stage: () => { throw new Error('the row kernels stage nothing'); } };
const uniforms = (words: number[], floats: Record<number, number> = {}) => ({ u32: (w: number) => words[w]!, f32: (w: number) => floats[w]! });

console.log(`WASM row kernels vs the backend's JS loops, one thread; node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores).\n`);
console.log('kernel                    shape        wasm µs   GB/s |    js µs   GB/s | speed-up');
for (const [rows, cols] of [[512, 64], [512, 256], [512, 1000]] as const) {
  let top = RESERVED_BYTES;
  const alloc = (n: number, seed?: number) => {
    const p = top;
    top += Math.ceil(n / 4) * 16;
    if (seed !== undefined) f32.set(randn(n, seed), p / 4);
    return p;
  };
  const n = rows * cols;
  const chunks = Math.ceil(rows / 32);
  const [x, g, y, dx, gamma, beta, stats, dg, db] = [alloc(n, 1), alloc(n, 2), alloc(n), alloc(n), alloc(cols, 3), alloc(cols, 4), alloc(2 * rows), alloc(chunks * cols), alloc(chunks * cols)];
  const e = (p: number) => p / 4;
  const u = uniforms([rows, cols], { 2: 1e-5 });
  const cases: [string, number, () => void, () => void][] = [
    ['softmax', 2 * n, () => wasm.softmaxForward!(x, y, rows, cols, 0, 1, 0), () => resolveKernel('softmax')(ctx, [e(x), e(y)], u, [])],
    ['softmax:backward', 3 * n, () => wasm.softmaxBackward!(g, y, dx, rows, cols, 0, 1, 0), () => resolveKernel('softmax:backward')(ctx, [e(g), e(y), e(dx)], u, [])],
    ['norm:layer', 2 * n, () => wasm.layerNormForward!(x, gamma, beta, y, stats, rows, cols, 1e-5, 0, 1, 0), () => resolveKernel('norm:layer')(ctx, [e(x), e(gamma), e(beta), e(y), e(stats)], u, [])],
    ['norm:rms', 2 * n, () => wasm.rmsNormForward!(x, gamma, y, stats, rows, cols, 1e-5, 0, 1, 0), () => resolveKernel('norm:rms')(ctx, [e(x), e(gamma), e(y), e(stats)], u, [])],
    ['norm:layer:dx', 3 * n, () => wasm.layerNormDx!(g, x, gamma, stats, dx, rows, cols, 0, 1, 0), () => resolveKernel('norm:layer:dx')(ctx, [e(g), e(x), e(gamma), e(stats), e(dx)], u, [])],
    ['norm:layer:dparams', 2 * n, () => wasm.layerNormDparams!(g, x, stats, dg, db, rows, cols, 0, 1, 0), () => resolveKernel('norm:layer:dparams')(ctx, [e(g), e(x), e(stats), e(dg), e(db)], u, [])],
  ];
  for (const [name, floats, w, j] of cases) {
    const tw = time(w);
    const tj = time(j);
    const gbs = (t: number) => ((floats * 4) / t / 1e9).toFixed(2).padStart(6);
    console.log(`${name.padEnd(25)} ${`${rows}×${cols}`.padEnd(10)} ${(tw * 1e6).toFixed(1).padStart(9)} ${gbs(tw)} | ${(tj * 1e6).toFixed(1).padStart(8)} ${gbs(tj)} | ${(tj / tw).toFixed(1).padStart(6)}×`);
  }
}
