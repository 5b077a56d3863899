// Behaviour of the sequence ops beyond the GPU-vs-CPU checks: grouped-query heads, padding,
// the KV-cache query offset, dropout masks, embedding gradients with repeated ids, pooling.
// Attention runs on each kernel variant (tiled for GPUs, direct for software adapters), with the
// self-test's attention checks, whichever this adapter would pick.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { WebGpuBackend } from '../../src/engine/webgpu-backend.ts';
import { checkOp } from '../../src/engine/selftest/check.ts';
import { checks as attentionChecks } from '../../src/engine/selftest/checks/attention.ts';
import type { Tensor } from '../../src/engine/tensor.ts';
import { ShapeError } from '../../src/engine/errors.ts';
import { randn } from '../../src/engine/random.ts';
import { attention, type AttentionOptions } from '../../src/engine/ops/attention.ts';
import { dropout } from '../../src/engine/ops/dropout.ts';
import { embedding } from '../../src/engine/ops/embedding.ts';
import { pool } from '../../src/engine/ops/pooling.ts';
import { rope } from '../../src/engine/ops/rope.ts';
import * as cpuEmbedding from '../../src/engine/cpu/embedding.ts';
import * as cpuAttention from '../../src/engine/cpu/attention.ts';

let engine: Engine;
let params: Tensor[] = [];

beforeAll(async () => {
  engine = new Engine((await testDevice()).device);
});

afterEach(() => {
  engine.autograd.clear();
  for (const p of params) p.release();
  params = [];
});

const random = (n: number, seed: number) => Float32Array.from(randn(n, seed));

