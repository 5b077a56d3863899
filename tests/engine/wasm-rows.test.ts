// The WASM row kernels (src/engine/wasm/assembly/rows.ts: softmax, LayerNorm, RMSNorm forward,
// input gradient and gamma/beta partial sums) against the float64 CPU twins (cpu/softmax.ts,
// cpu/norm.ts) on odd shapes, and bit-identical whether run as one part or as two.
import { beforeAll, describe, expect, it } from 'vitest';
import { rawKernels, type RawKernels } from '../helpers/wasm-kernels.ts';
import type { WasmKernels } from '../../src/engine/wasm/module.ts';
import * as cpuSoftmax from '../../src/engine/cpu/softmax.ts';
import * as cpuNorm from '../../src/engine/cpu/norm.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { randn } from '../../src/engine/random.ts';

let wasm: WasmKernels;
let kernels: RawKernels;

beforeAll(async () => {
  kernels = await rawKernels(16 << 20);
  wasm = kernels.wasm;
});

const TOL = { rtol: 1e-4, atol: 1e-5 };
const CHUNK = 32;
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 5],
  [5, 3],
  [17, 63],
  [33, 17],
  [65, 65],
  [70, 4],
  [2, 256],
];

const heap = () => kernels.heap();

const d64 = (a: Float32Array) => Float64Array.from(a);
const bits = (a: Float32Array) => new Uint32Array(a.buffer);

function expectOk(results: ReturnType<typeof compare>[]): void {
  for (const r of results) expect(r.ok, `${r.name}: ${r.detail ?? ''}`).toBe(true);
}

describe('WASM softmax', () => {
  for (const [rows, cols] of SHAPES) {
    it(`forward and backward match the CPU twin, 1 part = 2 parts: ${rows}×${cols}`, () => {
      const x = Float32Array.from(randn(rows * cols, rows * 7 + cols), (v) => v * 3);
      const g = Float32Array.from(randn(rows * cols, rows + cols * 5));
      const run = (parts: number) => {
        const h = heap();
        const [px, pg, py, pdx] = [h.put(x), h.put(g), h.put(rows * cols), h.put(rows * cols)];
        for (let p = 0; p < parts; p++) wasm.softmaxForward!(px, py, rows, cols, p, parts, 0);
        for (let p = 0; p < parts; p++) wasm.softmaxBackward!(pg, py, pdx, rows, cols, p, parts, 0);
        return { y: h.get(py, rows * cols), dx: h.get(pdx, rows * cols) };
      };
      const one = run(1);
      expectOk([compare('y', one.y, cpuSoftmax.softmax(d64(x), cols), TOL), compare('dx', one.dx, cpuSoftmax.softmaxBackward(d64(x), d64(g), cols), TOL)]);
      const two = run(2);
      expect(bits(two.y)).toEqual(bits(one.y));
      expect(bits(two.dx)).toEqual(bits(one.dx));
    });
  }
});

describe('WASM norms', () => {
  for (const kind of ['layer', 'rms'] as const)
    // RMSNorm of one column: dx is pure cancellation (≈ 1e-8 of nothing), no test of anything.
    for (const [rows, cols] of kind === 'rms' ? [...SHAPES.filter(([, c]) => c > 1), [1, 2] as [number, number]] : SHAPES) {
      it(`${kind}: forward, dx and the gamma/beta partial sums match the CPU twin, 1 part = 2 parts: ${rows}×${cols}`, () => {
        const layer = kind === 'layer';
        const eps = layer ? 1e-5 : 1e-6;
        // An offset mean, so the two-pass variance matters.
        const x = Float32Array.from(randn(rows * cols, rows * 3 + cols), (v) => v * 2 + 5);
        const g = Float32Array.from(randn(rows * cols, rows + cols * 11));
        const gamma = Float32Array.from(randn(cols, cols), (v) => 1 + 0.5 * v);
        const beta = Float32Array.from(randn(cols, cols + 1));
        const chunks = Math.ceil(rows / CHUNK);
        const run = (parts: number) => {
          const h = heap();
          const [px, pg, pgamma, pbeta] = [h.put(x), h.put(g), h.put(gamma), h.put(beta)];
          const [py, pstats, pdx, pdg, pdb] = [h.put(rows * cols), h.put(rows * 2), h.put(rows * cols), h.put(chunks * cols), h.put(chunks * cols)];
          for (let p = 0; p < parts; p++) {
            if (layer) wasm.layerNormForward!(px, pgamma, pbeta, py, pstats, rows, cols, eps, p, parts, 0);
            else wasm.rmsNormForward!(px, pgamma, py, pstats, rows, cols, eps, p, parts, 0);
          }
          for (let p = 0; p < parts; p++) (layer ? wasm.layerNormDx! : wasm.rmsNormDx!)(pg, px, pgamma, pstats, pdx, rows, cols, p, parts, 0);
          for (let p = 0; p < parts; p++) {
            if (layer) wasm.layerNormDparams!(pg, px, pstats, pdg, pdb, rows, cols, p, parts, 0);
            else wasm.rmsNormDparams!(pg, px, pstats, pdg, rows, cols, p, parts, 0);
          }
          return { y: h.get(py, rows * cols), stats: h.get(pstats, rows * 2), dx: h.get(pdx, rows * cols), dg: h.get(pdg, chunks * cols), db: h.get(pdb, chunks * cols) };
        };
        const one = run(1);
        const sumChunks = (a: Float32Array) => {
          const s = new Float64Array(cols);
          for (let k = 0; k < chunks; k++) for (let c = 0; c < cols; c++) s[c] += a[k * cols + c]!;
          return s;
        };
        const y = layer ? cpuNorm.layerNorm(d64(x), d64(gamma), d64(beta), eps) : cpuNorm.rmsNorm(d64(x), d64(gamma), eps);
        const [dx, dgamma, dbeta] = layer ? cpuNorm.layerNormBackward(d64(x), d64(gamma), d64(g), eps) : [...cpuNorm.rmsNormBackward(d64(x), d64(gamma), d64(g), eps), null];
        const checks = [compare('y', one.y, y, TOL), compare('dx', one.dx, dx, TOL), compare('dgamma', sumChunks(one.dg), dgamma, TOL)];
        if (dbeta) checks.push(compare('dbeta', sumChunks(one.db), dbeta, TOL));
        expectOk(checks);
        // Each chunk's partial sums are its own rows' (the CPU twin over that chunk alone).
        const last = (chunks - 1) * CHUNK;
        const part = (a: Float32Array) => Float64Array.from(a.subarray(last * cols));
        const tail = layer ? cpuNorm.layerNormBackward(part(x), d64(gamma), part(g), eps) : cpuNorm.rmsNormBackward(part(x), d64(gamma), part(g), eps);
        expectOk([compare('dgamma last chunk', one.dg.subarray((chunks - 1) * cols), tail[1], TOL)]);
        if (!layer) expect(Array.from(one.stats.filter((_, i) => i % 2 === 0)).every((m) => m === 0)).toBe(true);
        const two = run(2);
        for (const key of ['y', 'stats', 'dx', 'dg', ...(layer ? (['db'] as const) : [])] as const) expect(bits(two[key]), key).toEqual(bits(one[key]));
      });
    }
});
