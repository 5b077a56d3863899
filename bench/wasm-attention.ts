// Benchmark of the WASM backend's fused attention kernels (src/engine/wasm/assembly/attention.ts):
// time per call and GFLOP/s of the forward, query-gradient and key-gradient kernels at typical
// training shapes and a decode step, one thread (parts = 1), beside a plain JavaScript loop
// implementation of the same three kernels measured in the same run on the same data. The JS
// loops are only a reference point (scalar, two-pass softmax per query, no blocking), not a
// competing library. FLOPs count 2 per multiply-add over the (query, key) pairs a query can see:
// forward 4·D per pair (q·k, p·v), query kernel 6·D (q·k, dO·v, ds·k), key kernel 8·D.
// Numbers only, never a threshold. Run: npx tsx bench/wasm-attention.ts
import { createMemory, instantiateKernels, kernelModule, RESERVED_BYTES } from '../src/engine/wasm/module.ts';
import { randn } from '../src/engine/random.ts';
import { medianSecondsPerCall } from './wasm-timing.ts';
import { cpus } from 'node:os';

interface Shape {
  B: number;
  T: number;
  S: number;
  nH: number;
  nKV: number;
  D: number;
  causal: boolean;
  offset: number;
}

const SHAPES: Shape[] = [];
for (const D of [16, 32, 64])
  for (const nKV of [4, 2]) for (const causal of [false, true]) SHAPES.push({ B: 8, T: 64, S: 64, nH: 4, nKV, D, causal, offset: 0 });
for (const D of [32, 64]) SHAPES.push({ B: 8, T: 1, S: 256, nH: 4, nKV: 4, D, causal: true, offset: 255 });
SHAPES.push({ B: 8, T: 4, S: 256, nH: 4, nKV: 4, D: 64, causal: true, offset: 252 });
/** Only shapes whose label contains this (npx tsx bench/wasm-attention.ts 'T1 '). */
const FILTER = process.argv[2] ?? '';

type Args = number[];

// ---- the JS reference: the kernels' semantics as plain loops over a Float32Array ----------------

function jsForward(f: Float32Array, [q, k, v, mask, out, lse, B, T, S, nH, nKV, D, causal, offset, scale]: Args): void {
  const [q4, k4, v4, m4, o4, l4] = [q / 4, k / 4, v / 4, mask / 4, out / 4, lse / 4];
  const s = new Float32Array(S);
  const group = nH / nKV;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nH; h++) {
      const kh = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const qo = q4 + ((b * T + i) * nH + h) * D;
        const oo = o4 + ((b * T + i) * nH + h) * D;
        let mx = -1e30;
        for (let j = 0; j < S; j++) {
          s[j] = -1e30;
          if ((mask && f[m4 + b * S + j] === 0) || (causal && j > offset + i)) continue;
          const ko = k4 + ((b * S + j) * nKV + kh) * D;
          let a = 0;
          for (let d = 0; d < D; d++) a += f[qo + d]! * f[ko + d]!;
          s[j] = a * scale;
          if (s[j]! > mx) mx = s[j]!;
        }
        let sum = 0;
        for (let d = 0; d < D; d++) f[oo + d] = 0;
        for (let j = 0; j < S; j++) {
          if (s[j]! <= -1e29) continue;
          const p = Math.exp(s[j]! - mx);
          sum += p;
          const vo = v4 + ((b * S + j) * nKV + kh) * D;
          for (let d = 0; d < D; d++) f[oo + d] += p * f[vo + d]!;
        }
        const inv = sum > 0 ? 1 / sum : 0;
        for (let d = 0; d < D; d++) f[oo + d] *= inv;
        f[l4 + (b * nH + h) * T + i] = sum > 0 ? mx + Math.log(sum) : 0;
      }
    }
}

function jsBackwardQuery(f: Float32Array, [q, k, v, mask, out, g, lse, delta, gq, B, T, S, nH, nKV, D, causal, offset, scale]: Args): void {
  const [q4, k4, v4, m4, o4, g4, l4, d4, gq4] = [q / 4, k / 4, v / 4, mask / 4, out / 4, g / 4, lse / 4, delta / 4, gq / 4];
  const group = nH / nKV;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nH; h++) {
      const kh = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const qo = ((b * T + i) * nH + h) * D;
        let di = 0;
        for (let d = 0; d < D; d++) di += f[g4 + qo + d]! * f[o4 + qo + d]!;
        const stat = (b * nH + h) * T + i;
        f[d4 + stat] = di;
        const li = f[l4 + stat]!;
        for (let d = 0; d < D; d++) f[gq4 + qo + d] = 0;
        for (let j = 0; j < S; j++) {
          if ((mask && f[m4 + b * S + j] === 0) || (causal && j > offset + i)) continue;
          const ko = ((b * S + j) * nKV + kh) * D;
          let sc = 0;
          let dp = 0;
          for (let d = 0; d < D; d++) {
            sc += f[q4 + qo + d]! * f[k4 + ko + d]!;
            dp += f[g4 + qo + d]! * f[v4 + ko + d]!;
          }
          const ds = Math.exp(sc * scale - li) * (dp - di) * scale;
          for (let d = 0; d < D; d++) f[gq4 + qo + d] += ds * f[k4 + ko + d]!;
        }
      }
    }
}

