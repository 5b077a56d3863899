// Matmul edge cases beyond the self-test list: sizes off the 64×64 tile and the vec4 alignment,
// every transpose combination with gradients, batches, empty inner dimension, shape errors. The
// products run on each kernel variant (tiled for GPUs, direct for software adapters, and direct
// with quad-shared loads where subgroups are 4 lanes), whichever this adapter would pick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { WebGpuBackend } from '../../src/engine/webgpu-backend.ts';
import { checkOp, type OpCheck } from '../../src/engine/selftest/check.ts';
import { linear, matmul } from '../../src/engine/ops/matmul.ts';
import * as cpu from '../../src/engine/cpu/matmul.ts';
import { ShapeError } from '../../src/engine/errors.ts';
import { layerNorm, rmsNorm } from '../../src/engine/ops/norm.ts';
import { softmax } from '../../src/engine/ops/softmax.ts';
import { swiglu } from '../../src/engine/ops/activation.ts';

function stored(rows: number, cols: number, trans: boolean): number[] {
  return trans ? [cols, rows] : [rows, cols];
}

/** A GPU-vs-CPU check of op(A)·op(B) for logical sizes M×K·K×N, forward and both gradients. */
function productCheck(M: number, K: number, N: number, transA: boolean, transB: boolean, batch = 0, sharedB = false): OpCheck {
  const lead = batch ? [batch] : [];
  const d = { batch: batch || 1, M, N, K, transA, transB, batchedB: !sharedB };
  return {
    name: `${batch ? `${batch}× ` : ''}${M}×${K}${transA ? 'ᵀ' : ''} · ${K}×${N}${transB ? 'ᵀ' : ''}${sharedB ? ' (shared b)' : ''}`,
    inputs: [{ shape: [...lead, ...stored(M, K, transA)] }, { shape: [...(sharedB ? [] : lead), ...stored(K, N, transB)] }],
    gpu: ([a, b]) => matmul(a!, b!, { transA, transB }),
    cpuForward: ([a, b]) => cpu.matmul(a!, b!, d),
    cpuBackward: ([a, b], g) => cpu.matmulBackward(a!, b!, g, d),
  };
}

