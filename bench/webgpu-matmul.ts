// Benchmark of the WebGPU matmul kernel variants (src/engine/ops/matmul.ts) on one adapter, in one
// run, interleaved: tiled (workgroup memory; what real GPUs get), direct (no workgroup memory;
// software adapters) and direct with quad-shared loads (4-lane subgroups), on the shapes a `small`
// training step runs, transposed as its forward and backward run them. GFLOP/s = 2·batch·M·N·K /
// time; answers checked against the tiled kernel. The numbers say why an adapter gets its kernel.
// Run: npx tsx bench/webgpu-matmul.ts [--rounds N]
import { acquireNodeDevice } from '../src/engine/node-gpu.ts';
import { Engine } from '../src/engine/runtime.ts';
import { WebGpuBackend } from '../src/engine/webgpu-backend.ts';
import { matmul } from '../src/engine/ops/matmul.ts';
import { randn } from '../src/engine/random.ts';

interface Shape {
  name: string;
  batch: number;
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
}

// batch 8 × 64 tokens, d_model 128, d_ff 384, 4 heads of 32, vocabulary 1024 (bench/peers' shapes).
const SHAPES: Shape[] = [
  { name: '256² square', batch: 1, M: 256, K: 256, N: 256 },
  { name: '512² square', batch: 1, M: 512, K: 512, N: 512 },
  { name: 'linear 512×128·(768×128)ᵀ (encoder Wi)', batch: 1, M: 512, K: 128, N: 768, transB: true },
  { name: 'linear 512×384·(128×384)ᵀ (MLP down)', batch: 1, M: 512, K: 384, N: 128, transB: true },
  { name: 'linear 512×128·(1024×128)ᵀ (logits)', batch: 1, M: 512, K: 128, N: 1024, transB: true },
  { name: 'input grad 512×1024·1024×128', batch: 1, M: 512, K: 1024, N: 128 },
  { name: 'weight grad (512×384)ᵀ·512×128', batch: 1, M: 384, K: 512, N: 128, transA: true },
  { name: 'scores 32 × 64×32·(64×32)ᵀ', batch: 32, M: 64, K: 32, N: 64, transB: true },
  { name: 'attention × values 32 × 64×64·64×32', batch: 32, M: 64, K: 64, N: 32 },
];

const VARIANTS = [
  { name: 'tiled', software: false, quad: false },
  { name: 'direct', software: true, quad: false },
  { name: 'direct+quad', software: true, quad: true },
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
  const variants = VARIANTS.filter((v) => !v.quad || backend.quadSubgroups);
  console.log(`adapter: ${report.adapter.description || report.adapter.architecture} (${report.adapter.vendor}); this adapter picks ${backend.softwareAdapter ? (backend.quadSubgroups ? 'direct+quad' : 'direct') : 'tiled'}`);
  console.log(`best of ${rounds} interleaved rounds; GFLOP/s (ratio to tiled)\n`);
  console.log(['shape'.padEnd(42), ...variants.map((v) => v.name.padStart(18))].join(''));
  for (const s of SHAPES) {
    const lead = s.batch > 1 ? [s.batch] : [];
    const a = engine.upload(Float32Array.from(randn(s.batch * s.M * s.K, 1)), [...lead, ...(s.transA ? [s.K, s.M] : [s.M, s.K])]);
    const b = engine.upload(Float32Array.from(randn(s.batch * s.K * s.N, 2)), [...lead, ...(s.transB ? [s.N, s.K] : [s.K, s.N])]);
    const run = (v: (typeof VARIANTS)[number]) => {
      backend.softwareAdapter = v.software;
      backend.quadSubgroups = v.quad;
      return matmul(a, b, { transA: s.transA, transB: s.transB });
    };
    // Warm-up (pipeline compilation) and the answers, which must agree to f32 rounding.
    const answers = await Promise.all(
      variants.map(async (v) => {
        const out = run(v);
        const values = Float32Array.from(await out.read());
        out.release();
        return values;
      }),
    );
    const ref = answers[0]!;
    const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    for (const [i, got] of answers.entries()) {
      const diff = got.reduce((m, x, j) => Math.max(m, Math.abs(x - ref[j]!)), 0);
      if (!(diff <= 1e-5 * scale)) throw new Error(`${s.name}: ${variants[i]!.name} disagrees with tiled (max difference ${diff}, scale ${scale})`);
    }
    // Repetitions per round: about 0.3 s of the slowest variant.
    let slowest = 0;
    for (const v of variants) {
      const t0 = performance.now();
      engine.tidy(() => {
        run(v);
      });
      await engine.sync();
      slowest = Math.max(slowest, (performance.now() - t0) / 1000);
    }
    const reps = Math.max(1, Math.min(20, Math.round(0.3 / slowest)));
    const best = variants.map(() => Infinity);
    for (let r = 0; r < rounds; r++) {
      for (const [i, v] of variants.entries()) {
        const t0 = performance.now();
        engine.tidy(() => {
          for (let k = 0; k < reps; k++) run(v);
        });
        await engine.sync();
        best[i] = Math.min(best[i]!, (performance.now() - t0) / 1000 / reps);
      }
    }
    const flops = 2 * s.batch * s.M * s.N * s.K;
    const cells = best.map((t, i) => `${(flops / t / 1e9).toFixed(3)}${i ? ` (${(best[0]! / t).toFixed(2)}×)` : ''}`.padStart(18));
    console.log([s.name.padEnd(42), ...cells].join(''));
    a.release();
    b.release();
  }
  device.destroy();
  process.exit(0);
}
void main();
