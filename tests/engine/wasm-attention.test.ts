// The WASM backend's fused attention kernels (src/engine/wasm/assembly/attention.ts) against the
// float64 CPU twin (src/engine/cpu/attention.ts): forward (output and log-sum-exp), the query
// kernel (δ = Σ dO·O and gq) and the key kernel (gk, gv), on odd shapes and every variant
// (grouped-query heads, causal with an offset, a key mask with fully masked rows, T = 1), and
// bit-identical whether the work runs as one part or as two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/runtime.ts';
import { WasmBackend } from '../../src/engine/wasm/backend.ts';
import { attention } from '../../src/engine/ops/attention.ts';
import { rawKernels, type RawKernels } from '../helpers/wasm-kernels.ts';
import type { WasmKernels } from '../../src/engine/wasm/module.ts';
import * as cpu from '../../src/engine/cpu/attention.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { randn } from '../../src/engine/random.ts';

let wasm: WasmKernels;
let kernels: RawKernels;

beforeAll(async () => {
  kernels = await rawKernels(64 << 20);
  wasm = kernels.wasm;
});

interface Case extends cpu.AttentionDims {
  causal: boolean;
  offset?: number;
  /** 'none', 'padded' (trailing padding per row, row 1 fully masked when B > 1), 'holes'. */
  mask?: 'none' | 'padded' | 'holes';
  scale?: number;
}

function maskFor(c: Case): Float32Array | undefined {
  if (!c.mask || c.mask === 'none') return undefined;
  const m = new Float32Array(c.B * c.S);
  for (let b = 0; b < c.B; b++)
    for (let j = 0; j < c.S; j++) {
      if (c.mask === 'padded') m[b * c.S + j] = b === 1 ? 0 : j < c.S - b - 1 ? 1 : 0;
      else m[b * c.S + j] = (j * 7 + b * 3) % 5 === 0 ? 0 : 1;
    }
  return m;
}

/** Everything the three kernels produce for one case, run as `parts` parts in sequence. */
function runWasm(c: Case, data: { q: Float32Array; k: Float32Array; v: Float32Array; g: Float32Array; mask?: Float32Array }, parts: number) {
  const { B, T, S, nH, nKV, D } = c;
  const h = kernels.heap();
  const f32 = h.f32;
  const alloc = (n: number, init?: Float32Array) => h.put(init ?? n);
  const q = alloc(data.q.length, data.q);
  const k = alloc(data.k.length, data.k);
  const v = alloc(data.v.length, data.v);
  const g = alloc(data.g.length, data.g);
  const mask = data.mask ? alloc(data.mask.length, data.mask) : 0;
  const out = alloc(B * T * nH * D);
  const lse = alloc(B * nH * T);
  const delta = alloc(B * nH * T);
  const gq = alloc(B * T * nH * D);
  const gk = alloc(B * S * nKV * D);
  const gv = alloc(B * S * nKV * D);
  const scratchBytes = wasm.attentionScratchBytes!(T, S, D) as number;
  const scratch = alloc(scratchBytes / 4);
  expect(scratch + scratchBytes).toBeLessThan(kernels.memory.buffer.byteLength);
  const scale = c.scale ?? 1 / Math.sqrt(D);
  const dims = [B, T, S, nH, nKV, D, c.causal ? 1 : 0, c.offset ?? 0, scale];
  for (let p = 0; p < parts; p++) wasm.attentionForward!(q, k, v, mask, out, lse, ...dims, p, parts, scratch);
  for (let p = 0; p < parts; p++) wasm.attentionBackwardQuery!(q, k, v, mask, out, g, lse, delta, gq, ...dims, p, parts, scratch);
  for (let p = 0; p < parts; p++) wasm.attentionBackwardKey!(q, k, v, mask, g, lse, delta, gk, gv, ...dims, p, parts, scratch);
  const read = (p: number, n: number) => f32.slice(p / 4, p / 4 + n);
  return {
    out: read(out, B * T * nH * D),
    lse: read(lse, B * nH * T),
    delta: read(delta, B * nH * T),
    gq: read(gq, B * T * nH * D),
    gk: read(gk, B * S * nKV * D),
    gv: read(gv, B * S * nKV * D),
  };
}

