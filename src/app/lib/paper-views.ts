// The two LANTERN comparisons as tables (pure): "loss sweep" (divergence × ROUGE and F1) and
// "staged vs direct" (each chain's final student, and the difference between two chains). Every
// mean and 95% CI is the sweep code's: the aggregate of results.json, or src/metrics/stats.ts's summarize over
// the runs' paired differences. Nothing here invents a statistic.
import { aggregateRows, flatMetrics, type MetricSummary, type SweepGroup } from '../../experiment/run/sweep.ts';
import { summarize } from '../../metrics/stats.ts';
import { ROUGE_TYPES } from '../../metrics/rouge.ts';
import { modelLabel, SEED_SOURCE, type ExperimentConfig, type StageConfig } from '../../experiment/schema.ts';
import { lowerIsBetter, metricLabel, type AnyResults, type SweepResults, type SweepRow } from './results.ts';

/** A single run as the rows and aggregate of a one-run sweep (n = 1: no intervals). */
export function asSweep(results: AnyResults): SweepResults {
  if (results.kind === 'sweep') return results.results;
  const r = results.results;
  const metrics = flatMetrics(r);
  const metricKeys = Object.keys(metrics).sort();
  const parameters = Object.fromEntries([['teacher', r.teacher.parameters], ...r.stages.map((s) => [s.id, s.parameters])]);
  const rows: SweepRow[] = [{ id: 'run', group: r.experiment.name, assignments: {}, seed: r.experiment.seed, status: 'done', metrics, testSize: r.data.test, parameters }];
  return { format: 'lantern-sweep-results', version: 1, experiment: r.experiment, metricKeys, rows, aggregate: aggregateRows(rows, metricKeys) };
}

export interface PaperColumn {
  key: string;
  label: string;
  lowerIsBetter: boolean;
}

export interface PaperCell extends MetricSummary {
  /** The best mean of its column. */
  best: boolean;
}

export interface PaperRow {
  label: string;
  cells: PaperCell[];
}

export interface PaperTable {
  columns: PaperColumn[];
  rows: PaperRow[];
}

function markBest(columns: PaperColumn[], rows: { label: string; cells: MetricSummary[] }[]): PaperRow[] {
  const best = columns.map((c, j) => {
    const means = rows.map((r) => r.cells[j]!.mean).filter((m): m is number => m !== null);
    if (means.length < 2) return null;
    const best = c.lowerIsBetter ? Math.min(...means) : Math.max(...means);
    // When every row ties there is no best to mark.
    return means.every((m) => m === best) ? null : best;
  });
  return rows.map((r) => ({ label: r.label, cells: r.cells.map((cell, j) => ({ ...cell, best: best[j] !== null && cell.mean === best[j] })) }));
}

const EMPTY: MetricSummary = { n: 0, mean: null, std: null, ci95: null };

const EXPLAIN_METRICS = ROUGE_TYPES;

export const explainStages = (config: ExperimentConfig) => config.stages.filter((s) => s.task === 'explain');
export const classifyStages = (config: ExperimentConfig) => config.stages.filter((s) => s.task === 'classify');

/**
 * Loss sweep: one row per group of the sweep (its swept values, averaged over seeds), columns
 * ROUGE-1/2/L/Lsum of an explain stage, then label accuracy and, when the experiment has a
 * classifier, its macro-F1; the best mean of each column is marked.
 */
export function lossSweepTable(sweep: SweepResults, stageId: string): PaperTable {
  const keys = [...EXPLAIN_METRICS.map((m) => `${stageId}.${m}`), `${stageId}.labelAccuracy`, ...classifyStages(sweep.experiment).map((s) => `${s.id}.macroF1`)].filter((k) => sweep.metricKeys.includes(k));
  const columns = keys.map((key) => {
    const [model, metric] = [key.slice(0, key.lastIndexOf('.')), key.slice(key.lastIndexOf('.') + 1)];
    return { key, label: model === stageId ? metricLabel(metric) : `${model} ${metricLabel(metric)}`, lowerIsBetter: lowerIsBetter(metric) };
  });
  const rows = sweep.aggregate.map((g: SweepGroup) => ({ label: g.group, cells: keys.map((k) => g.metrics[k] ?? EMPTY) }));
  return { columns, rows: markBest(columns, rows) };
}

