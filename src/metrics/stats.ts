// Summaries over repeated runs (a sweep's seeds): mean, sample standard deviation (n − 1) and a
// two-sided 95% confidence interval of the mean from Student's t, mean ± t(0.975, n−1)·s/√n —
// what scipy.stats.t.interval(0.95, n−1, mean, sem) gives. t comes from a table for 1–30 degrees
// of freedom (scipy values) and the Cornish–Fisher expansion beyond (error < 1e-4 there).

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

export function summarize(values: readonly number[]): Summary {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`value[${i}] = ${v} is not a finite number`);
  });
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null, ci95: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: null, ci95: null };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = (tCritical95(n - 1) * std) / Math.sqrt(n);
  return { n, mean, std, ci95: [mean - half, mean + half] };
}
