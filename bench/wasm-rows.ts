// Benchmark of the WASM row kernels (src/engine/wasm/assembly/rows.ts: softmax, layer and RMS
// norm, forward and backward), called straight on one thread, beside a plain copy of the same
// number of bytes in the same memory (copyWithin: V8's memmove) as the ceiling a kernel that
// reads and writes each float once could reach. GB/s counts the bytes each kernel must read and
// write once (f32). Numbers only. Run: npx tsx bench/wasm-rows.ts
import { createMemory, instantiateKernels, kernelModule, RESERVED_BYTES } from '../src/engine/wasm/module.ts';
import { randn } from '../src/engine/random.ts';
import { medianSecondsPerCall } from './wasm-timing.ts';
import { cpus } from 'node:os';

const time = (fn: () => void) => medianSecondsPerCall(fn, 50);

const memory = createMemory(64 << 20, false);
const wasm = instantiateKernels(await kernelModule(false), memory);
const f32 = new Float32Array(memory.buffer);

console.log(`WASM row kernels, one thread, beside a copy of as many bytes; node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores).\n`);
console.log('kernel                    shape        wasm µs   GB/s |  copy µs   GB/s | of copy');
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
  // The copy's source and target: `floats` moved is half read, half written.
  const [copyFrom, copyTo] = [alloc(2 * n), alloc(2 * n)];
  const cases: [string, number, () => void][] = [
    ['softmax', 2 * n, () => wasm.softmaxForward!(x, y, rows, cols, 0, 1, 0)],
    ['softmax:backward', 3 * n, () => wasm.softmaxBackward!(g, y, dx, rows, cols, 0, 1, 0)],
    ['norm:layer', 2 * n, () => wasm.layerNormForward!(x, gamma, beta, y, stats, rows, cols, 1e-5, 0, 1, 0)],
    ['norm:rms', 2 * n, () => wasm.rmsNormForward!(x, gamma, y, stats, rows, cols, 1e-5, 0, 1, 0)],
    ['norm:layer:dx', 3 * n, () => wasm.layerNormDx!(g, x, gamma, stats, dx, rows, cols, 0, 1, 0)],
    ['norm:layer:dparams', 2 * n, () => wasm.layerNormDparams!(g, x, stats, dg, db, rows, cols, 0, 1, 0)],
  ];
  for (const [name, floats, kernel] of cases) {
    const half = Math.floor(floats / 2);
    const tw = time(kernel);
    const tc = time(() => f32.copyWithin(copyTo / 4, copyFrom / 4, copyFrom / 4 + half));
    const [kernelGbs, copyGbs] = [(floats * 4) / tw / 1e9, (half * 8) / tc / 1e9];
    console.log(`${name.padEnd(25)} ${`${rows}×${cols}`.padEnd(10)} ${(tw * 1e6).toFixed(1).padStart(9)} ${kernelGbs.toFixed(2).padStart(6)} | ${(tc * 1e6).toFixed(1).padStart(8)} ${copyGbs.toFixed(2).padStart(6)} | ${((kernelGbs / copyGbs) * 100).toFixed(0).padStart(5)}%`);
  }
}