/** Reference log-sum-exp of each (b, h, i) over its visible scaled scores; 0 when none. */
function lseRef(c: Case, q: Float32Array, k: Float32Array, mask?: Float32Array): Float64Array {
  const { B, T, S, nH, nKV, D } = c;
  const scale = c.scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(B * nH * T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nH; h++) {
      const kh = Math.floor(h / (nH / nKV));
      for (let i = 0; i < T; i++) {
        const s: number[] = [];
        for (let j = 0; j < S; j++) {
          if (mask && mask[b * S + j] === 0) continue;
          if (c.causal && j > (c.offset ?? 0) + i) continue;
          let d0 = 0;
          for (let d = 0; d < D; d++) d0 += q[((b * T + i) * nH + h) * D + d]! * k[((b * S + j) * nKV + kh) * D + d]!;
          s.push(d0 * scale);
        }
        if (s.length === 0) continue;
        const m = Math.max(...s);
        out[(b * nH + h) * T + i] = m + Math.log(s.reduce((a, x) => a + Math.exp(x - m), 0));
      }
    }
  return out;
}

const CASES: Case[] = [
  { B: 2, T: 5, S: 7, nH: 4, nKV: 2, D: 3, causal: false },
  { B: 2, T: 5, S: 7, nH: 4, nKV: 2, D: 3, causal: false, mask: 'padded' },
  { B: 1, T: 9, S: 9, nH: 2, nKV: 2, D: 1, causal: true },
  { B: 2, T: 6, S: 11, nH: 4, nKV: 1, D: 17, causal: true, offset: 5, mask: 'holes' },
  { B: 3, T: 13, S: 13, nH: 4, nKV: 2, D: 16, causal: true, mask: 'padded' },
  { B: 2, T: 3, S: 17, nH: 4, nKV: 4, D: 16, causal: true, offset: 2 }, // keys past offset + T never seen
  { B: 2, T: 1, S: 33, nH: 4, nKV: 1, D: 17, causal: true, offset: 32 }, // decode step
  { B: 2, T: 1, S: 19, nH: 3, nKV: 3, D: 5, causal: false, mask: 'padded' },
  { B: 1, T: 17, S: 5, nH: 2, nKV: 1, D: 16, causal: false, mask: 'holes', scale: 0.7 },
  { B: 2, T: 21, S: 21, nH: 4, nKV: 2, D: 64, causal: true, mask: 'holes' },
  { B: 1, T: 4, S: 6, nH: 1, nKV: 1, D: 256, causal: false },
];

const name = (c: Case) =>
  `B${c.B} T${c.T} S${c.S} nH${c.nH} nKV${c.nKV} D${c.D}${c.causal ? ` causal+${c.offset ?? 0}` : ''}${c.mask && c.mask !== 'none' ? ` mask:${c.mask}` : ''}`;

const TOL = { rtol: 1e-4, atol: 1e-5 };

