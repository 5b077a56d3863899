// The few numbers the run list shows per run: each final student's headline metric (ROUGE-L for
// an explainer, macro-F1 for a classifier), read from the run record's flat summary.
import type { ExperimentConfig } from '../../experiment/schema.ts';
import { finalStudents } from './paper-views.ts';
import { metricLabel, type AnyResults } from './results.ts';
import { flatMetrics } from '../../experiment/run/sweep.ts';
import type { ShareSummary } from '../../experiment/share-link.ts';

export interface Headline {
  label: string;
  value: number;
}

export function headlineMetrics(config: ExperimentConfig, summary: Readonly<Record<string, number>> | undefined): Headline[] {
  if (!summary) return [];
  const picks = [...finalStudents(config, 'explain').map((s) => [s.id, 'rougeL'] as const), ...finalStudents(config, 'classify').map((s) => [s.id, 'macroF1'] as const)];
  return picks.filter(([id, m]) => typeof summary[`${id}.${m}`] === 'number').map(([id, m]) => ({ label: `${id} ${metricLabel(m)}`, value: summary[`${id}.${m}`]! }));
}

const SUMMARY_ROWS = 32;
const SUMMARY_METRICS = 16;

/**
 * The results summary a share link may carry (share-link.ts bounds it): per stage of a run its
 * non-empty flat metrics, or per group of a sweep the means of its final students' metrics.
 */
export function shareSummaryOf(results: AnyResults): ShareSummary {
  const rows: [string, Record<string, number>][] = [];
  if (results.kind === 'run') {
    const flat = flatMetrics(results.results);
    for (const s of results.results.stages) {
      const metrics = Object.entries(flat).filter((kv): kv is [string, number] => kv[0].startsWith(`${s.id}.`) && typeof kv[1] === 'number' && !/latency|throughput/i.test(kv[0]));
      rows.push([s.id, Object.fromEntries(metrics.slice(0, SUMMARY_METRICS).map(([k, v]) => [k.slice(s.id.length + 1), v]))]);
    }
  } else {
    const finals = [...finalStudents(results.results.experiment, 'explain'), ...finalStudents(results.results.experiment, 'classify')];
    for (const g of results.results.aggregate) {
      const metrics: Record<string, number> = {};
      for (const s of finals) {
        for (const m of s.task === 'explain' ? ['rougeL', 'rouge1'] : ['macroF1', 'accuracy']) {
          const mean = g.metrics[`${s.id}.${m}`]?.mean;
          if (typeof mean === 'number' && Object.keys(metrics).length < SUMMARY_METRICS) metrics[`${s.id}.${m}`.slice(0, 40)] = mean;
        }
      }
      rows.push([(g.group || 'run').slice(0, 60), metrics]);
    }
  }
  return Object.fromEntries(rows.filter(([, m]) => Object.keys(m).length > 0).slice(0, SUMMARY_ROWS));
}
