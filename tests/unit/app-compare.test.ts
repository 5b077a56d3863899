// The compare view's data: runs table, grouping, and the two paper views, against hand-computed
// sweeps (means and CIs must be exactly the sweep code's).
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../src/experiment/schema.ts';
import { aggregateRows, type SweepResults, type SweepRow } from '../../src/experiment/run/sweep.ts';
import { chainOf, finalStudents, formatSummary, lossSweepTable, stagedVsDirect } from '../../src/app/lib/paper-views.ts';
import { columnsOf, filterRows, groupRows, sortRows, tableOfSweep, distinctValues } from '../../src/app/lib/runs-table.ts';

function sweepOf(rows: SweepRow[], experiment: unknown): SweepResults {
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  return { format: 'lantern-sweep-results', version: 1, experiment: parseExperiment(experiment).config, metricKeys, rows, aggregate: aggregateRows(rows, metricKeys) };
}

const row = (divergence: string, seed: number, rougeL: number, rouge1: number): SweepRow => ({
  id: `divergence-${divergence}_seed-${seed}`,
  group: `divergence=${divergence}`,
  assignments: { 'stages.0.loss.divergence': divergence },
  seed,
  status: 'done',
  metrics: { 'explainer.rougeL': rougeL, 'explainer.rouge1': rouge1, 'explainer.finalLoss': 1 / rougeL },
});

const lossSweep = sweepOf([row('fkl', 1, 0.4, 0.5), row('fkl', 2, 0.6, 0.7), row('tvd', 1, 0.7, 0.8), row('tvd', 2, 0.7, 0.6)], {
  stages: [{ id: 'explainer', task: 'explain' }],
  sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['fkl', 'tvd'] }], seeds: [1, 2] },
});

describe('loss sweep table', () => {
  it('shows each group\'s mean and 95% CI exactly as the aggregate holds them, best per column marked', () => {
    const table = lossSweepTable(lossSweep, 'explainer');
    expect(table.columns.map((c) => c.label)).toEqual(['ROUGE-1', 'ROUGE-L']);
    expect(table.rows.map((r) => r.label)).toEqual(['divergence=fkl', 'divergence=tvd']);
    const [fkl, tvd] = table.rows;
    // fkl ROUGE-L: 0.4 and 0.6 → mean 0.5, s = 0.1414, half-width t(0.975, 1)·s/√2 = 12.706 · 0.1
    // = 1.2706, clamped to ROUGE's range [0, 1].
    expect(fkl!.cells[1]!.mean).toBeCloseTo(0.5, 12);
    expect(fkl!.cells[1]!.ci95).toEqual([0, 1]);
    expect(fkl!.cells[1]).toMatchObject(lossSweep.aggregate[0]!.metrics['explainer.rougeL']!);
    // tvd ROUGE-L: both 0.7 → zero-width interval; best ROUGE-L, and best ROUGE-1 too (0.7 against 0.6).
    expect(tvd!.cells[1]!.ci95).toEqual([0.7, 0.7]);
    expect(tvd!.cells[1]!.best).toBe(true);
    expect(fkl!.cells[1]!.best).toBe(false);
    expect(tvd!.cells[0]!.best).toBe(true);
    expect(formatSummary(tvd!.cells[1]!)).toBe('0.700 [0.700, 0.700]');
    // A column where every group ties marks none.
    const tie = lossSweepTable(sweepOf([row('fkl', 1, 0.5, 0.5), row('tvd', 1, 0.5, 0.5)], { stages: [{ id: 'explainer', task: 'explain' }] }), 'explainer');
    expect(tie.rows.flatMap((r) => r.cells.map((c) => c.best))).toEqual([false, false, false, false]);
  });
});

const chainConfig = {
  stages: [
    { id: 'mid', task: 'explain', student: { preset: 'tiny' } },
    { id: 'small-staged', task: 'explain', student: { preset: 'tiny' }, source: 'mid' },
    { id: 'small-direct', task: 'explain', student: { preset: 'tiny' } },
    { id: 'classifier', task: 'classify' },
  ],
  sweep: { seeds: [1, 2, 3] },
};
const chainRow = (seed: number, staged: number, direct: number): SweepRow => ({
  id: `seed-${seed}`,
  group: 'staged',
  assignments: {},
  seed,
  status: 'done',
  metrics: { 'mid.rougeL': 0.9, 'small-staged.rougeL': staged, 'small-direct.rougeL': direct, 'classifier.macroF1': 0.5 },
});