function jsBackwardKey(f: Float32Array, [q, k, v, mask, g, lse, delta, gk, gv, B, T, S, nH, nKV, D, causal, offset, scale]: Args): void {
  const [q4, k4, v4, m4, g4, l4, d4, gk4, gv4] = [q / 4, k / 4, v / 4, mask / 4, g / 4, lse / 4, delta / 4, gk / 4, gv / 4];
  const group = nH / nKV;
  for (let b = 0; b < B; b++)
    for (let kh = 0; kh < nKV; kh++)
      for (let j = 0; j < S; j++) {
        const ko = ((b * S + j) * nKV + kh) * D;
        for (let d = 0; d < D; d++) f[gk4 + ko + d] = f[gv4 + ko + d] = 0;
        if (mask && f[m4 + b * S + j] === 0) continue;
        for (let h = kh * group; h < (kh + 1) * group; h++)
          for (let i = causal ? Math.max(0, j - offset) : 0; i < T; i++) {
            const qo = ((b * T + i) * nH + h) * D;
            const stat = (b * nH + h) * T + i;
            let sc = 0;
            let dp = 0;
            for (let d = 0; d < D; d++) {
              sc += f[q4 + qo + d]! * f[k4 + ko + d]!;
              dp += f[g4 + qo + d]! * f[v4 + ko + d]!;
            }
            const p = Math.exp(sc * scale - f[l4 + stat]!);
            const ds = p * (dp - f[d4 + stat]!) * scale;
            for (let d = 0; d < D; d++) {
              f[gv4 + ko + d] += p * f[g4 + qo + d]!;
              f[gk4 + ko + d] += ds * f[q4 + qo + d]!;
            }
          }
      }
}

// ---- timing ------------------------------------------------------------------------------------

const time = (fn: () => void) => medianSecondsPerCall(fn, 60);

function visiblePairs(s: Shape): number {
  let n = 0;
  for (let i = 0; i < s.T; i++) n += s.causal ? Math.min(s.S, s.offset + i + 1) : s.S;
  return n * s.B * s.nH;
}

async function main(): Promise<void> {
  const memory = createMemory(256 << 20, false);
  const wasm = instantiateKernels(await kernelModule(false), memory);
  const f = new Float32Array(memory.buffer);
  console.log(`WASM attention kernels, one thread (parts = 1); node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores).`);
  console.log('Peer: plain JS loops of the same semantics, same run, same data (a reference point only).\n');
  console.log('shape                                  kernel   wasm µs  GFLOP/s |    js µs  GFLOP/s | speed-up | max |Δ|');
  for (const s of SHAPES) {
    const { B, T, S, nH, nKV, D } = s;
    let top = RESERVED_BYTES;
    const alloc = (n: number, seed?: number) => {
      const p = top;
      top += Math.ceil(n / 4) * 16;
      if (seed !== undefined) f.set(randn(n, seed), p / 4);
      else f.fill(0, p / 4, p / 4 + n);
      return p;
    };
    const nq = B * T * nH * D;
    const nk = B * S * nKV * D;
    const q = alloc(nq, 1), k = alloc(nk, 2), v = alloc(nk, 3), g = alloc(nq, 4);
    const mask = 0;
    const bufs = () => ({ out: alloc(nq), lse: alloc(B * nH * T), delta: alloc(B * nH * T), gq: alloc(nq), gk: alloc(nk), gv: alloc(nk) });
    const w = bufs();
    const j = bufs();
    const scratch = alloc((wasm.attentionScratchBytes!(T, S, D) as number) / 4);
    const dims = [B, T, S, nH, nKV, D, s.causal ? 1 : 0, s.offset, 1 / Math.sqrt(D)];
    const kernels: [string, number, () => void, () => void, (keyof typeof w)[]][] = [
      ['fwd', 4, () => wasm.attentionForward!(q, k, v, mask, w.out, w.lse, ...dims, 0, 1, scratch), () => jsForward(f, [q, k, v, mask, j.out, j.lse, ...dims]), ['out', 'lse']],
      ['bwd q', 6, () => wasm.attentionBackwardQuery!(q, k, v, mask, w.out, g, w.lse, w.delta, w.gq, ...dims, 0, 1, scratch), () => jsBackwardQuery(f, [q, k, v, mask, j.out, g, j.lse, j.delta, j.gq, ...dims]), ['delta', 'gq']],
      ['bwd k', 8, () => wasm.attentionBackwardKey!(q, k, v, mask, g, w.lse, w.delta, w.gk, w.gv, ...dims, 0, 1, scratch), () => jsBackwardKey(f, [q, k, v, mask, g, j.lse, j.delta, j.gk, j.gv, ...dims]), ['gk', 'gv']],
    ];
    const label0 = `B${B} T${T} S${S} nH${nH} nKV${nKV} D${D}${s.causal ? ` causal+${s.offset}` : ''}`;
    if (!label0.includes(FILTER)) continue;
    const label = label0.padEnd(38);
    for (const [name, per, wf, jf, outs] of kernels) {
      const flops = visiblePairs(s) * D * per;
      const tw = time(wf);
      const tj = time(jf);
      let diff = 0;
      for (const o of outs) {
        const n = o === 'lse' || o === 'delta' ? B * nH * T : o === 'gk' || o === 'gv' ? nk : nq;
        for (let x = 0; x < n; x++) diff = Math.max(diff, Math.abs(f[w[o] / 4 + x]! - f[j[o] / 4 + x]!));
      }
      console.log(
        `${label} ${name.padEnd(6)} ${(tw * 1e6).toFixed(1).padStart(9)} ${(flops / tw / 1e9).toFixed(2).padStart(8)} | ${(tj * 1e6).toFixed(1).padStart(8)} ${(flops / tj / 1e9).toFixed(2).padStart(8)} | ${(tj / tw).toFixed(1).padStart(7)}× | ${diff.toExponential(1)}`,
      );
    }
  }
}

await main();
