// Parallel coordinates (pure): one vertical axis per column (swept parameters, then metrics), a
// line per run through its values; a brush (a range on an axis) keeps the runs whose value falls
// in it. Positions are 0 (bottom) … 1 (top).
import { cellValue, type Column, type ColumnFilter, type Row } from './runs-table.ts';

export interface Axis {
  column: Column;
  kind: 'numeric' | 'categorical';
  /** Numeric: [min, max] of the values; categorical: the categories bottom to top. */
  min: number;
  max: number;
  categories: string[];
  /** The values the categories stand for (same order). */
  categoryValues: unknown[];
  /** Position of a value on the axis, or null when it has none. */
  position(value: unknown): number | null;
  /** The axis' tick labels with their positions. */
  ticks: { at: number; label: string }[];
}

const key = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function buildAxis(rows: readonly Row[], column: Column): Axis {
  const values = rows.map((r) => cellValue(r, column)).filter((v) => v !== null && v !== undefined);
  const numeric = values.length > 0 && values.every((v) => typeof v === 'number');
  if (numeric) {
    const nums = values as number[];
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    const span = max - min;
    const position = (v: unknown) => (typeof v === 'number' ? (span > 0 ? (v - min) / span : 0.5) : null);
    const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(3));
    const ticks = span > 0 ? [0, 0.5, 1].map((at) => ({ at, label: fmt(min + at * span) })) : [{ at: 0.5, label: fmt(min) }];
    return { column, kind: 'numeric', min, max, categories: [], categoryValues: [], position, ticks };
  }
  const byKey = new Map(values.map((v) => [key(v), v]));
  const categories = [...byKey.keys()];
  const position = (v: unknown) => {
    const i = v === null || v === undefined ? -1 : categories.indexOf(key(v));
    return i < 0 ? null : categories.length === 1 ? 0.5 : i / (categories.length - 1);
  };
  return { column, kind: 'categorical', min: 0, max: categories.length - 1, categories, categoryValues: [...byKey.values()], position, ticks: categories.map((c) => ({ at: position(c)!, label: c })) };
}

/** The table filter a brush from position `lo` to `hi` on an axis stands for. */
export function brushFilter(axis: Axis, lo: number, hi: number): ColumnFilter {
  const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
  if (axis.kind === 'numeric') {
    const span = axis.max - axis.min;
    return { range: [axis.min + a * span, axis.min + b * span] };
  }
  return { values: axis.categoryValues.filter((v) => axis.position(v)! >= a && axis.position(v)! <= b) };
}
