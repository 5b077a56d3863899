import { describe, expect, it } from 'vitest';
import { calibrationFromProbabilities, classificationReport, expectedCalibrationError } from '../../src/metrics/classification.ts';

const FIT = ['low', 'medium', 'high'];

describe('classificationReport', () => {
  it('computes accuracy, per-class P/R/F1, macro-F1 and the confusion matrix (worked example)', () => {
    // truth: low low med med high high · predicted: low med med med high low
    const r = classificationReport([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], FIT);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    // low: P = 1/2, R = 1/2 · medium: P = 2/3, R = 1 · high: P = 1, R = 1/2
    expect(r.perClass.map((c) => [c.label, c.precision, c.recall, c.support])).toEqual([
      ['low', 0.5, 0.5, 2],
      ['medium', 2 / 3, 1, 2],
      ['high', 1, 0.5, 2],
    ]);
    expect(r.perClass.map((c) => c.f1)).toEqual([0.5, expect.closeTo(0.8, 12), expect.closeTo(2 / 3, 12)]);
    expect(r.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
  });

  it('gives 0 (not NaN) for classes never predicted', () => {
    const r = classificationReport([0, 1, 2], [0, 0, 0], FIT);
    expect(r.perClass[1]).toEqual({ label: 'medium', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.perClass[0]!.f1).toBeCloseTo(0.5, 12); // P = 1/3, R = 1
    expect(r.macroF1).toBeCloseTo(0.5 / 3, 12);
    expect(Number.isNaN(r.macroF1)).toBe(false);
  });

  it('averages macro-F1 over the classes that occur (a single class can score 1)', () => {
    const r = classificationReport([2, 2, 2], [2, 2, 2], FIT);
    expect(r.accuracy).toBe(1);
    expect(r.macroF1).toBe(1);
    expect(r.perClass[0]).toEqual({ label: 'low', precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('handles empty input without NaN', () => {
    const r = classificationReport([], [], FIT);
    expect(r).toMatchObject({ n: 0, accuracy: 0, macroF1: 0 });
    expect(r.confusion.flat().every((v) => v === 0)).toBe(true);
  });

  it('rejects mismatched lengths and out-of-range classes', () => {
    expect(() => classificationReport([0, 1], [0], FIT)).toThrow(RangeError);
    expect(() => classificationReport([3], [0], FIT)).toThrow(/not a class index/);
    expect(() => classificationReport([0], [0.5], FIT)).toThrow(/not a class index/);
  });
});

describe('expected calibration error', () => {
  it('weights each bin by its share of examples (worked example, 2 bins)', () => {
    // (0, .5]: {.3 wrong} → |0 − .3| · 1/4 · (.5, 1]: {.9 ok, .8 wrong, .6 ok} → |2/3 − .7667| · 3/4
    const c = expectedCalibrationError([0.9, 0.8, 0.6, 0.3], [true, false, true, false], 2);
    expect(c.ece).toBeCloseTo(0.3 / 4 + (Math.abs(2 / 3 - 2.3 / 3) * 3) / 4, 12);
    expect(c.bins.map((b) => b.count)).toEqual([1, 3]);
    expect(c.bins[1]!.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('puts boundary confidences in the lower bin, 0 in the first and 1 in the last', () => {
    const c = expectedCalibrationError([0, 0.1, 0.7, 1], [true, true, true, true], 10);
    expect(c.bins.map((b) => b.count)).toEqual([2, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
  });

  it('is 0 for a perfectly calibrated model and 0 with no examples', () => {
    expect(expectedCalibrationError([1, 1], [true, true]).ece).toBe(0);
    expect(expectedCalibrationError([0.5, 0.5], [true, false], 10).ece).toBeCloseTo(0, 12);
    expect(expectedCalibrationError([], []).ece).toBe(0);
  });

  it('reads confidence and correctness from probability rows', () => {
    const c = calibrationFromProbabilities([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], [0, 0], 10);
    // .7 correct → |1 − .7| · 1/2 ; .6 wrong → |0 − .6| · 1/2
    expect(c.ece).toBeCloseTo(0.15 + 0.3, 12);
    expect(c.bins[6]!.count).toBe(1);
    expect(c.bins[5]!.count).toBe(1);
  });

  it('rejects confidences that are not probabilities', () => {
    expect(() => expectedCalibrationError([1.2], [true])).toThrow(RangeError);
    expect(() => expectedCalibrationError([Number.NaN], [true])).toThrow(RangeError);
    expect(() => expectedCalibrationError([0.5], [true], 0)).toThrow(RangeError);
  });
});
