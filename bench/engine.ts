// Engine benchmark: matmul GFLOP/s of the tiled kernel against a peer measured in the same run
// on the same adapter, and training-step tokens/s for the small model presets when the models
// exist. Numbers only, never a pass/fail threshold. Run with `lantern bench` (npm run bench:engine).
import type { Engine } from '../src/engine/runtime.ts';
import type { Tensor } from '../src/engine/tensor.ts';
import { matmul } from '../src/engine/ops/matmul.ts';
import { randn, mulberry32 } from '../src/engine/random.ts';
import { reshapeCopy } from '../src/engine/ops/elementwise.ts';
import { crossEntropy } from '../src/engine/ops/kd-loss.ts';
import { AdamW } from '../src/engine/optim.ts';
import { Trainer } from '../src/engine/nn/train.ts';
import { EncoderClassifier } from '../src/engine/nn/encoder.ts';
import { DecoderLM } from '../src/engine/nn/decoder.ts';
import { decoderConfig, encoderConfig } from '../src/engine/nn/config.ts';
import { timePerOp, type KernelTime } from '../src/engine/profile.ts';

export interface MatmulFigure {
  size: number;
  /** The engine's tiled kernel. */
  gflops: number;
  /** The peer: a naive one-thread-per-output WGSL kernel (TF.js and jax-js are not dependencies). */
  peerGflops: number;
  /** gflops / peerGflops. */
  ratio: number;
  /** Largest |tiled − peer| relative to the largest |peer| value: both kernels computed the same product. */
  agreement: number;
}

export interface BenchOptions {
  /** Matrix sizes (square); default 256, 512, 1024 (quick: 256, 512). */
  sizes?: number[];
  quick?: boolean;
  /** Seconds of GPU work to aim for per measurement (more repetitions on fast devices). */
  targetSeconds?: number;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export const PEER_NAME = 'naive kernel (one output per thread in WGSL; one at a time on WASM)';

/** The peer: the textbook kernel, one invocation per output element, 16×16 workgroups. */
const NAIVE_WGSL = /* wgsl */ `
struct U { M: u32, N: u32, K: u32, _p: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y;
  let col = gid.x;
  if (row >= u.M || col >= u.N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < u.K; k++) { acc += a[row * u.K + k] * b[k * u.N + col]; }
  out[row * u.N + col] = acc;
}`;

function naiveMatmul(engine: Engine, a: Tensor, b: Tensor, n: number): Tensor {
  const out = engine.empty([n, n]);
  engine.dispatch(engine.kernel('bench:naive-matmul', NAIVE_WGSL), [a, b, out], [Math.ceil(n / 16), Math.ceil(n / 16)], new Uint32Array([n, n, n, 0]));
  return out;
}

/** Seconds per call when `run` is recorded `reps` times into one submission. */
async function secondsPerCall(engine: Engine, run: () => Tensor, reps: number): Promise<number> {
  const start = performance.now();
  engine.tidy(() => {
    for (let i = 0; i < reps; i++) run();
  });
  await engine.sync();
  return (performance.now() - start) / 1000 / reps;
}

/**
 * Fastest seconds per call over a few rounds, after a warm-up call (pipeline compilation) that
 * also sizes the rounds to about `targetSeconds`. Other load on the machine only ever slows a
 * round down, so the minimum is the figure. Slow kernels (over 5 s a call) get one round.
 */
async function fastestPerCall(engine: Engine, run: () => Tensor, targetSeconds: number, rounds: number): Promise<number> {
  const estimate = await secondsPerCall(engine, run, 1);
  const reps = Math.max(1, Math.min(50, Math.floor(targetSeconds / estimate)));
  let best = Infinity;
  for (let r = 0; r < (estimate > 5 ? 1 : rounds); r++) best = Math.min(best, await secondsPerCall(engine, run, reps));
  return best;
}

export async function benchMatmul(engine: Engine, opts: BenchOptions = {}): Promise<MatmulFigure[]> {
  const sizes = opts.sizes ?? (opts.quick ? [256, 512] : [256, 512, 1024]);
  const target = opts.targetSeconds ?? (opts.quick ? 0.3 : 1);
  const rounds = opts.quick ? 2 : 3;
  const figures: MatmulFigure[] = [];
  for (const n of sizes) {
    const figure = await engine.tidy(async () => {
      const a = engine.upload(Float32Array.from(randn(n * n, 1)), [n, n]);
      const b = engine.upload(Float32Array.from(randn(n * n, 2)), [n, n]);
      const flops = 2 * n * n * n;
      opts.log?.(`matmul ${n}×${n}: engine kernel…`);
      const tiled = await fastestPerCall(engine, () => matmul(a, b), target, rounds);
      opts.log?.(`matmul ${n}×${n}: peer…`);
      const peer = await fastestPerCall(engine, () => naiveMatmul(engine, a, b, n), target, rounds);
      const [x, y] = await Promise.all([matmul(a, b).read(), naiveMatmul(engine, a, b, n).read()]);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < x.length; i++) {
        diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
        scale = Math.max(scale, Math.abs(y[i]!));
      }
      // A fast wrong answer is no result: both kernels must agree to f32 rounding.
      if (!(diff / Math.max(scale, 1e-30) <= 1e-4)) throw new Error(`matmul ${n}×${n}: the tiled kernel and the peer disagree (max relative difference ${diff / scale})`);
      const gflops = flops / tiled / 1e9;
      const peerGflops = flops / peer / 1e9;
      return { size: n, gflops, peerGflops, ratio: gflops / peerGflops, agreement: diff / Math.max(scale, 1e-30) };
    });
    figures.push(figure);
  }
  return figures;
}

