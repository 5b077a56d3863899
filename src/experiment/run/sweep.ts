// Sweeps: every run of expandSweep (config paths × values × seeds), each a whole experiment in
// runs/<id>/, the phases before the stages computed once per distinct prefix (shared/<key>/).
// Results are rows with the same metric keys, plus per group (the runs that differ only by seed)
// the mean, standard deviation and 95% confidence interval (Student's t) of every metric.
import { expandSweep, type ExperimentConfig } from '../schema.ts';
import { RunCancelled, type ArtifactStore, type RunEvent, type RunHost } from './host.ts';
import { runExperiment, sharedKey, type RunOptions, type RunResults } from './pipeline.ts';

export const SWEEP_RESULTS_FORMAT = 'lantern-sweep-results';

export interface SweepRow {
  id: string;
  group: string;
  assignments: Record<string, unknown>;
  seed: number;
  status: 'done' | 'failed';
  error?: string;
  /** Flat metrics ("<stage>.<metric>"); null where a run did not produce one. */
  metrics: Record<string, number | null>;
}

export interface MetricSummary {
  n: number;
  mean: number | null;
  std: number | null;
  /** 95% confidence interval of the mean; null with fewer than two values. */
  ci95: [number, number] | null;
}

export interface SweepGroup {
  group: string;
  assignments: Record<string, unknown>;
  runs: string[];
  metrics: Record<string, MetricSummary>;
}

export interface SweepResults {
  format: typeof SWEEP_RESULTS_FORMAT;
  version: 1;
  experiment: ExperimentConfig;
  metricKeys: string[];
  rows: SweepRow[];
  aggregate: SweepGroup[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The parts of a stage's metrics (evaluate.ts) the flat view reads. */
interface StageMetricsView {
  accuracy?: number;
  macroF1?: number;
  ece?: number;
  labelAccuracy?: number;
  rouge?: Record<'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum', { fmeasure: number }>;
  consistency?: { rate: number };
  hallucination?: { mentionRate: number };
  latency?: { p50Ms: number | null; p95Ms: number | null; throughputPerSec: number | null };
}

function putStage(out: Record<string, number | null>, id: string, task: 'explain' | 'classify', m: StageMetricsView, finalLoss: number | undefined): void {
  const put = (key: string, v: unknown) => (out[`${id}.${key}`] = num(v));
  put('finalLoss', finalLoss);
  if (task === 'classify') {
    for (const k of ['accuracy', 'macroF1', 'ece'] as const) if (k in m) put(k, m[k]);
  } else {
    put('labelAccuracy', m.labelAccuracy);
    if (m.rouge) for (const k of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) put(k, m.rouge[k].fmeasure);
    if (m.consistency) put('consistency', m.consistency.rate);
    if (m.hallucination) put('hallucinationRate', m.hallucination.mentionRate);
  }
  if (m.latency) {
    put('latencyP50Ms', m.latency.p50Ms);
    put('latencyP95Ms', m.latency.p95Ms);
    put('throughputPerSec', m.latency.throughputPerSec);
  }
}

/** A run's headline numbers as flat "<stage>.<metric>" keys ("teacher.*" for the in-house teacher): what sweep tables and charts compare. */
export function flatMetrics(results: RunResults): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (results.teacher?.metrics) putStage(out, 'teacher', 'explain', results.teacher.metrics as StageMetricsView, results.teacher.curves.train.at(-1)?.loss);
  for (const s of results.stages) putStage(out, s.id, s.task, s.metrics as StageMetricsView, s.curves.train.at(-1)?.loss);
  return out;
}

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function summarize(values: readonly number[]): MetricSummary {
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null, ci95: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: null, ci95: null };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * (std / Math.sqrt(n));
  return { n, mean, std, ci95: [mean - half, mean + half] };
}

export function aggregateRows(rows: readonly SweepRow[], metricKeys: readonly string[]): SweepGroup[] {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return [...groups].map(([group, members]) => ({
    group,
    assignments: members[0]!.assignments,
    runs: members.map((r) => r.id),
    metrics: Object.fromEntries(metricKeys.map((k) => [k, summarize(members.map((r) => r.metrics[k]).filter((v): v is number => v !== null && v !== undefined))])),
  }));
}

export interface SweepOptions extends Omit<RunOptions, 'shared'> {
  onRunEvent?: (runId: string, event: RunEvent) => void;
}

export async function runSweep(config: ExperimentConfig, host: RunHost, store: ArtifactStore, opts: SweepOptions = {}): Promise<SweepResults> {
  const runs = expandSweep(config);
  const rows: SweepRow[] = [];
  for (const run of runs) {
    const runHost: RunHost = { ...host, emit: (event) => opts.onRunEvent?.(run.id, event) };
    const shared = store.scoped(`shared/${await sharedKey(run.config)}`);
    try {
      const results = await runExperiment(run.config, runHost, store.scoped(`runs/${run.id}`), { ...opts, shared });
      rows.push({ id: run.id, group: run.group, assignments: run.assignments, seed: run.seed, status: 'done', metrics: flatMetrics(results) });
    } catch (e) {
      if (e instanceof RunCancelled) throw e; // a stop ends the sweep; running it again resumes
      rows.push({ id: run.id, group: run.group, assignments: run.assignments, seed: run.seed, status: 'failed', error: (e as Error).message, metrics: {} });
      runHost.emit({ type: 'warning', message: `run ${run.id} failed: ${(e as Error).message}` });
    }
  }
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  for (const r of rows) for (const k of metricKeys) r.metrics[k] ??= null;
  const results: SweepResults = { format: SWEEP_RESULTS_FORMAT, version: 1, experiment: config, metricKeys, rows, aggregate: aggregateRows(rows, metricKeys) };
  await store.write('results.json', JSON.stringify(results, null, 2));
  return results;
}
