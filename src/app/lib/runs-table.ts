// The compare view's runs table as data (pure): one row per run with its swept parameters and
// flat metrics, columns for each, sorting, filtering and grouping. Means and confidence intervals
// of a grouping come from the sweep code (aggregateRows), never from here.
import { aggregateRows, flatMetrics, type SweepGroup } from '../../experiment/run/sweep.ts';
import type { RunResults } from '../../experiment/run/pipeline.ts';
import { formatPath } from '../../experiment/paths.ts';
import { metricLabel, splitMetricKey, type SweepResults, type SweepRow } from './results.ts';

export type Row = SweepRow;

export type ColumnKind = 'param' | 'seed' | 'metric';
export interface Column {
  /** A config path (param), 'seed', or a flat metric key. */
  key: string;
  kind: ColumnKind;
  label: string;
}

export interface Table {
  rows: Row[];
  params: string[];
  metricKeys: string[];
}

export function tableOfSweep(sweep: SweepResults): Table {
  const params = [...new Set(sweep.rows.flatMap((r) => Object.keys(r.assignments)))];
  return { rows: sweep.rows, params, metricKeys: sweep.metricKeys };
}

/** Every leaf of a JSON value as path → JSON text (arrays of scalars count as one leaf). */
function leaves(value: unknown, at: (string | number)[] = [], out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) value.forEach((v, i) => leaves(v, [...at, i], out));
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) leaves(v, [...at, k], out);
  else out.set(formatPath(at), JSON.stringify(value));
  return out;
}

/**
 * Separate runs side by side: their parameters are the config paths whose values differ between
 * them (a "diff only" view), their metrics the flat metrics of each results.json.
 */
export function tableOfRuns(runs: readonly { id: string; name: string; results: RunResults }[]): Table {
  const flat = runs.map((r) => {
    const config = { ...r.results.experiment } as Record<string, unknown>;
    delete config.name;
    return leaves(config);
  });
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].filter((p) => p !== 'seed' && new Set(flat.map((f) => f.get(p))).size > 1);
  const rows: Row[] = runs.map((r, i) => ({
    id: r.id,
    group: r.name,
    assignments: Object.fromEntries(paths.map((p) => [p, flat[i]!.has(p) ? JSON.parse(flat[i]!.get(p)!) : null])),
    seed: r.results.experiment.seed,
    status: 'done',
    metrics: flatMetrics(r.results),
  }));
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  return { rows, params: paths, metricKeys };
}

export function columnsOf(table: Table): Column[] {
  return [
    ...table.params.map((p): Column => ({ key: p, kind: 'param', label: p })),
    { key: 'seed', kind: 'seed', label: 'seed' },
    ...table.metricKeys.map((k): Column => {
      const { model, metric } = splitMetricKey(k);
      return { key: k, kind: 'metric', label: `${model} ${metricLabel(metric)}` };
    }),
  ];
}

export function cellValue(row: Row, column: Column): unknown {
  if (column.kind === 'param') return row.assignments[column.key] ?? null;
  if (column.kind === 'seed') return row.seed;
  return row.metrics[column.key] ?? null;
}

/** Numbers compare as numbers, anything else as its text; empty cells always sort last. */
export function sortRows(rows: readonly Row[], column: Column, direction: 'asc' | 'desc'): Row[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = cellValue(a, column);
    const y = cellValue(b, column);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(typeof x === 'string' ? x : JSON.stringify(x)).localeCompare(String(typeof y === 'string' ? y : JSON.stringify(y)));
  });
}

/** A filter per column: the values kept (parameters, seeds) or a closed range (metrics, brushed axes). */
export type ColumnFilter = { values: unknown[] } | { range: [number, number] };

export function matches(value: unknown, filter: ColumnFilter): boolean {
  if ('values' in filter) return filter.values.some((v) => JSON.stringify(v) === JSON.stringify(value));
  return typeof value === 'number' && value >= filter.range[0] && value <= filter.range[1];
}

export function filterRows(rows: readonly Row[], columns: readonly Column[], filters: Readonly<Record<string, ColumnFilter>>): Row[] {
  const active = columns.filter((c) => filters[c.key]);
  return rows.filter((r) => active.every((c) => matches(cellValue(r, c), filters[c.key]!)));
}

/** The distinct values of a column, in first-seen order. */
export function distinctValues(rows: readonly Row[], column: Column): unknown[] {
  const seen = new Map<string, unknown>();
  for (const r of rows) {
    const v = cellValue(r, column);
    seen.set(JSON.stringify(v), v);
  }
  return [...seen.values()];
}

/**
 * Rows grouped by the values of some parameters or 'seed' (none: each row is its own group; every
 * parameter: the sweep's own groups over seeds), each group with the mean, standard deviation and
 * 95% CI of every metric as the sweep code computes them.
 */
export function groupRows(rows: readonly Row[], by: readonly string[], metricKeys: readonly string[]): SweepGroup[] {
  const regrouped = rows.map((r) => {
    const assignments = Object.fromEntries(by.map((p) => [p, p === 'seed' ? r.seed : (r.assignments[p] ?? null)]));
    const group = by.length ? by.map((p) => `${p.split('.').at(-1)}=${typeof assignments[p] === 'string' ? assignments[p] : JSON.stringify(assignments[p])}`).join(' · ') : r.id;
    return { ...r, group, assignments };
  });
  return aggregateRows(regrouped, metricKeys);
}

/** Display text of a cell value (numbers to 4 significant digits). */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return typeof value === 'string' ? value : JSON.stringify(value);
}