export interface TrainingFigure {
  model: 'encoder' | 'decoder';
  preset: string;
  parameters: number;
  batch: number;
  seqLen: number;
  vocabSize: number;
  /** Steps timed after one warm-up step. */
  steps: number;
  msPerStep: number;
  tokensPerSecond: number;
}

/** Shapes of the training benchmark: small batches that still say something on SwiftShader. */
export const TRAINING_SHAPES = { full: { batch: 8, seqLen: 64, steps: 3 }, quick: { batch: 4, seqLen: 32, steps: 2 } };
const VOCAB = 1024;
const CLASSES = 3;

/** One training step of the `small` preset of a model on random tokens, ready to run (release() when done). */
function smallTrainingStep(engine: Engine, kind: 'encoder' | 'decoder', batch: number, seqLen: number) {
  const random = mulberry32(7);
  const ids = Int32Array.from({ length: batch * seqLen }, () => 1 + Math.floor(random() * (VOCAB - 1)));
  const model: EncoderClassifier | DecoderLM =
    kind === 'encoder'
      ? new EncoderClassifier(engine, encoderConfig('small', { vocabSize: VOCAB, numClasses: CLASSES }))
      : new DecoderLM(engine, decoderConfig('small', { vocabSize: VOCAB }));
  const params = model.trainableParameters();
  const optimizer = new AdamW(params, { lr: 1e-3, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.01 });
  const trainer = new Trainer(engine, params, optimizer, { readLossEvery: 1_000_000 });
  const inputIds = engine.upload(ids, [batch, seqLen], 'i32');
  const attentionMask = engine.full([batch, seqLen], 1);
  const labels = engine.upload(Int32Array.from({ length: batch }, (_, i) => i % CLASSES), [batch], 'i32');
  // Next-token targets: the input shifted left (the last position predicts token 1).
  const targets = engine.upload(Int32Array.from(ids, (_, i) => ((i + 1) % seqLen === 0 ? 1 : ids[i + 1]!)), [batch * seqLen], 'i32');
  const lossFn =
    model instanceof EncoderClassifier
      ? () => crossEntropy(model.forward({ inputIds, attentionMask }), labels)
      : () => crossEntropy(reshapeCopy(model.forward({ inputIds }), [batch * seqLen, VOCAB]), targets);
  return {
    parameters: model.parameterCount(),
    step: (readLoss: boolean) => trainer.step(lossFn, { readLoss }),
    release() {
      for (const t of [inputIds, attentionMask, labels, targets]) t.release();
      optimizer.release();
      model.release();
    },
  };
}

