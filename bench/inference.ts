// Inference benchmark (the paper's latency/throughput comparison): for the classifier and the
// explainer, on each runtime — our WGSL engine, onnxruntime-web on WebGPU, onnxruntime-web on
// WASM — at batch 1 and batch 32, with and without input compression (requirement sections only):
// p50/p95 latency per call and requests per second, all in one run on one adapter. The headline
// is the classifier-vs-explainer throughput ratio. Numbers only, never a pass/fail threshold.
// Runtimes are given as runners (bench/inference-node.ts in Node, the inference worker in a page).
import { latencyStats } from '../src/metrics/latency.ts';
import { jobText, profileText } from '../src/data/format.ts';
import type { Example } from '../src/data/schema.ts';
import type { InputIds, TaskCodec } from '../src/experiment/task.ts';

export type Student = 'classifier' | 'explainer';

/** One runtime holding both students; each call handles one batch of requests. */
export interface InferenceRunner {
  runtime: string;
  classify(batch: readonly InputIds[]): Promise<unknown>;
  /** Label + greedy explanation of exactly `maxNewTokens` tokens unless a row stops earlier; returns new tokens written. */
  explain(batch: readonly InputIds[], maxNewTokens: number): Promise<number>;
}

export interface InferenceFigure {
  student: Student;
  runtime: string;
  batch: number;
  compressed: boolean;
  /** Mean input tokens per request (before truncation to the model's length). */
  inputTokens: number;
  calls: number;
  p50Ms: number | null;
  p95Ms: number | null;
  requestsPerSec: number | null;
  /** Explainer: new tokens per second over all rows. */
  tokensPerSec?: number | null;
}

export interface InferenceBenchOptions {
  batches?: readonly number[];
  /** Timed calls per case (after one warm-up call). */
  calls?: number;
  maxNewTokens: number;
  now: () => number;
  log?: (line: string) => void;
  /** Checked between calls: a long benchmark can be stopped. */
  signal?: AbortSignal;
}

/** The requests: each example's job and profile ids, with and without input compression. */
export function benchInputs(codec: TaskCodec, examples: readonly Example[]): Record<'compressed' | 'full', InputIds[]> {
  return {
    compressed: examples.map((e) => codec.encodeTexts(jobText(e.job, { compress: true }), profileText(e.profile))),
    full: examples.map((e) => codec.encodeTexts(jobText(e.job), profileText(e.profile))),
  };
}

export async function benchInference(runners: readonly InferenceRunner[], inputs: Record<'compressed' | 'full', InputIds[]>, opts: InferenceBenchOptions): Promise<InferenceFigure[]> {
  const batches = opts.batches ?? [1, 32];
  const calls = opts.calls ?? 5;
  const out: InferenceFigure[] = [];
  for (const runner of runners) {
    for (const student of ['classifier', 'explainer'] as const) {
      for (const batch of batches) {
        for (const compressed of [true, false]) {
          const pool = compressed ? inputs.compressed : inputs.full;
          const take = (i: number) => Array.from({ length: batch }, (_, j) => pool[(i * batch + j) % pool.length]!);
          const call = (b: InputIds[]) => (student === 'classifier' ? runner.classify(b).then(() => 0) : runner.explain(b, opts.maxNewTokens));
          await call(take(0)); // warm-up: kernels and pipelines compiled, buffers allocated
          const timings: number[] = [];
          let tokens = 0;
          for (let i = 0; i < calls; i++) {
            if (opts.signal?.aborted) throw new Error('the benchmark was stopped');
            const t0 = opts.now();
            tokens += await call(take(i + 1));
            timings.push(opts.now() - t0);
          }
          const stats = latencyStats(timings, batch);
          const totalSec = timings.reduce((a, b) => a + b, 0) / 1000;
          const figure: InferenceFigure = {
            student,
            runtime: runner.runtime,
            batch,
            compressed,
            inputTokens: pool.reduce((a, x) => a + x.job.length + x.profile.length, 0) / pool.length,
            calls,
            p50Ms: stats.p50Ms,
            p95Ms: stats.p95Ms,
            requestsPerSec: stats.throughputPerSec,
            ...(student === 'explainer' ? { tokensPerSec: totalSec > 0 ? tokens / totalSec : null } : {}),
          };
          out.push(figure);
          opts.log?.(`  ${formatFigure(figure)}`);
        }
      }
    }
  }
  return out;
}

export interface ThroughputRatio {
  runtime: string;
  batch: number;
  compressed: boolean;
  classifierPerSec: number | null;
  explainerPerSec: number | null;
  /** classifier requests/s ÷ explainer requests/s: the paper's headline figure. */
  ratio: number | null;
}

export function throughputRatios(figures: readonly InferenceFigure[]): ThroughputRatio[] {
  const out: ThroughputRatio[] = [];
  for (const c of figures.filter((f) => f.student === 'classifier')) {
    const e = figures.find((f) => f.student === 'explainer' && f.runtime === c.runtime && f.batch === c.batch && f.compressed === c.compressed);
    if (!e) continue;
    const ratio = c.requestsPerSec !== null && e.requestsPerSec ? c.requestsPerSec / e.requestsPerSec : null;
    out.push({ runtime: c.runtime, batch: c.batch, compressed: c.compressed, classifierPerSec: c.requestsPerSec, explainerPerSec: e.requestsPerSec, ratio });
  }
  return out;
}

const ms = (v: number | null) => (v === null ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const rate = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2));

function formatFigure(f: InferenceFigure): string {
  return `${f.student.padEnd(10)} ${f.runtime.padEnd(26)} batch ${String(f.batch).padStart(2)}  ${f.compressed ? 'compressed' : 'full     '}  ${f.inputTokens.toFixed(0).padStart(4)} tok  p50 ${ms(f.p50Ms).padStart(7)} ms  p95 ${ms(f.p95Ms).padStart(7)} ms  ${rate(f.requestsPerSec).padStart(8)} req/s${f.tokensPerSec !== undefined ? `  ${rate(f.tokensPerSec)} tok/s` : ''}`;
}

/** The table and the ratios as text (the CLI's output). */
export function formatInferenceReport(figures: readonly InferenceFigure[]): string {
  const lines = ['student    runtime                    batch   input       tokens  latency per call             throughput', ...figures.map(formatFigure), '', 'classifier ÷ explainer throughput (requests/s)'];
  for (const r of throughputRatios(figures)) {
    lines.push(`  ${r.runtime.padEnd(26)} batch ${String(r.batch).padStart(2)}  ${r.compressed ? 'compressed' : 'full      '}  ${rate(r.classifierPerSec).padStart(8)} / ${rate(r.explainerPerSec).padStart(8)}  = ${r.ratio === null ? '—' : `${r.ratio.toFixed(1)}×`}`);
  }
  return lines.join('\n');
}