describe('matmul edge cases', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  const flags = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const;

  const variants = [
    { name: 'tiled', software: false, quad: false },
    { name: 'direct', software: true, quad: false },
    { name: 'direct, quad-shared', software: true, quad: true },
  ];
  for (const variant of variants) {
    describe(`${variant.name} kernel`, () => {
      let detected: { software: boolean; quad: boolean };
      let backend: WebGpuBackend;
      beforeAll(() => {
        backend = engine.backend as WebGpuBackend;
        detected = { software: backend.softwareAdapter, quad: backend.quadSubgroups };
        backend.softwareAdapter = variant.software;
        backend.quadSubgroups = variant.quad;
      });
      afterAll(() => {
        backend.softwareAdapter = detected.software;
        backend.quadSubgroups = detected.quad;
      });
      const runnable = () => !variant.quad || detected.quad;

      // Ragged on every side (65, 66 cross a tile; 5, 33 are not multiples of 4), then aligned
      // multiples of 4 that still end mid-tile (vec4 loads with bounds checks).
      for (const [M, K, N] of [
        [65, 5, 66],
        [1, 33, 3],
        [68, 20, 4],
      ] as const) {
        for (const [tA, tB] of flags) {
          it(`${M}×${K}·${K}×${N} transA=${tA} transB=${tB}: forward and gradients match the CPU`, async (ctx) => {
            if (!runnable()) return ctx.skip();
            const result = await checkOp(engine, productCheck(M, K, N, tA, tB));
            expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
          });
        }
      }

      it('batched products past a tile edge, each with its own b', async (ctx) => {
        if (!runnable()) return ctx.skip();
        const result = await checkOp(engine, productCheck(66, 17, 3, false, false, 3));
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      });

      it('batched transposed a with a shared transposed b sums the shared gradient over the batch', async (ctx) => {
        if (!runnable()) return ctx.skip();
        const result = await checkOp(engine, productCheck(5, 9, 7, true, true, 4, true));
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      });

      it('linear with a bias, aligned and ragged outputs', async (ctx) => {
        if (!runnable()) return ctx.skip();
        for (const [M, K, N] of [
          [9, 12, 8],
          [7, 6, 5],
        ] as const) {
          const x = engine.upload(Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), [M, K]);
          const w = engine.upload(Float32Array.from({ length: N * K }, (_, i) => Math.cos(i)), [N, K]);
          const bias = engine.upload(Float32Array.from({ length: N }, (_, i) => i - 2), [N]);
          const out = linear(x, w, bias);
          const y = await out.read();
          const want = cpu.matmul(Float64Array.from(await x.read()), Float64Array.from(await w.read()), { batch: 1, M, N, K, transA: false, transB: true });
          for (let i = 0; i < M * N; i++) expect(y[i]).toBeCloseTo(want[i]! + (i % N) - 2, 4);
          for (const t of [x, w, bias, out]) t.release();
        }
      });
    });
  }

  it('an empty inner dimension gives zeros', async () => {
    const out = engine.tidy(() => matmul(engine.upload(new Float32Array(0), [3, 0]), engine.upload(new Float32Array(0), [0, 2])).keep());
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(await out.read())).toEqual([0, 0, 0, 0, 0, 0]);
    out.release();
  });

  it('linear takes a 1-D input and the Hugging Face [out, in] weight', async () => {
    const x = engine.upload([1, 2, 3], [3]);
    const w = engine.upload([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], [4, 3]);
    const b = engine.upload([0.5, 0, 0, -6], [4]);
    const y = linear(x, w, b);
    expect(y.shape).toEqual([4]);
    expect(Array.from(await y.read())).toEqual([1.5, 2, 3, 0]);
    for (const t of [x, w, b, y]) t.release();
  });

  it('rejects mismatched shapes with a clear error and leaks nothing', async () => {
    const live = engine.pool.getStats().liveBuffers;
    const a = engine.upload(new Float32Array(6), [2, 3]);
    const b = engine.upload(new Float32Array(8), [4, 2]);
    const batched = engine.upload(new Float32Array(24), [2, 3, 4]);
    const otherBatch = engine.upload(new Float32Array(36), [3, 4, 3]);
    const vec = engine.upload(new Float32Array(3), [3]);
    expect(() => matmul(a, b)).toThrow(ShapeError);
    expect(() => matmul(a, b)).toThrow(/inner dimensions differ \(3 vs 4\)/);
    expect(() => matmul(batched, otherBatch)).toThrow(/batch dimensions \[2\] and \[3\] differ/);
    expect(() => matmul(vec, a)).toThrow(/at least 2 dimensions/);
    expect(() => linear(a, b)).toThrow(/last dimension of x must be 2/);
    expect(() => linear(a, a, vec)).toThrow(/bias must have 2 values/);
    // Nothing was allocated by the failed calls, and the inputs are untouched and still usable.
    expect(engine.pool.getStats().liveBuffers).toBe(live + 5);
    const ones = engine.upload(new Float32Array(12).fill(1), [3, 4]);
    const ok = matmul(a, ones);
    expect(Array.from(await ok.read())).toEqual(new Array(8).fill(0));
    for (const t of [a, b, batched, otherBatch, vec, ones, ok]) t.release();
    expect(engine.pool.getStats().liveBuffers).toBe(live);
  });

  it('records nothing under noGrad', () => {
    const a = engine.upload(new Float32Array(4), [2, 2], 'f32', { requiresGrad: true });
    const before = engine.autograd.tapeLength;
    const y = engine.autograd.noGrad(() => matmul(a, a));
    expect(engine.autograd.tapeLength).toBe(before);
    expect(y.requiresGrad).toBe(false);
    a.release();
    y.release();
  });

  it('norms, softmax and gated activations reject mismatched shapes clearly', () => {
    engine.tidy(() => {
      const x = engine.zeros([2, 4]);
      expect(() => layerNorm(x, engine.zeros([3]), engine.zeros([4]))).toThrow(/gamma \[3\] must be \[4\]/);
      expect(() => layerNorm(x, engine.zeros([4]), engine.zeros([2, 2]))).toThrow(/beta \[2, 2\] must be \[4\]/);
      expect(() => rmsNorm(x, engine.zeros([5]))).toThrow(ShapeError);
      expect(() => swiglu(x, engine.zeros([4, 2]))).toThrow(/shapes \[2, 4\] and \[4, 2\] differ/);
      expect(() => softmax(engine.zeros([2, 0]))).toThrow(/non-empty last dimension/);
    });
  });
});