/**
 * Tokens/s of full training steps (forward, cross-entropy, backward, AdamW: one submission each,
 * the loss read back once at the end) for the `small` preset of each model.
 */
export async function benchTraining(engine: Engine, opts: BenchOptions = {}): Promise<TrainingFigure[]> {
  const { batch, seqLen, steps } = opts.quick ? TRAINING_SHAPES.quick : TRAINING_SHAPES.full;
  const figures: TrainingFigure[] = [];
  for (const kind of ['encoder', 'decoder'] as const) {
    opts.log?.(`training ${kind} small, batch ${batch} × ${seqLen} tokens…`);
    const setup = smallTrainingStep(engine, kind, batch, seqLen);
    try {
      await setup.step(true); // warm-up: pipeline compilation
      const start = performance.now();
      let loss: number | null = null;
      for (let i = 0; i < steps; i++) loss = (await setup.step(i === steps - 1)).loss;
      const seconds = (performance.now() - start) / 1000;
      if (!Number.isFinite(loss)) throw new Error(`${kind} training produced a non-finite loss (${loss})`);
      figures.push({
        model: kind,
        preset: 'small',
        parameters: setup.parameters,
        batch,
        seqLen,
        vocabSize: VOCAB,
        steps,
        msPerStep: (seconds * 1000) / steps,
        tokensPerSecond: (steps * batch * seqLen) / seconds,
      });
    } finally {
      setup.release();
    }
  }
  return figures;
}

export interface StepProfile {
  model: 'encoder' | 'decoder';
  batch: number;
  seqLen: number;
  /** Kernel time of the step's dispatches per op and per kernel, most time first. */
  ops: { op: string; dispatches: number; ms: number }[];
  kernels: KernelTime[];
  totalMs: number;
}

/**
 * Where one training step of each `small` model spends its kernel time (GPU or CPU): a warm-up step, then one
 * step with every dispatch timed by timestamp queries (the device needs 'timestamp-query').
 */
export async function profileTraining(engine: Engine, opts: BenchOptions = {}): Promise<StepProfile[]> {
  const { batch, seqLen } = opts.quick ? TRAINING_SHAPES.quick : TRAINING_SHAPES.full;
  const out: StepProfile[] = [];
  for (const kind of ['encoder', 'decoder'] as const) {
    opts.log?.(`profiling a training step of the small ${kind}, batch ${batch} × ${seqLen} tokens…`);
    const setup = smallTrainingStep(engine, kind, batch, seqLen);
    try {
      await setup.step(true);
      const { profile } = await engine.profile(() => setup.step(true));
      out.push({ model: kind, batch, seqLen, ops: timePerOp(profile.kernels), kernels: profile.kernels, totalMs: profile.kernels.reduce((a, k) => a + k.ms, 0) });
    } finally {
      setup.release();
    }
  }
  return out;
}

/** The profile as a table: per op, its share of the step's kernel time; then the costliest kernels. */
export function formatStepProfiles(profiles: readonly StepProfile[], topKernels = 8): string {
  const lines: string[] = [];
  for (const p of profiles) {
    lines.push(`${p.model} (small), batch ${p.batch} × ${p.seqLen}: ${p.totalMs.toFixed(1)} ms of kernel time in one step`);
    for (const o of p.ops) lines.push(`  ${o.op.padEnd(22)} ${o.ms.toFixed(2).padStart(9)} ms  ${((100 * o.ms) / (p.totalMs || 1)).toFixed(1).padStart(5)}%  ${String(o.dispatches).padStart(4)} dispatches`);
    lines.push('  costliest kernels:');
    for (const k of p.kernels.slice(0, topKernels)) lines.push(`    ${k.kernel.padEnd(40)} ${k.ms.toFixed(2).padStart(9)} ms  ×${k.dispatches}`);
  }
  return lines.join('\n');
}
