import { describe, expect, it } from 'vitest';
import { latencyStats, quantile } from '../../src/metrics/latency.ts';

describe('quantile (numpy linear)', () => {
  it('interpolates between neighbouring ranks like numpy.percentile', () => {
    // numpy.percentile([1, 2, 3, 4], [50, 95]) → [2.5, 3.85]
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([4, 1, 3, 2], 0.95)).toBeCloseTo(3.85, 12);
    // numpy.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 95) → 95.5
    expect(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95)).toBeCloseTo(95.5, 12);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([1, 2, 3], 0)).toBe(1);
    expect(quantile([1, 2, 3], 1)).toBe(3);
  });

  it('refuses an empty list and q outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});

describe('latencyStats', () => {
  it('reports p50/p95, mean, extremes and throughput', () => {
    const s = latencyStats([10, 20, 30, 40]);
    expect(s).toMatchObject({ count: 4, p50Ms: 25, meanMs: 25, minMs: 10, maxMs: 40 });
    expect(s.p95Ms).toBeCloseTo(38.5, 12);
    // 4 items in 100 ms → 40 items/s
    expect(s.throughputPerSec).toBeCloseTo(40, 12);
  });

  it('counts batch sizes in throughput', () => {
    expect(latencyStats([100, 100], 8).throughputPerSec).toBeCloseTo(80, 12);
    expect(latencyStats([100, 300], [4, 12]).throughputPerSec).toBeCloseTo(40, 12);
  });

  it('gives nulls, not NaN, for no timings or an unmeasurably fast clock', () => {
    expect(latencyStats([])).toEqual({ count: 0, p50Ms: null, p95Ms: null, meanMs: null, minMs: null, maxMs: null, throughputPerSec: null });
    expect(latencyStats([0, 0]).throughputPerSec).toBeNull();
  });

  it('rejects negative or non-finite timings', () => {
    expect(() => latencyStats([5, -1])).toThrow(RangeError);
    expect(() => latencyStats([Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => latencyStats([1, 2], [1])).toThrow(RangeError);
  });
});
