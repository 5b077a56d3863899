// The one reader of results.json (src/experiment/run: `lantern run` and the trainer worker write
// it): one experiment's results or a sweep's rows and aggregate. Pages read results only through
// here, so a field the orchestrator adds is added in one place. Nothing here computes a metric;
// it names and types what the file holds.
import type { RunResults, StageResult } from '../../experiment/run/pipeline.ts';
import type { MetricSummary, SweepGroup, SweepResults, SweepRow } from '../../experiment/run/sweep.ts';
import { parseResultsJson, parseResults, ResultsError } from '../../experiment/results.ts';
export { BASELINE_PREFIX } from '../../experiment/results.ts';
import type { CalibrationBin, ClassMetrics } from '../../metrics/classification.ts';
import type { RougeScores } from '../../metrics/rouge.ts';
import type { FitLabel } from '../../data/schema.ts';

export type { RunResults, StageResult, SweepResults, SweepRow, SweepGroup, MetricSummary };

export { ResultsError };

export type AnyResults = { kind: 'run'; results: RunResults } | { kind: 'sweep'; results: SweepResults };

/** Parses results.json text (or its parsed value), checked by the results schema; a file of another kind is a ResultsError. */
export function readResults(input: string | unknown): AnyResults {
  // The schema checks the fields every results file has; the types here name the rest as the orchestrator writes them.
  return (typeof input === 'string' ? parseResultsJson(input) : parseResults(input)) as unknown as AnyResults;
}

export type CurvePoint = { step: number; loss: number };

/** A trained model of a run: the in-house teacher or a stage. */
export interface ModelResult {
  /** 'teacher' or the stage id. */
  id: string;
  task: 'explain' | 'classify';
  preset: string;
  /** The model it learned from (stages only). */
  source?: string;
  parameters: number;
  steps: number;
  seconds: number;
  curves: { train: CurvePoint[]; val: CurvePoint[] };
  metrics: Record<string, unknown>;
}

export function modelsOf(results: RunResults): ModelResult[] {
  const t = results.teacher;
  const teacher: ModelResult = { id: 'teacher', task: 'explain', preset: t.preset, parameters: t.parameters, steps: t.steps, seconds: t.seconds, curves: t.curves, metrics: t.metrics };
  return [teacher, ...results.stages.map((s: StageResult) => ({ id: s.id, task: s.task, preset: s.preset, source: s.source, parameters: s.parameters, steps: s.steps, seconds: s.seconds, curves: s.curves, metrics: s.metrics }))];
}

// ── metrics of one model (src/experiment/run/evaluate.ts writes them) ─────────────────────────────

export interface ClassifierMetrics {
  n: number;
  accuracy?: number;
  macroF1?: number;
  perClass?: ClassMetrics[];
  confusion?: { labels: string[]; matrix: number[][] };
  ece?: number;
  calibrationBins?: CalibrationBin[];
  latency?: LatencyMetrics;
}

export interface LatencyMetrics {
  p50Ms: number | null;
  p95Ms: number | null;
  throughputPerSec: number | null;
  tokensPerSec?: number | null;
}

/** One test pair the explainer answered, with its own scores, as results.json keeps it. */
export interface TestAnswer {
  exampleId: string;
  /** The student's label and explanation. */
  label: FitLabel;
  explanation: string;
  /** The reference (teacher) answer it is scored against. */
  reference: string;
  referenceLabel: FitLabel;
  /** ROUGE-L F-measure against the reference; null when the run did not measure ROUGE. */
  rougeL: number | null;
  /** The fit level the explanation argues for; null when it takes no side. */
  stance: FitLabel | null;
  /** Skills the explanation names (canonical), and those found in neither the job nor the profile. */
  mentioned: string[];
  hallucinated: string[];
}

export interface ExplainerMetrics {
  n: number;
  labelAccuracy?: number;
  rouge?: RougeScores;
  consistency?: { rate: number; consistent: number; undetermined: number; examples: number };
  hallucination?: { mentionRate: number; exampleRate: number; mentions: number; hallucinatedMentions: number; examples: number };
  latency?: LatencyMetrics;
  /** Every test answer with its scores (results.json of runs before they were kept: none). */
  answers: TestAnswer[];
}

export function classifierMetrics(model: Pick<ModelResult, 'metrics'>): ClassifierMetrics {
  return model.metrics as unknown as ClassifierMetrics;
}

export function explainerMetrics(model: Pick<ModelResult, 'metrics'>): ExplainerMetrics {
  const m = model.metrics as unknown as Partial<ExplainerMetrics> & { n: number };
  return { ...m, answers: m.answers ?? [] };
}

// ── flat metric keys ("<model>.<metric>", sweep.ts flatMetrics) ───────────────────────────────────

/** "explainer.rougeL" → { model: 'explainer', metric: 'rougeL' }. */
export function splitMetricKey(key: string): { model: string; metric: string } {
  const at = key.lastIndexOf('.');
  return at < 0 ? { model: '', metric: key } : { model: key.slice(0, at), metric: key.slice(at + 1) };
}

/** Metrics where lower is better (losses, calibration error, hallucinations, latency). */
export function lowerIsBetter(metric: string): boolean {
  return /loss|ece|hallucination|latency/i.test(metric);
}

/** Human names of the flat metrics. */
export const METRIC_LABELS: Record<string, string> = {
  finalLoss: 'final train loss',
  accuracy: 'accuracy',
  macroF1: 'macro-F1',
  ece: 'ECE',
  labelAccuracy: 'label accuracy',
  rouge1: 'ROUGE-1',
  rouge2: 'ROUGE-2',
  rougeL: 'ROUGE-L',
  rougeLsum: 'ROUGE-Lsum',
  consistency: 'consistency',
  hallucinationRate: 'hallucinated skills',
  latencyP50Ms: 'latency p50 (ms)',
  latencyP95Ms: 'latency p95 (ms)',
  throughputPerSec: 'throughput (/s)',
};

export const metricLabel = (metric: string) => METRIC_LABELS[metric] ?? metric;
