import { describe, expect, it } from 'vitest';
import { summarize, tCritical95 } from '../../src/metrics/stats.ts';

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
