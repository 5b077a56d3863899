// The WASM matrix product (src/engine/wasm/assembly/matmul.ts) against the float64 CPU twin
// (cpu/matmul.ts) on odd shapes, all four transpose variants, batched and shared operands, a
// bias, K = 0, M or N = 1, M < 4 (the unpacked path), shapes past the packing blocks (K > 256,
// N > 512, M > 64), and
// bit-identical whether run as one part or as two (or three) parts in turn.
import { beforeAll, describe, expect, it } from 'vitest';
import { rawKernels, type RawKernels } from '../helpers/wasm-kernels.ts';
import type { WasmKernels } from '../../src/engine/wasm/module.ts';
import * as cpu from '../../src/engine/cpu/matmul.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { randn } from '../../src/engine/random.ts';

let wasm: WasmKernels;
let kernels: RawKernels;

beforeAll(async () => {
  kernels = await rawKernels(64 << 20);
  wasm = kernels.wasm;
});

const TOL = { rtol: 1e-4, atol: 1e-5 };

const heap = () => kernels.heap();

const bits = (a: Float32Array) => new Uint32Array(a.buffer);

interface Case {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  batchedA: boolean;
  batchedB: boolean;
  bias: boolean;
}

function run(c: Case, a: Float32Array, b: Float32Array, bias: Float32Array | null, parts: number): Float32Array {
  const h = heap();
  const scratchBytes = wasm.matmulScratchBytes!() as number;
  const [pa, pb, pbias, pc] = [h.put(a), h.put(b), bias ? h.put(bias) : 0, h.put(c.batch * c.M * c.N)];
  const scratch = h.put(Math.ceil(scratchBytes / 4));
  for (let p = 0; p < parts; p++) {
    wasm.matmul!(pa, pb, pc, pbias, c.M, c.N, c.K, c.transA ? 1 : 0, c.transB ? 1 : 0, c.batchedA ? c.M * c.K : 0, c.batchedB ? c.K * c.N : 0, c.M * c.N, c.batch, p, parts, scratch);
  }
  return h.get(pc, c.batch * c.M * c.N);
}

function check(c: Case, seed: number): void {
  const a = new Float32Array(randn((c.batchedA ? c.batch : 1) * c.M * c.K, seed));
  const b = new Float32Array(randn((c.batchedB ? c.batch : 1) * c.K * c.N, seed + 1));
  const bias = c.bias ? new Float32Array(randn(c.N, seed + 2)) : null;
  const want = cpu.matmul(Float64Array.from(a), Float64Array.from(b), c);
  if (bias) for (let i = 0; i < want.length; i++) want[i] += bias[i % c.N]!;
  const one = run(c, a, b, bias, 1);
  const r = compare('C', one, want, TOL);
  expect(r.ok, r.detail).toBe(true);
  expect(bits(run(c, a, b, bias, 2))).toEqual(bits(one));
  expect(bits(run(c, a, b, bias, 3))).toEqual(bits(one));
}

const base = { batch: 1, transA: false, transB: false, batchedA: true, batchedB: true, bias: false };
const VARIANTS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [5, 3, 1],
  [1, 17, 63],
  [17, 1, 65],
  [17, 63, 5],
  [63, 65, 17],
  [65, 9, 33],
  [4, 8, 4],
  [8, 16, 12],
];

describe('WASM matmul', () => {
  for (const [tA, tB] of VARIANTS) {
    const v = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
    it(`${v}: odd shapes match the CPU twin, 1 part = 2 = 3 parts`, () => {
      for (const [M, N, K] of SHAPES) check({ ...base, M, N, K, transA: tA, transB: tB }, M * 31 + N * 7 + K);
    });
    it(`${v}: bias, batched and shared operands`, () => {
      check({ ...base, batch: 3, M: 5, N: 11, K: 9, transA: tA, transB: tB, bias: true }, 1);
      check({ ...base, batch: 3, M: 7, N: 13, K: 6, transA: tA, transB: tB, batchedA: false }, 2);
      check({ ...base, batch: 4, M: 9, N: 5, K: 19, transA: tA, transB: tB, batchedB: false, bias: true }, 3);
      check({ ...base, batch: 2, M: 1, N: 33, K: 17, transA: tA, transB: tB, bias: true }, 4);
    });
    it(`${v}: past the packing blocks (K > 256, N > 512, M > 64)`, () => {
      check({ ...base, M: 101, N: 530, K: 300, transA: tA, transB: tB, bias: true }, 5);
      check({ ...base, batch: 2, M: 197, N: 37, K: 513, transA: tA, transB: tB, batchedB: false }, 6);
      // M < 4: the vector–matrix path (no packing).
      check({ ...base, batch: 3, M: 1, N: 530, K: 301, transA: tA, transB: tB, bias: true }, 9);
      check({ ...base, batch: 2, M: 3, N: 37, K: 66, transA: tA, transB: tB, batchedA: false }, 10);
      check({ ...base, M: 2, N: 19, K: 3, transA: tA, transB: tB, bias: true }, 11);
      check({ ...base, M: 1, N: 1100, K: 5, transA: tA, transB: tB, bias: true }, 12);
    });
  }
  it('K = 0 writes the bias (or zeros)', () => {
    check({ ...base, batch: 2, M: 3, N: 5, K: 0, bias: true }, 7);
    check({ ...base, batch: 2, M: 3, N: 5, K: 0, transA: true, transB: true }, 8);
  });
  it('scratch size is a positive multiple of 16', () => {
    const s = wasm.matmulScratchBytes!() as number;
    expect(s > 0 && s % 16 === 0).toBe(true);
  });
});
