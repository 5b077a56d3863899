// Presentation transforms for charts (pure, unit-tested): smoothing, downsampling and grouping of
// loss curves. They change how a curve is drawn, never a metric: metrics and their confidence
// intervals come from results.json (src/experiment/run, src/metrics).

export interface Curve {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/**
 * TensorBoard's smoothing: an exponential moving average `last = last·w + (1−w)·y` started at 0
 * and debiased by `1 − wⁿ` (n = finite points so far), so the first points are not pulled toward
 * 0. Non-finite points pass through unchanged and do not move the average. w ∈ [0, 1); 0 = raw.
 */
export function emaSmooth(y: ArrayLike<number>, weight: number): Float64Array {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1) (got ${weight})`);
  const out = new Float64Array(y.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/**
 * At most `maxPoints` points that keep the curve's shape: the points are cut into
 * ⌊maxPoints / 2⌋ equal runs of indices and each run keeps its lowest and its highest point, in
 * order of x (spikes survive, unlike bucket means). A curve that already fits is returned as is.
 */
export function downsampleMinMax(curve: Curve, maxPoints: number): { x: number[]; y: number[] } {
  const n = curve.x.length;
  if (n <= maxPoints || maxPoints < 2) return { x: Array.from(curve.x), y: Array.from(curve.y) };
  const buckets = Math.floor(maxPoints / 2);
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (curve.y[i]! < curve.y[lo]!) lo = i;
      if (curve.y[i]! > curve.y[hi]!) hi = i;
    }
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      x.push(curve.x[i]!);
      y.push(curve.y[i]!);
    }
  }
  return { x, y };
}

export interface Band {
  x: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  /** How many curves had a point at each x. */
  count: number[];
}

/**
 * Curves of one group (the runs that differ only by seed) as their mean with a band from the
 * lowest to the highest curve, at every x any curve has (each x averages the curves that have it).
 */
export function groupBand(curves: readonly Curve[]): Band {
  const at = new Map<number, number[]>();
  for (const c of curves) {
    for (let i = 0; i < c.x.length; i++) {
      const v = c.y[i]!;
      if (!Number.isFinite(v)) continue;
      const list = at.get(c.x[i]!);
      if (list) list.push(v);
      else at.set(c.x[i]!, [v]);
    }
  }
  const xs = [...at.keys()].sort((a, b) => a - b);
  const band: Band = { x: xs, mean: [], lo: [], hi: [], count: [] };
  for (const x of xs) {
    const vs = at.get(x)!;
    band.mean.push(vs.reduce((a, b) => a + b, 0) / vs.length);
    band.lo.push(Math.min(...vs));
    band.hi.push(Math.max(...vs));
    band.count.push(vs.length);
  }
  return band;
}

/** A log-scaled axis cannot show values ≤ 0: they become gaps (null) instead of breaking the scale. */
export function forLogScale(y: ArrayLike<number | null>): (number | null)[] {
  return Array.from(y, (v) => (v !== null && v > 0 ? v : null));
}

/** Equal-width histogram of values in [lo, hi] (the last bin includes hi). */
export function histogram(values: readonly number[], bins: number, lo = 0, hi = 1): { lo: number; hi: number; count: number }[] {
  if (!(bins >= 1) || !(hi > lo)) throw new RangeError('a histogram needs at least one bin over a non-empty range');
  const width = (hi - lo) / bins;
  const out = Array.from({ length: bins }, (_, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count: 0 }));
  for (const v of values) {
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    out[Math.min(bins - 1, Math.floor((v - lo) / width))]!.count++;
  }
  return out;
}
