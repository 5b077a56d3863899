// Honest intervals, all two-sided 95%:
//   over seeds (a sweep's repeated runs): mean ± t(0.975, n−1)·s/√n — what
//     scipy.stats.t.interval(0.95, n−1, mean, sem) gives — clamped to the metric's range (a
//     proportion's interval never leaves [0, 1]), with n alongside. t comes from a table for 1–30
//     degrees of freedom (scipy values) and the Cornish–Fisher expansion beyond (error < 1e-4).
//   over test pairs, for a proportion (accuracy): the Wilson score interval — what
//     scipy.stats.binomtest(k, n).proportion_ci(method='wilson') gives; it stays inside [0, 1] and
//     is sensible at k = 0 or k = n, where the normal approximation collapses to a point.
//   over test pairs, for any other per-pair statistic (macro-F1, mean ROUGE): the percentile
//     bootstrap (pairs resampled with replacement, seeded, so the same run gives the same interval).
// These are a few lines each; the npm statistics packages that have them (jStat, @stdlib) would
// each bring far more code than they replace, and the tests pin the values to scipy's.
import { createRng } from '../data/rng.ts';
import { quantile } from './latency.ts';

/** t(0.975, df) for df = 1…30 (scipy.stats.t.ppf). */
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787,
  2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407,
  2.04523, 2.042272,
];
const Z975 = 1.959963984540054;

/** The 97.5th percentile of Student's t with `df` degrees of freedom. */
export function tCritical95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a positive integer (got ${df})`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = Z975;
  const [z3, z5, z7] = [z ** 3, z ** 5, z ** 7];
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

export interface Summary {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1); null below 2 values. */
  std: number | null;
  /** 95% confidence interval of the mean; null below 2 values. */
  ci95: [number, number] | null;
}

/** A metric's possible values: [0, 1] for proportions and F-scores, [0, ∞) for losses and times. */
export type MetricRange = readonly [number, number];
export const UNIT_RANGE: MetricRange = [0, 1];
export const NON_NEGATIVE: MetricRange = [0, Number.POSITIVE_INFINITY];

const clampTo = (x: number, [lo, hi]: MetricRange) => Math.min(hi, Math.max(lo, x));

/** Mean, std and the t-interval of the mean; `range` clamps the interval (the values must lie in it). */
export function summarize(values: readonly number[], range?: MetricRange): Summary {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`value[${i}] = ${v} is not a finite number`);
  });
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null, ci95: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: null, ci95: null };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (tCritical95(n - 1) * std) / Math.sqrt(n);
  const ci95: [number, number] = [mean - half, mean + half];
  return { n, mean, std, ci95: range ? [clampTo(ci95[0], range), clampTo(ci95[1], range)] : ci95 };
}

/** An interval with how it was computed and over how many items. */
export interface Interval {
  lo: number;
  hi: number;
  method: 'wilson' | 'bootstrap' | 't';
  /** Items the interval is over: test pairs (wilson, bootstrap) or runs (t). */
  n: number;
}

/** Wilson score 95% interval of the proportion `successes / n`; null for n = 0. */
export function wilsonInterval(successes: number, n: number): Interval | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer (got ${n})`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`successes must be an integer in [0, ${n}] (got ${successes})`);
  if (n === 0) return null;
  const z = Z975;
  const p = successes / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = ((z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n)));
  // At k = 0 and k = n the exact bound is 0 or 1; the formula reaches it only up to rounding.
  return { lo: successes === 0 ? 0 : Math.max(0, centre - half), hi: successes === n ? 1 : Math.min(1, centre + half), method: 'wilson', n };
}

export const BOOTSTRAP_RESAMPLES = 1000;

/**
 * Percentile-bootstrap 95% interval of `statistic` over `n` items: the statistic of `resamples`
 * resamples of the item indices (with replacement, from `seed`), cut at 2.5% and 97.5%; null for
 * n = 0. `range` clamps it (a resampled statistic already lies in its range; this guards rounding).
 */
export function bootstrapInterval(n: number, statistic: (indices: readonly number[]) => number, opts: { resamples?: number; seed?: number; range?: MetricRange } = {}): Interval | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer (got ${n})`);
  if (n === 0) return null;
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const rng = createRng(opts.seed ?? 0);
  const stats: number[] = [];
  const indices = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = rng.int(0, n - 1);
    stats.push(statistic(indices));
  }
  const range = opts.range ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  return { lo: clampTo(quantile(stats, 0.025), range), hi: clampTo(quantile(stats, 0.975), range), method: 'bootstrap', n };
}

/** Bootstrap interval of the mean of per-item values (mean ROUGE over test pairs). */
export function bootstrapMeanInterval(values: readonly number[], opts: { resamples?: number; seed?: number; range?: MetricRange } = {}): Interval | null {
  return bootstrapInterval(values.length, (idx) => idx.reduce((a, i) => a + values[i]!, 0) / idx.length, opts);
}
