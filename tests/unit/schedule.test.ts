import { describe, expect, it } from 'vitest';
import { learningRate, type LrSchedule } from '../../src/engine/schedule.ts';

describe('learning-rate schedules', () => {
  const base = { baseLr: 1e-3, warmupSteps: 10, totalSteps: 110 };

  it('warms up linearly from 0 to the base rate', () => {
    for (const kind of ['constant', 'cosine', 'linear'] as const) {
      expect(learningRate(0, { ...base, kind })).toBe(0);
      expect(learningRate(5, { ...base, kind })).toBeCloseTo(5e-4, 12);
      expect(learningRate(10, { ...base, kind })).toBeCloseTo(1e-3, 12);
    }
  });

  it('constant stays at the base rate', () => {
    expect(learningRate(60, { ...base, kind: 'constant' })).toBe(1e-3);
    expect(learningRate(500, { ...base, kind: 'constant' })).toBe(1e-3);
  });

  it('cosine halves at mid-decay and reaches minLr at the end', () => {
    const s: LrSchedule = { ...base, kind: 'cosine' };
    expect(learningRate(60, s)).toBeCloseTo(5e-4, 12);
    expect(learningRate(35, s)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRate(110, s)).toBeCloseTo(0, 12);
    expect(learningRate(200, { ...s, minLr: 1e-4 })).toBeCloseTo(1e-4, 12);
    expect(learningRate(60, { ...s, minLr: 1e-4 })).toBeCloseTo(5.5e-4, 12);
  });

  it('linear decays in a straight line to minLr', () => {
    const s: LrSchedule = { ...base, kind: 'linear' };
    expect(learningRate(35, s)).toBeCloseTo(7.5e-4, 12);
    expect(learningRate(110, s)).toBeCloseTo(0, 12);
    expect(learningRate(85, { ...s, minLr: 2e-4 })).toBeCloseTo(4e-4, 12);
  });

  it('without warm-up the first update uses the base rate', () => {
    expect(learningRate(0, { ...base, warmupSteps: 0, kind: 'cosine' })).toBe(1e-3);
  });

  it('rejects impossible settings with a clear message', () => {
    expect(() => learningRate(0, { ...base, kind: 'cosine', warmupSteps: 200 })).toThrow(/warm-up \(200 steps\) is longer than training \(110 steps\)/);
    expect(() => learningRate(0, { ...base, kind: 'cosine', baseLr: 0 })).toThrow(/learning rate must be a positive number/);
    expect(() => learningRate(-1, { ...base, kind: 'cosine' })).toThrow(/step must be a whole number/);
    expect(() => learningRate(0, { ...base, kind: 'cosine', minLr: 1 })).toThrow(/minLr/);
  });
});