describe('staged vs direct', () => {
  const sweep = sweepOf([chainRow(1, 0.5, 0.4), chainRow(2, 0.6, 0.4), chainRow(3, 0.7, 0.7)], chainConfig);
  it('finds each chain\'s final student and the chain that leads to it', () => {
    expect(finalStudents(sweep.experiment).map((s) => s.id)).toEqual(['small-staged', 'small-direct']);
    expect(chainOf(sweep.experiment, 'small-staged')).toEqual(['teacher', 'mid', 'small-staged']);
  });
  it('starts the chain of a classifier that learns from the seed set at the seed set', () => {
    const config = parseExperiment({ stages: [{ id: 'c', task: 'classify', source: 'seed' }, { id: 'c2', task: 'classify', source: 'c' }] }).config;
    expect(chainOf(config, 'c2')).toEqual(['seed', 'c', 'c2']);
  });
  it('shows the chains\' metrics from the aggregate and the paired difference with its CI', () => {
    const view = stagedVsDirect(sweep);
    expect(view.columns.map((c) => c.key)).toEqual(['rougeL']);
    expect(view.chains.map((c) => c.label)).toEqual(['teacher → mid → small-staged', 'teacher → small-direct']);
    expect(view.chains[0]!.cells[0]!.mean).toBeCloseTo(0.6, 12);
    expect(view.difference).not.toBeNull();
    expect([view.difference!.a, view.difference!.b]).toEqual(['small-staged', 'small-direct']);
    // Differences 0.1, 0.2, 0.0: mean 0.1, s = 0.1, half-width t(0.975, 2)·0.1/√3 = 4.303 · 0.057735.
    const d = view.difference!.cells[0]!;
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.ci95![1] - d.mean!).toBeCloseTo(4.303 * 0.1 / Math.sqrt(3), 3);
    // Its interval holds 0 (0.1 ± 0.248): staged has the higher mean, but neither chain is marked best.
    expect(d.ci95![0]).toBeLessThan(0);
    expect(view.chains.map((c) => c.cells[0]!.best)).toEqual([false, false]);
  });
  it('marks the better chain when the paired difference\'s interval excludes 0', () => {
    // Differences 0.1, 0.12, 0.11: mean 0.11, half-width 4.303 · 0.01/√3 ≈ 0.025.
    const view = stagedVsDirect(sweepOf([chainRow(1, 0.5, 0.4), chainRow(2, 0.52, 0.4), chainRow(3, 0.51, 0.4)], chainConfig));
    expect(view.difference!.cells[0]!.ci95![0]).toBeGreaterThan(0);
    expect(view.chains.map((c) => c.cells[0]!.best)).toEqual([true, false]);
  });
});

describe('runs table', () => {
  const table = tableOfSweep(lossSweep);
  const columns = columnsOf(table);
  const col = (key: string) => columns.find((c) => c.key === key)!;
  it('has a column for every swept parameter, the seed and every metric', () => {
    expect(columns.map((c) => c.key)).toEqual(['stages.0.loss.divergence', 'seed', 'explainer.finalLoss', 'explainer.rouge1', 'explainer.rougeL']);
  });
  it('sorts by a metric and by a parameter', () => {
    expect(sortRows(table.rows, col('explainer.rougeL'), 'desc').map((r) => r.metrics['explainer.rougeL'])).toEqual([0.7, 0.7, 0.6, 0.4]);
    expect(sortRows(table.rows, col('explainer.rouge1'), 'asc')[0]!.id).toBe('divergence-fkl_seed-1');
    expect(sortRows(table.rows, col('stages.0.loss.divergence'), 'desc')[0]!.assignments['stages.0.loss.divergence']).toBe('tvd');
  });
  it('filters by parameter values and metric ranges', () => {
    expect(filterRows(table.rows, columns, { 'stages.0.loss.divergence': { values: ['tvd'] } }).map((r) => r.seed)).toEqual([1, 2]);
    expect(filterRows(table.rows, columns, { 'explainer.rougeL': { range: [0.5, 0.65] } }).map((r) => r.id)).toEqual(['divergence-fkl_seed-2']);
    expect(distinctValues(table.rows, col('seed'))).toEqual([1, 2]);
  });
  it('groups by a parameter with the sweep code\'s means, or by seed across parameters', () => {
    const byDivergence = groupRows(table.rows, ['stages.0.loss.divergence'], table.metricKeys);
    expect(byDivergence.map((g) => g.metrics['explainer.rougeL']!.mean)).toEqual(lossSweep.aggregate.map((g) => g.metrics['explainer.rougeL']!.mean));
    const bySeed = groupRows(table.rows, ['seed'], table.metricKeys);
    expect(bySeed.map((g) => g.runs.length)).toEqual([2, 2]);
    expect(bySeed[0]!.metrics['explainer.rougeL']!.mean).toBeCloseTo(0.55, 12);
  });
});

describe('parallel coordinates', () => {
  const table = tableOfSweep(lossSweep);
  const columns = columnsOf(table);
  const col = (key: string) => columns.find((c) => c.key === key)!;
  it('places numeric values by their range and categories evenly', async () => {
    const { buildAxis } = await import('../../src/app/lib/parallel-coords.ts');
    const metric = buildAxis(table.rows, col('explainer.rougeL'));
    expect([metric.kind, metric.min, metric.max]).toEqual(['numeric', 0.4, 0.7]);
    expect(metric.position(0.55)).toBeCloseTo(0.5, 12);
    const param = buildAxis(table.rows, col('stages.0.loss.divergence'));
    expect([param.kind, param.categories]).toEqual(['categorical', ['fkl', 'tvd']]);
    expect([param.position('fkl'), param.position('tvd'), param.position('jsd')]).toEqual([0, 1, null]);
  });
  it('turns a brush into the table filter it stands for', async () => {
    const { brushFilter, buildAxis } = await import('../../src/app/lib/parallel-coords.ts');
    const metric = buildAxis(table.rows, col('explainer.rougeL'));
    // Positions 0.5–0.9 of the axis 0.4–0.7 are ROUGE-L 0.55–0.67.
    const f = brushFilter(metric, 0.9, 0.5);
    expect('range' in f && f.range[0]).toBeCloseTo(0.55, 12);
    expect('range' in f && f.range[1]).toBeCloseTo(0.67, 12);
    expect(filterRows(table.rows, columns, { 'explainer.rougeL': f }).map((r) => r.metrics['explainer.rougeL'])).toEqual([0.6]);
    expect(brushFilter(buildAxis(table.rows, col('stages.0.loss.divergence')), 0.8, 1)).toEqual({ values: ['tvd'] });
    expect(brushFilter(buildAxis(table.rows, col('seed')), 0, 0.2)).toEqual({ range: [1, 1.2] });
  });
});
