// The workloads of the peer race (bench/peers): what each contender runs, sized for this
// adapter, and the seeded data every contender gets, so that answers can be compared.
// Shapes come from a `small` training step at batch 8 × 64 tokens (d_model 128, d_ff 384,
// 4 heads of 32, the bench vocabulary of 1024), plus square sizes for reference.
import { ENCODER_PRESETS, DECODER_PRESETS, type EncoderDims, type DecoderDims } from '../../src/engine/presets.ts';

export interface MatmulCase {
  /** Row label: what part of a training step has this shape. */
  label: string;
  /** Batch count (attention), M×K · K×N per batch. */
  batch: number;
  m: number;
  k: number;
  n: number;
}

export interface TrainingCase {
  model: 'encoder' | 'decoder';
  preset: string;
  dims: EncoderDims | DecoderDims;
  vocab: number;
  classes: number;
  batch: number;
  seqLen: number;
}

export interface Workloads {
  matmul: MatmulCase[];
  training: TrainingCase[];
  /** Length of the chain of tiny adds in the per-op overhead row. */
  chain: number;
  /** Seconds of work to aim for per timed round (more repetitions on fast adapters). */
  targetSeconds: number;
  rounds: number;
}

const TOKENS = 8 * 64;
const BENCH_VOCAB = 1024;

export function fullWorkloads(): Workloads {
  const { hidden: H, intermediate: I, heads } = ENCODER_PRESETS.small;
  const D = H / heads;
  return {
    matmul: [
      { label: 'square', batch: 1, m: 256, k: 256, n: 256 },
      { label: 'square', batch: 1, m: 512, k: 512, n: 512 },
      { label: 'square', batch: 1, m: 1024, k: 1024, n: 1024 },
      { label: 'tokens×d·d×2ff (encoder Wi)', batch: 1, m: TOKENS, k: H, n: 2 * I },
      { label: 'tokens×ff·ff×d (MLP down)', batch: 1, m: TOKENS, k: I, n: H },
      { label: 'tokens×d·d×vocab (logits)', batch: 1, m: TOKENS, k: H, n: BENCH_VOCAB },
      { label: 'd×tokens·tokens×ff (weight grad)', batch: 1, m: H, k: TOKENS, n: I },
      { label: 'attention scores (B·heads)', batch: 8 * heads, m: 64, k: D, n: 64 },
      { label: 'attention × values (B·heads)', batch: 8 * heads, m: 64, k: 64, n: D },
    ],
    training: [
      { model: 'encoder', preset: 'small', dims: ENCODER_PRESETS.small, vocab: BENCH_VOCAB, classes: 3, batch: 8, seqLen: 64 },
      { model: 'decoder', preset: 'small', dims: DECODER_PRESETS.small, vocab: BENCH_VOCAB, classes: 0, batch: 8, seqLen: 64 },
    ],
    chain: 64,
    targetSeconds: 1,
    rounds: 3,
  };
}

/** The smallest run that still exercises every row (CI smoke test: numbers and agreement only). */
export function smokeWorkloads(): Workloads {
  return {
    matmul: [
      { label: 'square', batch: 1, m: 32, k: 32, n: 32 },
      { label: 'skinny', batch: 1, m: 16, k: 8, n: 24 },
      { label: 'batched', batch: 2, m: 8, k: 4, n: 8 },
    ],
    training: [
      { model: 'encoder', preset: 'tiny', dims: ENCODER_PRESETS.tiny, vocab: 64, classes: 3, batch: 2, seqLen: 8 },
      { model: 'decoder', preset: 'tiny', dims: DECODER_PRESETS.tiny, vocab: 64, classes: 0, batch: 2, seqLen: 8 },
    ],
    chain: 4,
    targetSeconds: 0.01,
    rounds: 1,
  };
}

export function matmulFlops(c: MatmulCase): number {
  return 2 * c.batch * c.m * c.k * c.n;
}

export function matmulName(c: MatmulCase): string {
  return `${c.batch > 1 ? `${c.batch}× ` : ''}${c.m}×${c.k}·${c.k}×${c.n}`;
}

/** Deterministic uniform values in [-1, 1) (mulberry32): the same inputs for every contender. */
export function seededUniform(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Token ids in [1, vocab) and, for the decoder, next-token targets (the input shifted left). */
export function trainingBatch(c: TrainingCase): { ids: Int32Array; targets: Int32Array } {
  const u = seededUniform(c.batch * c.seqLen, 7);
  const ids = Int32Array.from(u, (x) => 1 + Math.floor(((x + 1) / 2) * (c.vocab - 1)));
  const targets =
    c.model === 'encoder'
      ? Int32Array.from({ length: c.batch }, (_, i) => i % c.classes)
      : Int32Array.from(ids, (_, i) => ((i + 1) % c.seqLen === 0 ? 1 : ids[i + 1]!));
  return { ids, targets };
}

/** AdamW hyper-parameters of the training rows (all contenders; PyTorch's AdamW). */
export const ADAMW = { lr: 1e-3, betas: [0.9, 0.98] as [number, number], eps: 1e-8, weightDecay: 0.01 };