/** A leaf whose gradient accumulates in .grad (released after each test). */
function param(data: Float32Array, shape: number[]): Tensor {
  const t = engine.upload(data, shape, 'f32', { requiresGrad: true, isParam: true });
  params.push(t);
  return t;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Rows [from, to) of a row-major array whose rows hold `width` values. */
function rows(data: Float32Array, width: number, from: number, to: number): Float32Array {
  return data.slice(from * width, to * width);
}

async function run(q: Float32Array, k: Float32Array, v: Float32Array, shapes: { B: number; T: number; S: number; nH: number; nKV: number; D: number }, opts: AttentionOptions) {
  const { B, T, S, nH, nKV, D } = shapes;
  return engine.tidy(async () => {
    const out = attention(engine.upload(q, [B, T, nH, D]), engine.upload(k, [B, S, nKV, D]), engine.upload(v, [B, S, nKV, D]), opts);
    return (await out.read()) as Float32Array;
  });
}

for (const variant of [
  { name: 'tiled', software: false },
  { name: 'direct', software: true },
]) {
  describe(`attention, ${variant.name} kernels`, () => {
    let detected: boolean;
    beforeAll(() => {
      const backend = engine.backend as WebGpuBackend;
      detected = backend.softwareAdapter;
      backend.softwareAdapter = variant.software;
    });
    afterAll(() => {
      (engine.backend as WebGpuBackend).softwareAdapter = detected;
    });

    for (const check of attentionChecks) {
      it(`${check.name}: forward and gradients match the CPU`, async () => {
        const result = await checkOp(engine, check);
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      });
    }

    it('grouped-query heads equal full attention with each kv head repeated; kv gradients sum over the heads sharing it', async () => {
      const [B, T, S, nH, nKV, D] = [2, 4, 5, 4, 2, 8];
      const group = nH / nKV;
      const q = random(B * T * nH * D, 1);
      const k = random(B * S * nKV * D, 2);
      const v = random(B * S * nKV * D, 3);
      // Repeat each kv head for the query heads that share it.
      const repeat = (x: Float32Array) => {
        const out = new Float32Array(B * S * nH * D);
        for (let bs = 0; bs < B * S; bs++) for (let h = 0; h < nH; h++) out.set(x.subarray((bs * nKV + Math.floor(h / group)) * D, (bs * nKV + Math.floor(h / group) + 1) * D), (bs * nH + h) * D);
        return out;
      };
      const gOut = random(B * T * nH * D, 4);
      const grads = async (kvHeads: number, kData: Float32Array, vData: Float32Array) =>
        engine.tidy(async () => {
          const [qt, kt, vt] = [param(q, [B, T, nH, D]), param(kData, [B, S, kvHeads, D]), param(vData, [B, S, kvHeads, D])];
          const out = attention(qt, kt, vt, { causal: true });
          engine.autograd.backward(out, engine.upload(gOut, out.shape));
          return { out: await out.read(), gq: await qt.grad!.read(), gk: (await kt.grad!.read()) as Float32Array, gv: (await vt.grad!.read()) as Float32Array };
        });
      const gqa = await grads(nKV, k, v);
      const full = await grads(nH, repeat(k), repeat(v));
      expect(maxAbsDiff(gqa.out, full.out)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gqa.gq, full.gq)).toBeLessThan(1e-5);
      // The shared kv head's gradient is the sum of its repeated copies' gradients.
      const sumGroups = (g: Float32Array) => {
        const out = new Float32Array(B * S * nKV * D);
        for (let bs = 0; bs < B * S; bs++) for (let h = 0; h < nH; h++) for (let d = 0; d < D; d++) out[(bs * nKV + Math.floor(h / group)) * D + d]! += g[(bs * nH + h) * D + d]!;
        return out;
      };
      expect(maxAbsDiff(gqa.gk, sumGroups(full.gk))).toBeLessThan(1e-5);
      expect(maxAbsDiff(gqa.gv, sumGroups(full.gv))).toBeLessThan(1e-5);
    });

    it('a fully padded row gives zeros, not NaN, and sends no gradient', async () => {
      const [B, T, S, nH, D] = [2, 3, 3, 2, 4];
      const mask = Float32Array.from([1, 1, 0, 0, 0, 0]);
      const result = await engine.tidy(async () => {
        const [q, k, v] = [param(random(B * T * nH * D, 5), [B, T, nH, D]), param(random(B * S * nH * D, 6), [B, S, nH, D]), param(random(B * S * nH * D, 7), [B, S, nH, D])];
        for (const causal of [false, true]) {
          const out = attention(q, k, v, { causal, keyMask: engine.upload(mask, [B, S]) });
          engine.autograd.backward(out, engine.full(out.shape, 1));
        }
        return { out: await attention(q, k, v, { causal: false, keyMask: engine.upload(mask, [B, S]) }).read(), gq: await q.grad!.read(), gk: await k.grad!.read(), gv: await v.grad!.read() };
      });
      const half = T * nH * D;
      for (const values of [result.out, result.gq, result.gk, result.gv]) expect(Array.from(values).every(Number.isFinite)).toBe(true);
      expect(Array.from(result.out.subarray(half)).every((x) => x === 0)).toBe(true);
      expect(Array.from(result.out.subarray(0, half)).some((x) => x !== 0)).toBe(true);
      expect(Array.from(result.gq.subarray(half)).every((x) => x === 0)).toBe(true);
      // Padded keys (row 0's third key and all of row 1) get no gradient.
      const keyRow = nH * D;
      for (const g of [result.gk, result.gv]) {
        expect(Array.from(g.subarray(2 * keyRow)).every((x) => x === 0)).toBe(true);
        expect(Array.from(g.subarray(0, 2 * keyRow)).some((x) => x !== 0)).toBe(true);
      }
    });

    it('ignores whatever sits under padded keys, even NaN', async () => {
      const q = random(36, 8);
      const k = random(30, 9);
      const v = random(30, 10);
      const mask = Float32Array.from([1, 0, 1, 1, 0]);
      const gOut = random(36, 17);
      const pass = (kData: Float32Array, vData: Float32Array) =>
        engine.tidy(async () => {
          const [qt, kt, vt] = [param(q, [1, 3, 2, 6]), param(kData, [1, 5, 1, 6]), param(vData, [1, 5, 1, 6])];
          const out = attention(qt, kt, vt, { causal: false, keyMask: engine.upload(mask, [1, 5]) });
          engine.autograd.backward(out, engine.upload(gOut, out.shape));
          return [await out.read(), await qt.grad!.read(), await kt.grad!.read(), await vt.grad!.read()];
        });
      const clean = await pass(k, v);
      // Garbage at padded positions 1 and 4 (an unwritten buffer may hold anything).
      const k2 = k.slice();
      const v2 = v.slice();
      for (const j of [1, 4]) for (let d = 0; d < 6; d++) {
        k2[j * 6 + d] = d % 2 ? NaN : 1e30;
        v2[j * 6 + d] = NaN;
      }
      const dirty = await pass(k2, v2);
      for (let n = 0; n < 4; n++) expect(Array.from(dirty[n]!)).toEqual(Array.from(clean[n]!));
    });

    it('causal attention with queryOffset reproduces a full causal pass row by row (chunked prefill and one-token decode)', async () => {
      const [S, nH, nKV, D] = [7, 4, 2, 8];
      const qw = nH * D;
      const kw = nKV * D;
      const q = random(S * qw, 11);
      const k = random(S * kw, 12);
      const v = random(S * kw, 13);
      const full = await run(q, k, v, { B: 1, T: S, S, nH, nKV, D }, { causal: true });
      // Chunks of 3 queries after `offset` cached keys.
      for (const offset of [0, 3, 4]) {
        const T = Math.min(3, S - offset);
        const part = await run(rows(q, qw, offset, offset + T), rows(k, kw, 0, offset + T), rows(v, kw, 0, offset + T), { B: 1, T, S: offset + T, nH, nKV, D }, { causal: true, queryOffset: offset });
        expect(maxAbsDiff(part, rows(full, qw, offset, offset + T))).toBeLessThan(1e-5);
      }
      // One token at a time over the whole cache: the last query sees every key, so causal does not cut.
      for (let t = 0; t < S; t++) {
        const step = await run(rows(q, qw, t, t + 1), rows(k, kw, 0, t + 1), rows(v, kw, 0, t + 1), { B: 1, T: 1, S: t + 1, nH, nKV, D }, { causal: true, queryOffset: t });
        expect(maxAbsDiff(step, rows(full, qw, t, t + 1))).toBeLessThan(1e-5);
      }
    });

    it('bidirectional attention sees later keys and does not depend on key order', async () => {
      const shapes = { B: 1, T: 5, S: 5, nH: 2, nKV: 2, D: 4 };
      const w = 8;
      const q = random(40, 14);
      const k = random(40, 15);
      const v = random(40, 16);
      const both = await run(q, k, v, shapes, { causal: false });
      const causal = await run(q, k, v, shapes, { causal: true });
      // The first query differs (it sees later keys only without causal); the last sees all keys either way.
      expect(maxAbsDiff(rows(both, w, 0, 1), rows(causal, w, 0, 1))).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(rows(both, w, 4, 5), rows(causal, w, 4, 5))).toBeLessThan(1e-5);
      const perm = [3, 0, 4, 1, 2];
      const permute = (x: Float32Array) => Float32Array.from(perm.flatMap((j) => Array.from(rows(x, w, j, j + 1))));
      const shuffled = await run(q, permute(k), permute(v), shapes, { causal: false });
      expect(maxAbsDiff(shuffled, both)).toBeLessThan(1e-5);
    });

    it('matches the reference over several query and key workgroups with a query offset, padding and grouped heads', async () => {
      const dims = { B: 2, T: 70, S: 75, nH: 4, nKV: 2, D: 8 };
      const { B, T, S, nH, nKV, D } = dims;
      const [q, k, v, gOut] = [random(B * T * nH * D, 50), random(B * S * nKV * D, 51), random(B * S * nKV * D, 52), random(B * T * nH * D, 53)];
      // Row 0 has padding inside the window, row 1 at its start.
      const mask = Float32Array.from({ length: B * S }, (_, n) => (n < S ? (n % 11 === 3 ? 0 : 1) : n - S < 4 ? 0 : 1));
      const opts = { causal: true, queryOffset: 5 };
      const got = await engine.tidy(async () => {
        const [qt, kt, vt] = [param(q, [B, T, nH, D]), param(k, [B, S, nKV, D]), param(v, [B, S, nKV, D])];
        const out = attention(qt, kt, vt, { ...opts, keyMask: engine.upload(mask, [B, S]) });
        engine.autograd.backward(out, engine.upload(gOut, out.shape));
        return [await out.read(), await qt.grad!.read(), await kt.grad!.read(), await vt.grad!.read()];
      });
      const f64 = (x: Float32Array) => Float64Array.from(x);
      const ref = { ...opts, keyMask: mask };
      const want = [cpuAttention.attention(f64(q), f64(k), f64(v), dims, ref), ...cpuAttention.attentionBackward(f64(q), f64(k), f64(v), f64(gOut), dims, ref)];
      for (let n = 0; n < 4; n++) expect(maxAbsDiff(got[n]!, want[n]!)).toBeLessThan(1e-4);
    });

    it('holds no buffer after a training step beyond what it returns', async () => {
      const before = engine.pool.getStats().liveBuffers;
      for (let step = 0; step < 3; step++) {
        await engine.tidy(async () => {
          const [q, k, v] = [param(random(2 * 4 * 2 * 8, 40), [2, 4, 2, 8]), param(random(2 * 4 * 8, 41), [2, 4, 1, 8]), param(random(2 * 4 * 8, 42), [2, 4, 1, 8])];
          const mask = engine.upload(Float32Array.from([1, 1, 1, 0, 1, 1, 1, 1]), [2, 4]);
          const out = attention(q, k, v, { causal: true, keyMask: mask });
          engine.autograd.backward(out, engine.full(out.shape, 1));
          await engine.sync();
        });
        for (const p of params) p.release();
        params = [];
      }
      expect(engine.pool.getStats().liveBuffers).toBe(before);
    });

    it('rejects heads that do not group, and masks of the wrong shape', () => {
      engine.tidy(() => {
        const q = engine.zeros([1, 2, 3, 4]);
        const kv = engine.zeros([1, 2, 2, 4]);
        expect(() => attention(q, kv, kv, { causal: false })).toThrow(ShapeError);
        const kv1 = engine.zeros([1, 2, 1, 4]);
        expect(() => attention(q, kv1, kv1, { causal: false, keyMask: engine.zeros([1, 3]) })).toThrow(/keyMask/);
        expect(() => attention(q, kv1, kv1, { causal: true, queryOffset: -1 })).toThrow(/queryOffset/);
      });
    });
  });
}

