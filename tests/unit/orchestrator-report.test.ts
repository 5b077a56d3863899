// The metrics table `lantern run` ends with: students beside the teacher and the baselines, each
// number with its interval, the test size stated.
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/experiment/run/pipeline.ts';
import type { SweepResults } from '../../src/experiment/run/sweep.ts';
import { formatTables, markdownTables, runTables, sweepTables } from '../../src/experiment/run/report.ts';
import { parseExperiment } from '../../src/experiment/schema.ts';

const ci = (lo: number, hi: number, method = 'bootstrap') => ({ lo, hi, method, n: 40 });
const rouge = (l: number) => Object.fromEntries(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'].map((k) => [k, { precision: l, recall: l, fmeasure: l }]));
const rougeCi = (l: number) => Object.fromEntries(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'].map((k) => [k, ci(l - 0.05, l + 0.05)]));

const results = {
  data: { test: 40 },
  teacher: { preset: 'base', parameters: 6_500_000, metrics: { n: 40, labelAccuracy: 0.9, rouge: rouge(0.7), intervals: { labelAccuracy: ci(0.77, 0.96, 'wilson'), ...rougeCi(0.7) } } },
  stages: [
    { id: 'explainer', task: 'explain', preset: 'small', source: 'teacher', parameters: 950_000, metrics: { n: 40, labelAccuracy: 0.8, rouge: rouge(0.6), intervals: { labelAccuracy: ci(0.65, 0.9, 'wilson'), ...rougeCi(0.6) } } },
    { id: 'classifier', task: 'classify', preset: 'tiny', source: 'teacher', parameters: 76_000, metrics: { n: 40, accuracy: 0.85, macroF1: 0.84, intervals: { accuracy: ci(0.71, 0.93, 'wilson'), macroF1: ci(0.7, 0.94) } } },
  ],
  baselines: {
    fittedOn: 100,
    classifier: { majority: { label: 'medium', n: 40, accuracy: 0.4, macroF1: 0.19, intervals: { accuracy: ci(0.26, 0.55, 'wilson'), macroF1: ci(0.13, 0.24) } }, skillOverlap: { thresholds: { medium: 0.3, high: 0.7 }, n: 40, accuracy: 0.8, macroF1: 0.79, intervals: { accuracy: ci(0.65, 0.9, 'wilson'), macroF1: ci(0.65, 0.9) } } },
    explainer: { template: { sourceId: 'x', n: 40, rouge: rouge(0.39), intervals: rougeCi(0.39) }, copy: { n: 40, rouge: rouge(0.18), intervals: rougeCi(0.18) } },
  },
} as unknown as RunResults;

describe('run tables', () => {
  it('puts each student beside the in-house teacher and the baselines of its task', () => {
    const [classifier, explainer] = runTables(results);
    expect(classifier!.title).toBe('classifier');
    expect(classifier!.rows.map((r) => r.label)).toEqual(['classifier (student, tiny, from teacher)', 'baseline: majority (medium)', 'baseline: skill overlap']);
    expect(classifier!.rows[0]!.cells).toEqual([{ value: 0.85, lo: 0.71, hi: 0.93 }, { value: 0.84, lo: 0.7, hi: 0.94 }]);
    expect(classifier!.note).toMatch(/^40 test pairs/);
    expect(explainer!.columns).toEqual(['label acc', 'ROUGE-1', 'ROUGE-2', 'ROUGE-L', 'ROUGE-Lsum']);
    expect(explainer!.rows.map((r) => r.label)).toEqual(['teacher (in-house, base)', 'explainer (student, small, from teacher)', 'baseline: template', 'baseline: copy requirements']);
    // The explainer baselines write no label.
    expect(explainer!.rows[2]!.cells[0]).toEqual({ value: null });
  });

  it('writes aligned plain text and Markdown with values, intervals and parameter counts', () => {
    const text = formatTables(runTables(results));
    expect(text).toMatch(/^classifier \(student, tiny, from teacher\) +76k  0\.850 \[0\.710, 0\.930\]  0\.840 \[0\.700, 0\.940\]$/m);
    expect(text).toContain('teacher (in-house, base)');
    expect(text).toContain('6.50M');
    expect(text).toMatch(/^baseline: template +— +0\.390 \[0\.340, 0\.440\]/m);
    expect(text).toContain('  40 test pairs; [95% interval over the test pairs');
    const md = markdownTables(runTables(results));
    expect(md).toContain('| classifier | params | accuracy | macro-F1 |');
    expect(md).toContain('|---|---:|---:|---:|');
    expect(md).toContain('| baseline: copy requirements |  | — | 0.180 [0.130, 0.230] |');
  });
});

describe('sweep tables', () => {
  const experiment = parseExperiment({ stages: [{ id: 'explainer', task: 'explain', student: { preset: 'tiny' } }], sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['fkl', 'tvd'] }], seeds: [1, 2, 3] } }).config;
  const summary = (mean: number) => ({ n: 3, mean, std: 0.01, ci95: [mean - 0.02, mean + 0.02] as [number, number] });
  const metrics = (l: number) => ({ 'explainer.rougeL': summary(l), 'teacher.rougeL': summary(0.7), 'baseline.template.rougeL': summary(0.39), 'baseline.copy.rougeL': summary(0.18) });
  const sweep = {
    experiment,
    rows: [{ group: 'fkl', testSize: 40, parameters: { teacher: 1000, explainer: 500 } }],
    aggregate: [
      { group: 'fkl', assignments: { 'stages.0.loss.divergence': 'fkl' }, runs: ['a', 'b', 'c'], metrics: metrics(0.5) },
      { group: 'tvd', assignments: { 'stages.0.loss.divergence': 'tvd' }, runs: ['d', 'e', 'f'], metrics: metrics(0.55) },
    ],
  } as unknown as SweepResults;

  it('gives each group its mean and t-interval over seeds, and the shared teacher and baselines once', () => {
    const [explainer] = sweepTables(sweep);
    expect(explainer!.note).toBe('40 test pairs per run; mean [95% t-interval over 3 seeds, clamped to [0, 1]]');
    expect(explainer!.rows.map((r) => r.label)).toEqual([
      'teacher (base)',
      'divergence="fkl": explainer (tiny)',
      'divergence="tvd": explainer (tiny)',
      'baseline: template',
      'baseline: copy requirements',
    ]);
    expect(explainer!.rows[0]!.cells[3]).toEqual({ value: 0.7, lo: 0.7 - 0.02, hi: 0.7 + 0.02 });
    expect(explainer!.rows[0]!.params).toBe(1000);
    expect(explainer!.rows[1]!.cells[3]).toEqual({ value: 0.5, lo: 0.48, hi: 0.52 });
    expect(explainer!.rows[1]!.params).toBe(500);
  });

  it('gives the teacher a row per group when a group changes it', () => {
    const teacherSweep = { ...sweep, aggregate: sweep.aggregate.map((g, i) => ({ ...g, metrics: { ...g.metrics, 'teacher.rougeL': summary(0.6 + i / 10) } })) } as SweepResults;
    const [explainer] = sweepTables(teacherSweep);
    expect(explainer!.rows.map((r) => r.label)).toEqual([
      'divergence="fkl": teacher (base)',
      'divergence="fkl": explainer (tiny)',
      'divergence="tvd": teacher (base)',
      'divergence="tvd": explainer (tiny)',
      'baseline: template',
      'baseline: copy requirements',
    ]);
    const tvdTeacher = 0.6 + 1 / 10;
    expect(explainer!.rows[2]!.cells[3]).toEqual({ value: tvdTeacher, lo: tvdTeacher - 0.02, hi: tvdTeacher + 0.02 });
  });
});
