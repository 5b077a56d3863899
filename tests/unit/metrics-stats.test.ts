import { describe, expect, it } from 'vitest';
import { bootstrapInterval, bootstrapMeanInterval, summarize, tCritical95, UNIT_RANGE, wilsonInterval } from '../../src/metrics/stats.ts';

describe('summaries over seeds', () => {
  it('gives mean, sample std and the t-based 95% CI (scipy.stats.t.interval values)', () => {
    const s = summarize([1, 2, 3, 4, 5]);
    expect(s.mean).toBe(3);
    expect(s.std).toBeCloseTo(1.5811388300841898, 12);
    expect(s.ci95![0]).toBeCloseTo(1.036756838522439, 5);
    expect(s.ci95![1]).toBeCloseTo(4.9632431614775605, 5);
  });

  it('uses t beyond the table within 1e-4 of scipy', () => {
    // scipy.stats.t.ppf(0.975, df) for df = 31, 40, 60, 100, 1000
    const scipy: [number, number][] = [[31, 2.039513], [40, 2.021075], [60, 2.000298], [100, 1.983972], [1000, 1.962339]];
    for (const [df, t] of scipy) expect(Math.abs(tCritical95(df) - t)).toBeLessThan(1e-4);
    expect(tCritical95(4)).toBeCloseTo(2.776445, 6);
  });

  it('has no spread or interval for fewer than two values', () => {
    expect(summarize([])).toEqual({ n: 0, mean: null, std: null, ci95: null });
    expect(summarize([0.4])).toEqual({ n: 1, mean: 0.4, std: null, ci95: null });
    expect(summarize([2, 2, 2]).ci95).toEqual([2, 2]);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
  });
});

describe('intervals that respect a metric\'s range', () => {
  it('clamps the t-interval over seeds to the range', () => {
    const raw = summarize([0.9, 1, 0.95]);
    expect(raw.ci95![1]).toBeGreaterThan(1);
    const clamped = summarize([0.9, 1, 0.95], UNIT_RANGE);
    expect(clamped.ci95![0]).toBeCloseTo(raw.ci95![0], 12);
    expect(clamped.ci95![1]).toBe(1);
    expect(clamped.n).toBe(3);
  });

  it('gives the Wilson interval of a proportion (scipy binomtest(k, n).proportion_ci(method="wilson"))', () => {
    const scipy: [number, number, number, number][] = [
      [7, 10, 0.39677814746114526, 0.892208732593699],
      [0, 10, 0, 0.27753279986288926],
      [10, 10, 0.7224672001371109, 1],
      [45, 60, 0.6276792992295218, 0.8422347746994333],
      [1, 4, 0.04558726080970055, 0.6993581574175981],
    ];
    for (const [k, n, lo, hi] of scipy) {
      const ci = wilsonInterval(k, n)!;
      expect(ci.lo).toBeCloseTo(lo, 10);
      expect(ci.hi).toBeCloseTo(hi, 10);
      expect(ci).toMatchObject({ method: 'wilson', n });
    }
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
  });

  it('bootstraps a statistic over items: seeded, inside the observed range, collapsing when items agree', () => {
    const values = [0.1, 0.4, 0.35, 0.8, 0.6, 0.2, 0.55, 0.9, 0.3, 0.45];
    const a = bootstrapMeanInterval(values, { seed: 3 })!;
    expect(bootstrapMeanInterval(values, { seed: 3 })).toEqual(a);
    const mean = values.reduce((x, y) => x + y, 0) / values.length;
    expect(a.lo).toBeLessThan(mean);
    expect(a.hi).toBeGreaterThan(mean);
    expect(a.lo).toBeGreaterThanOrEqual(0.1);
    expect(a.hi).toBeLessThanOrEqual(0.9);
    // Roughly mean ± 1.96·s/√n for a mean (the bootstrap's large-sample behaviour).
    const s = summarize(values).std!;
    expect(a.hi - a.lo).toBeGreaterThan(2 * 1.5 * (s / Math.sqrt(values.length)));
    expect(a.hi - a.lo).toBeLessThan(2 * 2.5 * (s / Math.sqrt(values.length)));
    expect(bootstrapMeanInterval([0.5, 0.5, 0.5])).toMatchObject({ lo: 0.5, hi: 0.5, method: 'bootstrap', n: 3 });
    expect(bootstrapMeanInterval([])).toBeNull();
    // Any statistic of the resampled indices: here the maximum.
    const max = bootstrapInterval(values.length, (idx) => Math.max(...idx.map((i) => values[i]!)), { seed: 1 })!;
    expect(max.hi).toBe(0.9);
  });
});