describe('dropout', () => {
  const n = 20000;
  const x = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7));

  it('drops about p of the elements, scales the rest by 1/(1 − p), and repeats for the same seed', async () => {
    const p = 0.25;
    const [a, b, c] = await engine.tidy(async () => {
      const t = engine.upload(x, [n]);
      return [await dropout(t, p, 7).read(), await dropout(t, p, 7).read(), await dropout(t, p, 8).read()];
    });
    const dropped = Array.from(a).filter((v) => v === 0).length / n;
    expect(dropped).toBeGreaterThan(p - 0.02);
    expect(dropped).toBeLessThan(p + 0.02);
    for (let i = 0; i < n; i++) if (a[i] !== 0) expect(Math.abs(a[i]! - x[i]! / (1 - p))).toBeLessThan(1e-5);
    expect(Array.from(b)).toEqual(Array.from(a));
    const differ = Array.from(a).filter((v, i) => (v === 0) !== (c[i] === 0)).length / n;
    expect(differ).toBeGreaterThan(0.2); // 2p(1 − p) ≈ 0.375 for independent masks
  });

  it('backward applies the same mask', async () => {
    const p = 0.4;
    const [out, grad] = await engine.tidy(async () => {
      const t = param(x, [n]);
      const y = dropout(t, p, 99);
      engine.autograd.backward(y, engine.full([n], 1));
      return [await y.read(), await t.grad!.read()];
    });
    for (let i = 0; i < n; i++) expect(grad[i]).toBeCloseTo(out[i] === 0 ? 0 : 1 / (1 - p), 5);
  });

  it('is the identity at p = 0 (gradient included) and zero at p = 1; rejects p outside [0, 1]', async () => {
    const gOut = random(n, 3);
    const [same, grad, none] = await engine.tidy(async () => {
      const t = param(x, [n]);
      const y = dropout(t, 0, 5);
      engine.autograd.backward(y, engine.upload(gOut, [n]));
      return [await y.read(), await t.grad!.read(), await dropout(t, 1, 5).read()];
    });
    expect(Array.from(same)).toEqual(Array.from(x));
    expect(Array.from(grad)).toEqual(Array.from(gOut));
    expect(Array.from(none).every((v) => v === 0)).toBe(true);
    engine.tidy(() => {
      const t = engine.zeros([4]);
      expect(() => dropout(t, 1.5, 1)).toThrow(/p must be/);
      expect(() => dropout(t, -0.1, 1)).toThrow(/p must be/);
    });
  });
});