describe('WASM attention kernels', () => {
  for (const [n, c] of CASES.entries()) {
    it(`match the CPU twin and are bit-identical on 1 and 2 parts: ${name(c)}`, () => {
      const { B, T, S, nH, nKV, D } = c;
      const q = Float32Array.from(randn(B * T * nH * D, 11 + n));
      const k = Float32Array.from(randn(B * S * nKV * D, 23 + n));
      const v = Float32Array.from(randn(B * S * nKV * D, 37 + n));
      const g = Float32Array.from(randn(B * T * nH * D, 41 + n));
      const mask = maskFor(c);
      const data = { q, k, v, g, ...(mask ? { mask } : {}) };
      const one = runWasm(c, data, 1);
      const opts = { causal: c.causal, ...(mask ? { keyMask: mask } : {}), ...(c.scale !== undefined ? { scale: c.scale } : {}), queryOffset: c.offset ?? 0 };
      const d64 = (a: Float32Array) => Float64Array.from(a);
      const dims = { B, T, S, nH, nKV, D };
      const out = cpu.attention(d64(q), d64(k), d64(v), dims, opts);
      const [gq, gk, gv] = cpu.attentionBackward(d64(q), d64(k), d64(v), d64(g), dims, opts);
      const delta = new Float64Array(B * nH * T);
      for (let b = 0; b < B; b++)
        for (let h = 0; h < nH; h++)
          for (let i = 0; i < T; i++) {
            let s = 0;
            for (let d = 0; d < D; d++) s += g[((b * T + i) * nH + h) * D + d]! * one.out[((b * T + i) * nH + h) * D + d]!;
            delta[(b * nH + h) * T + i] = s;
          }
      for (const r of [
        compare('out', one.out, out, TOL),
        compare('lse', one.lse, lseRef(c, q, k, mask), TOL),
        compare('delta', one.delta, delta, TOL),
        compare('gq', one.gq, gq, TOL),
        compare('gk', one.gk, gk, TOL),
        compare('gv', one.gv, gv, TOL),
      ]) {
        expect(r.ok, `${r.name}: ${r.detail ?? ''} (max rel ${r.maxRelErr.toExponential(2)})`).toBe(true);
      }
      const two = runWasm(c, data, 2);
      for (const key of ['out', 'lse', 'delta', 'gq', 'gk', 'gv'] as const) {
        expect(new Uint32Array(two[key].buffer), key).toEqual(new Uint32Array(one[key].buffer));
      }
    });
  }

  it('a fully masked row outputs zeros and lse 0, its gradients zeros', () => {
    const c: Case = { B: 2, T: 3, S: 5, nH: 2, nKV: 1, D: 4, causal: false, mask: 'padded' };
    const { B, T, S, nH, nKV, D } = c;
    const data = {
      q: Float32Array.from(randn(B * T * nH * D, 1)),
      k: Float32Array.from(randn(B * S * nKV * D, 2)),
      v: Float32Array.from(randn(B * S * nKV * D, 3)),
      g: Float32Array.from(randn(B * T * nH * D, 4)),
      mask: maskFor(c)!,
    };
    // Garbage (NaN) in masked key slots must not leak.
    for (let j = 0; j < S; j++) for (let d = 0; d < D; d++) data.k[((1 * S + j) * nKV) * D + d] = data.v[((1 * S + j) * nKV) * D + d] = Number.NaN;
    const r = runWasm(c, data, 1);
    const row = T * nH * D;
    expect(Array.from(r.out.slice(row)).every((x) => x === 0)).toBe(true);
    expect(Array.from(r.lse.slice(nH * T)).every((x) => x === 0)).toBe(true);
    expect(Array.from(r.gq.slice(row)).every((x) => x === 0)).toBe(true);
    expect(Array.from(r.gk.slice(S * nKV * D)).every((x) => x === 0)).toBe(true);
    expect(Array.from(r.gv.slice(S * nKV * D)).every((x) => x === 0)).toBe(true);
    expect(r.out.slice(0, row).every((x) => Number.isFinite(x))).toBe(true);
  });
});

describe('WASM attention: cache slots past the causal end', () => {
  for (const T of [2, 9]) {
    it(`never reads NaN from unwritten key/value slots j ≥ offset + T (T = ${T})`, () => {
      const c: Case = { B: 2, T, S: T + 9, nH: 2, nKV: 1, D: 5, causal: true, offset: 3 };
      const { B, S, nH, nKV, D } = c;
      const data = {
        q: Float32Array.from(randn(B * T * nH * D, 1)),
        k: Float32Array.from(randn(B * S * nKV * D, 2)),
        v: Float32Array.from(randn(B * S * nKV * D, 3)),
        g: Float32Array.from(randn(B * T * nH * D, 4)),
      };
      for (let b = 0; b < B; b++)
        for (let j = 3 + T; j < S; j++)
          for (let d = 0; d < D; d++) data.k[((b * S + j) * nKV) * D + d] = data.v[((b * S + j) * nKV) * D + d] = Number.NaN;
      const r = runWasm(c, data, 1);
      const d64 = (a: Float32Array) => Float64Array.from(a);
      const dims = { B, T, S, nH, nKV, D };
      const opts = { causal: true, queryOffset: 3 };
      const [gq, gk, gv] = cpu.attentionBackward(d64(data.q), d64(data.k), d64(data.v), d64(data.g), dims, opts);
      for (const x of [compare('out', r.out, cpu.attention(d64(data.q), d64(data.k), d64(data.v), dims, opts), TOL), compare('gq', r.gq, gq, TOL), compare('gk', r.gk, gk, TOL), compare('gv', r.gv, gv, TOL)]) {
        expect(x.ok, `${x.name}: ${x.detail ?? ''}`).toBe(true);
      }
    });
  }
});