/** The models from the in-house teacher (or the seed set) to a stage: ['teacher', 'mid', 'small-staged']. */
export function chainOf(config: ExperimentConfig, stageId: string): string[] {
  const byId = new Map(config.stages.map((s) => [s.id, s]));
  const chain = [stageId];
  let at: StageConfig | undefined = byId.get(stageId);
  while (at && at.source !== 'teacher' && at.source !== SEED_SOURCE) {
    chain.unshift(at.source);
    at = byId.get(at.source);
  }
  return [at?.source === SEED_SOURCE ? SEED_SOURCE : 'teacher', ...chain];
}

/** Stages no later stage learns from: the final student of each chain. */
export function finalStudents(config: ExperimentConfig, task: 'explain' | 'classify' = 'explain'): StageConfig[] {
  const sources = new Set(config.stages.map((s) => s.source));
  return config.stages.filter((s) => s.task === task && !sources.has(s.id));
}

export interface ChainComparison {
  columns: PaperColumn[];
  /** One row per chain: its final student's metrics (mean ± CI over the group's runs). */
  chains: (PaperRow & { stageId: string; chain: string[]; preset: string; parameters: number | null })[];
  /** a − b per run, summarized over the runs; null without two chains. */
  difference: { a: string; b: string; cells: MetricSummary[] } | null;
}

/**
 * Staged vs direct for one group of the sweep (default: the first — with only seeds swept, the
 * only one): each chain's final explain student, and the difference between chains `a` and `b`
 * (default: the longest chain against the shortest one ending in the same student preset)
 * computed per run — both students train in the same run, so the difference is paired.
 */
export function stagedVsDirect(sweep: SweepResults, opts: { group?: string; a?: string; b?: string } = {}): ChainComparison {
  const config = sweep.experiment;
  const group = sweep.aggregate.find((g) => g.group === (opts.group ?? sweep.aggregate[0]?.group));
  const finals = finalStudents(config);
  const metrics = [...EXPLAIN_METRICS, 'labelAccuracy'].filter((m) => finals.some((s) => sweep.metricKeys.includes(`${s.id}.${m}`)));
  const columns = metrics.map((m) => ({ key: m, label: metricLabel(m), lowerIsBetter: lowerIsBetter(m) }));
  const rows = finals.map((s) => ({ label: chainOf(config, s.id).join(' → '), cells: metrics.map((m) => group?.metrics[`${s.id}.${m}`] ?? EMPTY) }));
  // The parameter count tells apart students of one preset with other dims (results.json's rows hold it).
  const groupRows = sweep.rows.filter((r) => !group || group.runs.includes(r.id));
  const parametersOf = (id: string) => groupRows.map((r) => r.parameters?.[id]).find((p) => typeof p === 'number') ?? null;
  const chains = markBest(columns, rows).map((r, i) => ({ ...r, stageId: finals[i]!.id, chain: chainOf(config, finals[i]!.id), preset: modelLabel(finals[i]!.student), parameters: parametersOf(finals[i]!.id) }));

  let difference: ChainComparison['difference'] = null;
  const byLength = [...chains].sort((x, y) => y.chain.length - x.chain.length);
  const longest = byLength[0];
  const a = opts.a ?? longest?.stageId;
  const b = opts.b ?? [...byLength].reverse().find((c) => c.stageId !== a && c.preset === longest?.preset && c.parameters === longest?.parameters)?.stageId ?? byLength.at(-1)?.stageId;
  if (a && b && a !== b && group) {
    const runs = sweep.rows.filter((r) => group.runs.includes(r.id) && r.status === 'done');
    const cells = metrics.map((m) => {
      const diffs = runs.map((r) => [r.metrics[`${a}.${m}`], r.metrics[`${b}.${m}`]]).filter((p): p is [number, number] => typeof p[0] === 'number' && typeof p[1] === 'number').map(([x, y]) => x - y);
      return summarize(diffs);
    });
    difference = { a, b, cells };
    // A ★ on a or b claims one chain is better; the paired difference is what says so. Where its
    // interval holds 0 (or there is none: one run), neither is marked.
    const separated = cells.map((c) => c.ci95 !== null && (c.ci95[0] > 0 || c.ci95[1] < 0));
    for (const chain of chains) if (chain.stageId === a || chain.stageId === b) chain.cells = chain.cells.map((cell, j) => (separated[j] ? cell : { ...cell, best: false }));
  }
  return { columns, chains, difference };
}

/** "0.412 [0.381, 0.443]": the mean and its 95% CI as results.json gives it (the mean alone when n < 2). */
export function formatSummary(s: MetricSummary, digits = 3): string {
  if (s.mean === null) return '—';
  if (!s.ci95) return s.mean.toFixed(digits);
  return `${s.mean.toFixed(digits)} [${s.ci95[0].toFixed(digits)}, ${s.ci95[1].toFixed(digits)}]`;
}
