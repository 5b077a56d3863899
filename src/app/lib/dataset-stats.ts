// What the Data page charts about a dataset: label balance, review states and length distributions.
// Bars come with their fraction of the tallest bar, so components only lay them out.
import { FIT_LABELS } from '../../data/schema.ts';
import { quantile } from '../../metrics/latency.ts';
import { REVIEW_STATES, type ExampleRow } from './example-rows.ts';

export interface Bar {
  key: string;
  label: string;
  count: number;
  /** count / the largest count of the chart (0 when every count is 0). */
  fraction: number;
}

function bars(entries: [key: string, label: string, count: number][]): Bar[] {
  const max = Math.max(0, ...entries.map(([, , c]) => c));
  return entries.map(([key, label, count]) => ({ key, label, count, fraction: max === 0 ? 0 : count / max }));
}

export function labelBalance(rows: readonly ExampleRow[]): Bar[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.label ?? 'unlabelled', (counts.get(r.label ?? 'unlabelled') ?? 0) + 1);
  return bars([...FIT_LABELS.map((l) => [l, l, counts.get(l) ?? 0] as [string, string, number]), ['unlabelled', 'no label', counts.get('unlabelled') ?? 0]]);
}

export function reviewBalance(rows: readonly ExampleRow[]): Bar[] {
  return bars(REVIEW_STATES.map((s) => [s, s, rows.filter((r) => r.review === s).length]));
}

export interface LengthStats {
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
  histogram: Bar[];
}

/** Summary and an equal-width histogram (`bins` bins from min to max) of lengths; null for none. */
export function lengthStats(values: readonly number[], bins = 10): LengthStats | null {
  if (values.length === 0) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const width = Math.max(1, Math.ceil((max - min + 1) / bins));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))]!++;
  const histogram = bars(counts.map((c, i) => [String(i), `${min + i * width}–${min + (i + 1) * width - 1}`, c]));
  return { min, median: quantile(values, 0.5), p95: quantile(values, 0.95), max, mean: values.reduce((a, b) => a + b, 0) / values.length, histogram };
}
