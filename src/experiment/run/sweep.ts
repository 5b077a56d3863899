// Sweeps: every run of expandSweep (config paths × values × seeds), each a whole experiment in
// runs/<id>/, the phases before the stages computed once per distinct prefix (shared/<key>/).
// Results are rows with the same metric keys, plus per group (the runs that differ only by seed)
// the mean, standard deviation and 95% confidence interval (Student's t, clamped to the metric's
// range, with n) of every metric.
import { expandSweep, type ExperimentConfig } from '../schema.ts';
import type { ArtifactStore, RunEvent, RunHost } from './host.ts';
import { Stopped } from './stopped.ts';
import { NON_NEGATIVE, UNIT_RANGE, summarize, type MetricRange, type Summary } from '../../metrics/stats.ts';
import { runExperiment, sharedKey, type RunOptions, type RunResults } from './pipeline.ts';

import { BASELINE_PREFIX, SWEEP_RESULTS_FORMAT } from '../results.ts';
import { ROUGE_TYPES } from '../../metrics/rouge.ts';

export interface SweepRow {
  id: string;
  group: string;
  assignments: Record<string, unknown>;
  seed: number;
  status: 'done' | 'failed';
  error?: string;
  /** Flat metrics ("<stage>.<metric>"); null where a run did not produce one. */
  metrics: Record<string, number | null>;
  /** Test pairs the run was scored on (absent for a failed run). */
  testSize?: number;
  /** Parameter count of each model ('teacher' and the stage ids). */
  parameters?: Record<string, number>;
}

/** Mean, std and 95% interval of the mean over a group's runs (null interval below two runs). */
export type MetricSummary = Summary;

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
    if (m.rouge) for (const k of ROUGE_TYPES) put(k, m.rouge[k].fmeasure);
    if (m.consistency) put('consistency', m.consistency.rate);
    if (m.hallucination) put('hallucinationRate', m.hallucination.mentionRate);
  }
  if (m.latency) {
    put('latencyP50Ms', m.latency.p50Ms);
    put('latencyP95Ms', m.latency.p95Ms);
    put('throughputPerSec', m.latency.throughputPerSec);
  }
}

/**
 * A run's headline numbers as flat "<stage>.<metric>" keys ("teacher.*" for the in-house teacher,
 * "baseline.<name>.*" for the trivial baselines): what sweep tables and charts compare.
 */
export function flatMetrics(results: RunResults): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (results.teacher?.metrics) putStage(out, 'teacher', 'explain', results.teacher.metrics as StageMetricsView, results.teacher.curves.train.at(-1)?.loss);
  for (const s of results.stages) putStage(out, s.id, s.task, s.metrics as StageMetricsView, s.curves.train.at(-1)?.loss);
  // The baselines vary with the split (the seed): they get their own rows of mean ± CI.
  const b = results.baselines;
  if (b) {
    for (const [name, m] of Object.entries(b.classifier) as [string, StageMetricsView][]) {
      for (const k of ['accuracy', 'macroF1'] as const) if (k in m) out[`${BASELINE_PREFIX}${name}.${k}`] = num(m[k]);
    }
    for (const [name, m] of Object.entries(b.explainer) as [string, StageMetricsView][]) {
      if (m.rouge) for (const k of ROUGE_TYPES) out[`${BASELINE_PREFIX}${name}.${k}`] = num(m.rouge[k].fmeasure);
    }
  }
  return out;
}

/** Flat metrics that are not proportions (their interval is only kept non-negative). */
const UNBOUNDED = /\.(finalLoss|latencyP50Ms|latencyP95Ms|throughputPerSec)$/;

/** The range a flat metric's values lie in: losses and times are non-negative, everything else is a proportion or an F-score. */
export function metricRange(key: string): MetricRange {
  return UNBOUNDED.test(key) ? NON_NEGATIVE : UNIT_RANGE;
}

/** Distinct flat metric keys, the models' own first and the baselines' after them (tables show columns in this order). */
export function orderMetricKeys(keys: Iterable<string>): string[] {
  const isBaseline = (k: string) => Number(k.startsWith(BASELINE_PREFIX));
  return [...new Set(keys)].sort((a, b) => isBaseline(a) - isBaseline(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function aggregateRows(rows: readonly SweepRow[], metricKeys: readonly string[]): SweepGroup[] {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return [...groups].map(([group, members]) => ({
    group,
    assignments: members[0]!.assignments,
    runs: members.map((r) => r.id),
    metrics: Object.fromEntries(metricKeys.map((k) => [k, summarize(members.map((r) => r.metrics[k]).filter((v): v is number => v !== null && v !== undefined), metricRange(k))])),
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
      const parameters = Object.fromEntries([['teacher', results.teacher.parameters], ...results.stages.map((s) => [s.id, s.parameters])]);
      rows.push({ id: run.id, group: run.group, assignments: run.assignments, seed: run.seed, status: 'done', metrics: flatMetrics(results), testSize: results.data.test, parameters });
    } catch (e) {
      if (e instanceof Stopped) throw e; // a stop ends the sweep; running it again resumes
      rows.push({ id: run.id, group: run.group, assignments: run.assignments, seed: run.seed, status: 'failed', error: (e as Error).message, metrics: {} });
      runHost.emit({ type: 'warning', message: `run ${run.id} failed: ${(e as Error).message}` });
    }
  }
  const metricKeys = orderMetricKeys(rows.flatMap((r) => Object.keys(r.metrics)));
  for (const r of rows) for (const k of metricKeys) r.metrics[k] ??= null;
  const results: SweepResults = { format: SWEEP_RESULTS_FORMAT, version: 1, experiment: config, metricKeys, rows, aggregate: aggregateRows(rows, metricKeys) };
  await store.write('results.json', JSON.stringify(results, null, 2));
  return results;
}