describe('embedding', () => {
  it('adds the gradients of repeated ids into one row, the same bits on every run', async () => {
    const [V, H] = [6, 5];
    const ids = Int32Array.from([2, 2, 0, 2, 4]);
    const table = random(V * H, 20);
    const gOut = random(ids.length * H, 21);
    const once = () =>
      engine.tidy(async () => {
        const t = param(table, [V, H]);
        const out = embedding(engine.upload(ids, [5]), t);
        engine.autograd.backward(out, engine.upload(gOut, out.shape));
        return [await out.read(), await t.grad!.read()] as const;
      });
    const [out, grad] = await once();
    const [, again] = await once();
    expect(maxAbsDiff(out, cpuEmbedding.embedding(ids, Float64Array.from(table), H))).toBe(0);
    // Row 2 collects three positions; rows never used stay zero.
    for (let h = 0; h < H; h++) expect(grad[2 * H + h]).toBeCloseTo(gOut[h]! + gOut[H + h]! + gOut[3 * H + h]!, 5);
    for (const unused of [1, 3, 5]) expect(Array.from(grad.subarray(unused * H, (unused + 1) * H))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(again)).toEqual(Array.from(grad));
  });

  it('matches the reference over many positions with heavy repetition', async () => {
    const [V, H, N] = [9, 3, 700];
    const ids = Int32Array.from({ length: N }, (_, i) => (i * 7 + (i >> 3)) % V);
    const table = random(V * H, 22);
    const gOut = random(N * H, 23);
    const grad = await engine.tidy(async () => {
      const t = param(table, [V, H]);
      const out = embedding(engine.upload(ids, [N]), t);
      engine.autograd.backward(out, engine.upload(gOut, out.shape));
      return t.grad!.read();
    });
    const want = cpuEmbedding.embeddingBackward(ids, Float64Array.from(gOut), V, H);
    expect(maxAbsDiff(grad, want)).toBeLessThan(1e-4);
  });

  it('gives a zero vector and no gradient for an id outside the vocabulary, and rejects float ids', async () => {
    const [out, grad] = await engine.tidy(async () => {
      const t = param(random(8, 24), [4, 2]);
      const y = embedding(engine.upload(Int32Array.from([1, 9, -1]), [3]), t);
      engine.autograd.backward(y, engine.full(y.shape, 1));
      return [await y.read(), await t.grad!.read()];
    });
    expect(Array.from(out.subarray(2))).toEqual([0, 0, 0, 0]);
    expect(Array.from(grad)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    engine.tidy(() => expect(() => embedding(engine.zeros([3]), engine.zeros([4, 2]))).toThrow(/i32/));
  });
});

describe('pooling', () => {
  // x[b, t, h] = 10·b + t + h/10; rows: right padded, left padded, empty.
  const [B, T, H] = [3, 4, 2];
  const x = Float32Array.from({ length: B * T * H }, (_, i) => 10 * Math.floor(i / (T * H)) + (Math.floor(i / H) % T) + (i % H) / 10);
  const mask = Float32Array.from([1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
  const pooled = (kind: 'cls' | 'mean' | 'last') =>
    engine.tidy(async () => {
      const t = param(x, [B, T, H]);
      const out = pool(t, engine.upload(mask, [B, T]), kind);
      engine.autograd.backward(out, engine.full(out.shape, 1));
      return [Array.from(await out.read()), Array.from(await t.grad!.read())];
    });
  const close = (got: number[], want: number[]) => expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);

  it('cls takes the first position', async () => {
    const [out, grad] = await pooled('cls');
    close(out, [0, 0.1, 10, 10.1, 20, 20.1]);
    close(grad, [1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('mean averages the unmasked tokens; an empty row gives zeros', async () => {
    const [out, grad] = await pooled('mean');
    close(out, [0.5, 0.6, 12, 12.1, 0, 0]);
    const third = 1 / 3;
    close(grad, [0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, third, third, third, third, third, third, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('last takes the last unmasked token of each row', async () => {
    const [out, grad] = await pooled('last');
    close(out, [1, 1.1, 13, 13.1, 0, 0]);
    close(grad, [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('rope', () => {
  it('makes query·key depend only on the distance between positions', async () => {
    const D = 16;
    const qk = random(2 * D, 30);
    const score = (p: number, distance: number) =>
      engine.tidy(async () => {
        const out = (await rope(engine.upload(qk, [1, 2, 1, D]), { theta: 10000, positions: engine.upload(Int32Array.from([p + distance, p]), [1, 2]) }).read()) as Float32Array;
        let s = 0;
        for (let d = 0; d < D; d++) s += out[d]! * out[D + d]!;
        return s;
      });
    const near = await score(0, 3);
    expect(await score(10, 3)).toBeCloseTo(near, 4);
    expect(await score(57, 3)).toBeCloseTo(near, 4);
    expect(Math.abs((await score(0, 9)) - near)).toBeGreaterThan(1e-3);
  });

  it('explicit positions equal a position offset, and position 0 is the identity', async () => {
    const x = random(2 * 3 * 2 * 8, 31);
    const [byOffset, byPositions, atZero] = await engine.tidy(async () => {
      const t = engine.upload(x, [2, 3, 2, 8]);
      return [
        await rope(t, { theta: 1000, positionOffset: 4 }).read(),
        await rope(t, { theta: 1000, positions: engine.upload(Int32Array.from([4, 5, 6, 4, 5, 6]), [2, 3]) }).read(),
        await rope(t, { theta: 1000, positions: engine.upload(new Int32Array(6), [2, 3]) }).read(),
      ];
    });
    expect(maxAbsDiff(byOffset, byPositions)).toBe(0);
    expect(maxAbsDiff(atZero, x)).toBe(0);
  });
});
