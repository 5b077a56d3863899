// Sweep statistics: mean, sample standard deviation and the 95% confidence interval of the mean
// (Student's t, src/metrics/stats.ts), grouped over seeds and clamped to each metric's range; flat
// metric keys of a run.
import { describe, expect, it } from 'vitest';
import { aggregateRows, flatMetrics, metricRange, orderMetricKeys, type SweepRow } from '../../src/experiment/run/sweep.ts';
import type { RunResults } from '../../src/experiment/run/pipeline.ts';

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

  it('keeps a proportion\'s interval inside [0, 1] and a loss\'s above 0, with n', () => {
    // Two seeds near the ceiling: t(0.975, 1) = 12.7 makes the raw interval [0.52, 1.48].
    const near1 = aggregateRows([row('a1', 'fkl', 1, 0.96), row('a2', 'fkl', 2, 1)], ['explainer.rouge1'])[0]!.metrics['explainer.rouge1']!;
    expect(near1.n).toBe(2);
    expect(near1.ci95![0]).toBeCloseTo(0.98 - (12.706205 * Math.sqrt(0.0008)) / Math.sqrt(2), 5);
    expect(near1.ci95![1]).toBe(1);
    expect(metricRange('explainer.rougeL')).toEqual([0, 1]);
    expect(metricRange('baseline.majority.macroF1')).toEqual([0, 1]);
    expect(metricRange('explainer.finalLoss')).toEqual([0, Number.POSITIVE_INFINITY]);
    expect(metricRange('classifier.latencyP95Ms')[1]).toBe(Number.POSITIVE_INFINITY);
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

describe('orderMetricKeys', () => {
  it('lists each key once, the models\' metrics before the baselines\'', () => {
    expect(orderMetricKeys(['teacher.rougeL', 'baseline.copy.rougeL', 'explainer.rougeL', 'baseline.majority.accuracy', 'explainer.rougeL'])).toEqual([
      'explainer.rougeL',
      'teacher.rougeL',
      'baseline.copy.rougeL',
      'baseline.majority.accuracy',
    ]);
  });
});
