// Benchmark of the WebGPU attention kernel variants (src/engine/ops/attention.ts) on one adapter, in
// one run, interleaved: tiled (K/V or Q/dO tiles through workgroup memory; what real GPUs get) and
// direct (rows straight from storage, no workgroup memory or barrier; software adapters), at the
// `small` preset's shapes: batch 8, 64 tokens, 4 heads of 32, the encoder's bidirectional
// attention with a padding mask and the decoder's causal attention with 2 kv heads. Forward alone
// and forward + backward (both gradient kernels). Answers (output and the three gradients) are
// checked against the tiled kernels. The numbers say why an adapter gets its kernels.
// Run: npx tsx bench/webgpu-attention.ts [--rounds N]
import { acquireNodeDevice } from '../src/engine/node-gpu.ts';
import { Engine } from '../src/engine/runtime.ts';
import type { Tensor } from '../src/engine/tensor.ts';
import { WebGpuBackend } from '../src/engine/webgpu-backend.ts';
import { attention } from '../src/engine/ops/attention.ts';
import { randn } from '../src/engine/random.ts';

interface Shape {
  name: string;
  B: number;
  T: number;
  nH: number;
  nKV: number;
  D: number;
  causal: boolean;
  /** Padding: the last `pad` keys of every other row are masked. */
  pad: number;
}

const SHAPES: Shape[] = [
  { name: 'bidirectional, 4 kv heads', B: 8, T: 64, nH: 4, nKV: 4, D: 32, causal: false, pad: 0 },
  { name: 'bidirectional, 4 kv heads, padded', B: 8, T: 64, nH: 4, nKV: 4, D: 32, causal: false, pad: 16 },
  { name: 'causal, 4 kv heads', B: 8, T: 64, nH: 4, nKV: 4, D: 32, causal: true, pad: 0 },
  { name: 'causal, 2 kv heads', B: 8, T: 64, nH: 4, nKV: 2, D: 32, causal: true, pad: 0 },
];

const VARIANTS = [
  { name: 'tiled', software: false },
  { name: 'direct', software: true },
];

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function main() {
  const rounds = Number(arg('--rounds') ?? 5);
  const { device, report } = await acquireNodeDevice();
  const engine = new Engine(device);
  const backend = engine.backend as WebGpuBackend;
  const detected = backend.softwareAdapter;
  console.log(`adapter: ${report.adapter.description || report.adapter.architecture} (${report.adapter.vendor}); this adapter picks ${detected ? 'direct' : 'tiled'}`);
  console.log(`best of ${rounds} interleaved rounds; ms per call (ratio tiled/direct: above 1 means direct is faster)\n`);
  console.log(['shape (B 8, T 64, 4 heads of 32)'.padEnd(36), ...['forward', 'fwd+bwd'].flatMap((p) => VARIANTS.map((v) => `${p} ${v.name}`.padStart(16))), 'fwd ratio'.padStart(11), 'f+b ratio'.padStart(11)].join(''));
  for (const s of SHAPES) {
    const { B, T, nH, nKV, D } = s;
    const q = engine.upload(Float32Array.from(randn(B * T * nH * D, 1)), [B, T, nH, D], 'f32', { requiresGrad: true, isParam: true });
    const k = engine.upload(Float32Array.from(randn(B * T * nKV * D, 2)), [B, T, nKV, D], 'f32', { requiresGrad: true, isParam: true });
    const v = engine.upload(Float32Array.from(randn(B * T * nKV * D, 3)), [B, T, nKV, D], 'f32', { requiresGrad: true, isParam: true });
    const gOut = engine.upload(Float32Array.from(randn(B * T * nH * D, 4)), [B, T, nH, D]);
    const mask = s.pad ? engine.upload(Float32Array.from({ length: B * T }, (_, n) => (Math.floor(n / T) % 2 === 1 && n % T >= T - s.pad ? 0 : 1)), [B, T]) : undefined;
    const opts = { causal: s.causal, ...(mask ? { keyMask: mask } : {}) };
    const params = [q, k, v];
    const clearGrads = () => {
      for (const p of params) {
        p.grad?.release();
        p.grad = null;
      }
    };
    /** One forward (no tape), or forward + backward into fresh gradients. */
    const run = (variant: (typeof VARIANTS)[number], backward: boolean) => {
      backend.softwareAdapter = variant.software;
      if (!backward) {
        engine.autograd.noGrad(() => attention(q, k, v, opts));
        return;
      }
      clearGrads();
      const out = attention(q, k, v, opts);
      engine.autograd.backward(out, gOut);
      engine.autograd.clear();
    };
    // Warm-up (pipeline compilation) and the answers, which must agree to f32 rounding.
    const answers: Float32Array[][] = [];
    for (const variant of VARIANTS) {
      answers.push(
        await engine.tidy(async () => {
          backend.softwareAdapter = variant.software;
          clearGrads();
          const out = attention(q, k, v, opts);
          engine.autograd.backward(out, gOut);
          engine.autograd.clear();
          return [Float32Array.from(await out.read()), ...(await Promise.all(params.map(async (p) => Float32Array.from(await p.grad!.read()))))];
        }),
      );
      engine.tidy(() => run(variant, false));
    }
    const names = ['output', 'dq', 'dk', 'dv'];
    for (const [n, ref] of answers[0]!.entries()) {
      const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (const [i, got] of answers.entries()) {
        const diff = got[n]!.reduce((m, x, j) => Math.max(m, Math.abs(x - ref[j]!)), 0);
        if (!(diff <= 1e-5 * scale)) throw new Error(`${s.name}: ${VARIANTS[i]!.name} ${names[n]} disagrees with tiled (max difference ${diff}, scale ${scale})`);
      }
    }
    const cells: string[] = [];
    const ratios: string[] = [];
    for (const backward of [false, true]) {
      // Repetitions per round: about 0.3 s of the slowest variant.
      let slowest = 0;
      for (const variant of VARIANTS) {
        const t0 = performance.now();
        engine.tidy(() => run(variant, backward));
        await engine.sync();
        slowest = Math.max(slowest, (performance.now() - t0) / 1000);
      }
      const reps = Math.max(1, Math.min(50, Math.round(0.3 / slowest)));
      const best = VARIANTS.map(() => Infinity);
      for (let r = 0; r < rounds; r++) {
        for (const [i, variant] of VARIANTS.entries()) {
          const t0 = performance.now();
          engine.tidy(() => {
            for (let rep = 0; rep < reps; rep++) run(variant, backward);
          });
          await engine.sync();
          best[i] = Math.min(best[i]!, (performance.now() - t0) / 1000 / reps);
        }
      }
      cells.push(...best.map((t) => (t * 1000).toFixed(2).padStart(16)));
      ratios.push(`${(best[0]! / best[1]!).toFixed(2)}×`.padStart(11));
    }
    console.log([s.name.padEnd(36), ...cells, ...ratios].join(''));
    clearGrads();
    const held: (Tensor | undefined)[] = [...params, gOut, mask];
    for (const t of held) t?.release();
  }
  backend.softwareAdapter = detected;
  device.destroy();
  process.exit(0);
}
void main();