describe('ops/attention on the WASM backend', () => {
  const engines: Engine[] = [];
  beforeAll(async () => {
    engines.push(new Engine(await WasmBackend.create({ threads: 1 })), new Engine(await WasmBackend.create({ threads: 2 })));
  });
  afterAll(() => {
    for (const e of engines) e.destroy();
  });

  /** Output and the three gradients (gOut given) through the engine, as float arrays. */
  async function through(engine: Engine, c: Case, data: { q: Float32Array; k: Float32Array; v: Float32Array; g: Float32Array; mask?: Float32Array }) {
    const { B, T, S, nH, nKV, D } = c;
    const q = engine.upload(data.q, [B, T, nH, D], 'f32', { requiresGrad: true, isParam: true });
    const k = engine.upload(data.k, [B, S, nKV, D], 'f32', { requiresGrad: true, isParam: true });
    const v = engine.upload(data.v, [B, S, nKV, D], 'f32', { requiresGrad: true, isParam: true });
    const mask = data.mask ? engine.upload(data.mask, [B, S]) : undefined;
    const g = engine.upload(data.g, [B, T, nH, D]);
    const out = attention(q, k, v, { causal: c.causal, queryOffset: c.offset ?? 0, ...(mask ? { keyMask: mask } : {}) });
    engine.autograd.backward(out, g);
    const result = {
      out: (await out.read()) as Float32Array,
      gq: (await q.grad!.read()) as Float32Array,
      gk: (await k.grad!.read()) as Float32Array,
      gv: (await v.grad!.read()) as Float32Array,
    };
    engine.autograd.clear();
    for (const t of [q, k, v, g, out, ...(mask ? [mask] : [])]) t.release();
    return result;
  }

  for (const c of [CASES[3]!, CASES[4]!, CASES[6]!]) {
    it(`matches the CPU twin, bit-identical on 1 and 2 threads: ${name(c)}`, async () => {
      const { B, T, S, nH, nKV, D } = c;
      const data = {
        q: Float32Array.from(randn(B * T * nH * D, 5)),
        k: Float32Array.from(randn(B * S * nKV * D, 6)),
        v: Float32Array.from(randn(B * S * nKV * D, 7)),
        g: Float32Array.from(randn(B * T * nH * D, 8)),
        ...(maskFor(c) ? { mask: maskFor(c)! } : {}),
      };
      expect((engines[1]!.backend as WasmBackend).threadCount).toBe(2);
      const [one, two] = [await through(engines[0]!, c, data), await through(engines[1]!, c, data)];
      const d64 = (a: Float32Array) => Float64Array.from(a);
      const dims = { B, T, S, nH, nKV, D };
      const opts = { causal: c.causal, queryOffset: c.offset ?? 0, ...(data.mask ? { keyMask: data.mask } : {}) };
      const out = cpu.attention(d64(data.q), d64(data.k), d64(data.v), dims, opts);
      const [gq, gk, gv] = cpu.attentionBackward(d64(data.q), d64(data.k), d64(data.v), d64(data.g), dims, opts);
      for (const r of [compare('out', one.out, out, TOL), compare('gq', one.gq, gq, TOL), compare('gk', one.gk, gk, TOL), compare('gv', one.gv, gv, TOL)]) {
        expect(r.ok, `${r.name}: ${r.detail ?? ''}`).toBe(true);
      }
      for (const key of ['out', 'gq', 'gk', 'gv'] as const) expect(new Uint32Array(two[key].buffer), key).toEqual(new Uint32Array(one[key].buffer));
    });
  }
});
