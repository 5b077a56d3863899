// uPlot data and options for a loss chart: the raw training curve faint behind its smoothed line,
// the validation curve as points, optionally a band (min–max over seeds). Curves are downsampled
// to about two points per pixel first, so a 100k-step run draws as fast as a short one.
import uPlot from 'uplot';
import { downsampleMinMax, emaSmooth, forLogScale, type Band } from '../lib/chart-data.ts';

export type Points = readonly (readonly [number, number])[];

export interface LossChartInput {
  train: Points;
  val: Points;
  /** EMA weight in [0, 1). */
  smoothing: number;
  log: boolean;
  /** Points per curve after downsampling. */
  maxPoints: number;
}

const xy = (points: Points) => ({ x: points.map((p) => p[0]), y: points.map((p) => p[1]) });

/** Aligned data: [steps, raw train, smoothed train, val]. */
export function lossChartData({ train, val, smoothing, log, maxPoints }: LossChartInput): uPlot.AlignedData {
  const t = xy(train);
  const smooth = { x: t.x, y: Array.from(emaSmooth(t.y, smoothing)) };
  const raw = downsampleMinMax(t, maxPoints);
  const smoothed = downsampleMinMax(smooth, maxPoints);
  const v = downsampleMinMax(xy(val), maxPoints);
  const fix = (y: number[]) => (log ? forLogScale(y) : y);
  return uPlot.join([
    [raw.x, fix(raw.y)] as uPlot.AlignedData,
    [smoothed.x, fix(smoothed.y)] as uPlot.AlignedData,
    [v.x, fix(v.y)] as uPlot.AlignedData,
  ]);
}

/** Steps are whole numbers: ticks never fall between them. */
const STEP_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

export const COLORS = ['#c46a12', '#2f6fde', '#1f7a3a', '#8e44ad', '#b3261e', '#0e8a8a', '#7a5c12', '#d1497b'];

export function lossChartOptions(width: number, log: boolean, color = COLORS[0]!): uPlot.Options {
  return {
    width,
    height: 220,
    scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
    axes: [{ label: 'step', incrs: STEP_INCRS }, { label: 'loss', size: 60 }],
    legend: { live: true },
    series: [
      { label: 'step' },
      { label: 'train (raw)', stroke: `${color}40`, width: 1, spanGaps: true },
      { label: 'train (smoothed)', stroke: color, width: 2, spanGaps: true },
      { label: 'validation', stroke: '#1d2330', width: 1.5, spanGaps: true, points: { show: true, size: 6 } },
    ],
  };
}

/** Several groups' mean curves with their bands: [steps, mean₁, lo₁, hi₁, mean₂, …]. */
export function bandChartData(bands: readonly Band[], smoothing: number, log: boolean, maxPoints: number): uPlot.AlignedData {
  const fix = (y: number[]) => (log ? forLogScale(y) : y);
  const tables = bands.flatMap((b) => {
    const mean = downsampleMinMax({ x: b.x, y: Array.from(emaSmooth(b.mean, smoothing)) }, maxPoints);
    const lo = downsampleMinMax({ x: b.x, y: Array.from(emaSmooth(b.lo, smoothing)) }, maxPoints);
    const hi = downsampleMinMax({ x: b.x, y: Array.from(emaSmooth(b.hi, smoothing)) }, maxPoints);
    return [[mean.x, fix(mean.y)], [lo.x, fix(lo.y)], [hi.x, fix(hi.y)]] as uPlot.AlignedData[];
  });
  return tables.length ? uPlot.join(tables) : [[]];
}

export function bandChartOptions(width: number, log: boolean, labels: readonly string[]): uPlot.Options {
  const series: uPlot.Series[] = [{ label: 'step' }];
  const bands: uPlot.Band[] = [];
  labels.forEach((label, i) => {
    const color = COLORS[i % COLORS.length]!;
    const base = 1 + i * 3;
    series.push({ label: `${label} (mean)`, stroke: color, width: 2, spanGaps: true });
    series.push({ label: `${label} (min)`, stroke: `${color}00`, spanGaps: true });
    series.push({ label: `${label} (max)`, stroke: `${color}00`, spanGaps: true });
    bands.push({ series: [base + 2, base + 1], fill: `${color}26` });
  });
  return { width, height: 260, scales: { x: { time: false }, y: log ? { distr: 3 } : {} }, axes: [{ label: 'step', incrs: STEP_INCRS }, { label: 'loss', size: 60 }], series, bands };
}
