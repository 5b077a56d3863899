import { describe, expect, it } from 'vitest';
import { downsampleMinMax, emaSmooth, forLogScale, groupBand, histogram } from '../../src/app/lib/chart-data.ts';

describe('emaSmooth (TensorBoard, debiased)', () => {
  it('matches hand-computed values', () => {
    // w = 0.5: last 0.5 → /0.5 = 1; last 0.25 + 1 = 1.25 → /0.75; last 0.625 + 1.5 = 2.125 → /0.875.
    const s = emaSmooth([1, 2, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.25 / 0.75, 12);
    expect(s[2]).toBeCloseTo(2.125 / 0.875, 12);
  });
  it('is the raw curve at weight 0 and a constant stays constant at any weight', () => {
    expect(Array.from(emaSmooth([3, 1, 4], 0))).toEqual([3, 1, 4]);
    for (const v of emaSmooth([2, 2, 2, 2], 0.99)) expect(v).toBeCloseTo(2, 10);
  });
  it('passes non-finite points through without moving the average', () => {
    const s = emaSmooth([1, NaN, 3], 0.5);
    expect(s[1]).toBeNaN();
    // Only two finite points: as emaSmooth([1, 3]).
    expect(s[2]).toBeCloseTo((0.25 + 1.5) / 0.75, 12);
  });
  it('rejects weights outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(/\[0, 1\)/);
    expect(() => emaSmooth([1], -0.1)).toThrow();
  });
});

describe('downsampleMinMax', () => {
  it('keeps each bucket\'s lowest and highest point in x order', () => {
    const x = [0, 1, 2, 3, 4, 5, 6, 7];
    const y = [5, 1, 9, 3, 2, 8, 7, 4];
    // 4 points → 2 buckets: indices 0–3 (min 1 at 1, max 9 at 2) and 4–7 (min 2 at 4, max 8 at 5).
    expect(downsampleMinMax({ x, y }, 4)).toEqual({ x: [1, 2, 4, 5], y: [1, 9, 2, 8] });
  });
  it('returns a curve that already fits unchanged', () => {
    expect(downsampleMinMax({ x: [1, 2], y: [3, 4] }, 10)).toEqual({ x: [1, 2], y: [3, 4] });
  });
  it('brings 100k points down to the budget and keeps the extremes', () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => (i === 54_321 ? 100 : Math.sin(i / 1000)));
    const d = downsampleMinMax({ x, y }, 1000);
    expect(d.x.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...d.y)).toBe(100);
    expect(d.x).toEqual([...d.x].sort((a, b) => a - b));
  });
});

describe('groupBand', () => {
  it('averages the curves at each step with a min–max band', () => {
    const band = groupBand([
      { x: [1, 2, 3], y: [4, 2, 1] },
      { x: [1, 2, 3], y: [6, 4, 3] },
      { x: [1, 2], y: [5, 9] },
    ]);
    expect(band.x).toEqual([1, 2, 3]);
    expect(band.mean).toEqual([5, 5, 2]);
    expect(band.lo).toEqual([4, 2, 1]);
    expect(band.hi).toEqual([6, 9, 3]);
    expect(band.count).toEqual([3, 3, 2]);
  });
});

describe('forLogScale and histogram', () => {
  it('turns values a log axis cannot show into gaps', () => {
    expect(forLogScale([1, 0, -2, null, 0.5])).toEqual([1, null, null, null, 0.5]);
  });
  it('counts values into equal-width bins, the last one closed', () => {
    expect(histogram([0, 0.1, 0.5, 0.99, 1, 2], 2).map((b) => b.count)).toEqual([2, 3]);
  });
});
