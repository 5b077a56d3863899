// Sweep statistics: mean, sample standard deviation and the 95% confidence interval of the mean
// (Student's t), grouped over seeds; flat metric keys of a run.
import { describe, expect, it } from 'vitest';
import { aggregateRows, flatMetrics, summarize, type SweepRow } from '../../src/experiment/run/sweep.ts';
import type { RunResults } from '../../src/experiment/run/pipeline.ts';

describe('summarize', () => {
  it('gives mean, sample std and a t-based 95% interval', () => {
    const s = summarize([1, 2, 3]);
    expect(s.n).toBe(3);
    expect(s.mean).toBe(2);
    expect(s.std).toBeCloseTo(1, 12);
    // t(0.975, 2) = 4.303: 2 ± 4.303 · 1/√3
    expect(s.ci95![0]).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 6);
    expect(s.ci95![1]).toBeCloseTo(2 + 4.303 / Math.sqrt(3), 6);
    const two = summarize([0.5, 0.7]);
    expect(two.ci95![1] - two.mean!).toBeCloseTo((12.706 * Math.sqrt(0.02)) / Math.sqrt(2), 6);
  });

  it('has no interval for one value and nothing for none', () => {
    expect(summarize([0.4])).toEqual({ n: 1, mean: 0.4, std: null, ci95: null });
    expect(summarize([])).toEqual({ n: 0, mean: null, std: null, ci95: null });
  });

  it('uses the normal quantile beyond 31 values', () => {
    const values = Array.from({ length: 40 }, (_, i) => i % 2);
    const s = summarize(values);
    expect(s.ci95![1] - s.mean!).toBeCloseTo((1.96 * s.std!) / Math.sqrt(40), 9);
  });
});

describe('aggregateRows', () => {
  const row = (id: string, group: string, seed: number, rouge: number | null): SweepRow => ({ id, group, assignments: { 'stages.0.loss.divergence': group }, seed, status: 'done', metrics: { 'explainer.rouge1': rouge } });

  it('groups runs that differ only by seed and skips missing values', () => {
    const groups = aggregateRows([row('a1', 'fkl', 1, 0.2), row('a2', 'fkl', 2, 0.4), row('b1', 'tvd', 1, 0.5), row('b2', 'tvd', 2, null)], ['explainer.rouge1']);
    expect(groups.map((g) => [g.group, g.runs])).toEqual([
      ['fkl', ['a1', 'a2']],
      ['tvd', ['b1', 'b2']],
    ]);
    expect(groups[0]!.metrics['explainer.rouge1']!.mean).toBeCloseTo(0.3, 12);
    expect(groups[1]!.metrics['explainer.rouge1']).toEqual({ n: 1, mean: 0.5, std: null, ci95: null });
  });
});

describe('flatMetrics', () => {
  it('names each stage\'s headline numbers "<stage>.<metric>"', () => {
    const latency = { p50Ms: 3, p95Ms: 5, throughputPerSec: 100 };
    const results = {
      stages: [
        { id: 'clf', task: 'classify', curves: { train: [{ step: 1, loss: 2 }, { step: 2, loss: 1.5 }], val: [] }, metrics: { accuracy: 0.5, macroF1: 0.4, ece: 0.1, latency } },
        {
          id: 'exp',
          task: 'explain',
          curves: { train: [{ step: 1, loss: 3 }], val: [] },
          metrics: { labelAccuracy: 1, rouge: Object.fromEntries(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'].map((k, i) => [k, { precision: 0, recall: 0, fmeasure: i / 10 }])), consistency: { rate: 0.25 }, hallucination: { mentionRate: 0 } },
        },
      ],
    } as unknown as RunResults;
    expect(flatMetrics(results)).toEqual({
      'clf.finalLoss': 1.5,
      'clf.accuracy': 0.5,
      'clf.macroF1': 0.4,
      'clf.ece': 0.1,
      'clf.latencyP50Ms': 3,
      'clf.latencyP95Ms': 5,
      'clf.throughputPerSec': 100,
      'exp.finalLoss': 3,
      'exp.labelAccuracy': 1,
      'exp.rouge1': 0,
      'exp.rouge2': 0.1,
      'exp.rougeL': 0.2,
      'exp.rougeLsum': 3 / 10,
      'exp.consistency': 0.25,
      'exp.hallucinationRate': 0,
    });
  });
});
