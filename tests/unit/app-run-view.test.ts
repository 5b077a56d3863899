// The run view's data: live series from events, phase progress, the pipeline graph.
import { describe, expect, it } from 'vitest';
import { applyToSeries, modelsInSeries, parseSeriesKey, seriesKey, sweepRunsInSeries, type Series } from '../../src/app/lib/run-series.ts';
import { applyEvent, extrapolateEta, initialProgress, phaseFraction, phasesOf, trainingRate } from '../../src/app/lib/run-progress.ts';
import { nodeOfPhase, pipelineGraph } from '../../src/app/lib/pipeline-graph.ts';
import { parseExperiment } from '../../src/experiment/schema.ts';

describe('run series', () => {
  it('names curves per model (and sweep run) and reads the names back', () => {
    expect(seriesKey('mid', 'train')).toBe('mid/train/loss');
    expect(seriesKey('mid', 'val', 'divergence-tvd_seed-1')).toBe('divergence-tvd_seed-1/mid/val/loss');
    expect(parseSeriesKey('divergence-tvd_seed-1/mid/val/loss')).toEqual({ sweepRun: 'divergence-tvd_seed-1', model: 'mid', kind: 'val' });
    expect(parseSeriesKey('teacher/train/loss')).toEqual({ model: 'teacher', kind: 'train' });
    expect(parseSeriesKey('nonsense')).toBeNull();
  });
  it('appends losses read back, skips steps without one, and drops what a resume trains again', () => {
    const s: Series = {};
    const train = (step: number, loss: number | null) => ({ type: 'train' as const, model: 'mid', step, steps: 5, loss, lr: 1e-3, etaSeconds: null, tokens: 64 });
    expect(applyToSeries(s, train(1, 2.5))).toBe(true);
    expect(applyToSeries(s, train(2, null))).toBe(false);
    applyToSeries(s, train(3, 2.1));
    applyToSeries(s, { type: 'val', model: 'mid', step: 3, loss: 2.3 });
    expect(s).toEqual({ 'mid/train/loss': [[1, 2.5], [3, 2.1]], 'mid/val/loss': [[3, 2.3]] });
    // The tab closed after step 3 but the last resume point was step 1: steps 2–3 run again.
    expect(applyToSeries(s, { type: 'resume', model: 'mid', step: 1 })).toBe(true);
    expect(s).toEqual({ 'mid/train/loss': [[1, 2.5]], 'mid/val/loss': [] });
    applyToSeries(s, train(2, 2.2), 'run-a');
    expect(modelsInSeries(s)).toEqual(['mid']);
    expect(sweepRunsInSeries(s)).toEqual(['run-a']);
  });
});

describe('run progress', () => {
  const config = parseExperiment({ stages: [{ id: 'mid', task: 'explain' }, { id: 'small', task: 'explain', source: 'mid' }] }).config;
  it('lists the pipeline\'s phases in order', () => {
    expect(phasesOf(config)).toEqual(['teacher-labels', 'vocabulary', 'seed-set', 'in-house-teacher', 'synthetic', 'evaluate:teacher', 'baselines', 'stage:mid', 'stage:small']);
  });
  it('follows phases, training steps, item progress and evaluation', () => {
    let p = initialProgress(config);
    p = applyEvent(p, { type: 'phase', phase: 'teacher-labels', status: 'start' }, 0);
    p = applyEvent(p, { type: 'progress', phase: 'teacher-labels', done: 10, total: 40 }, 2000);
    const labels = p.phases[0]!;
    expect([labels.status, labels.done, labels.total]).toEqual(['running', 10, 40]);
    // 10 items in 2 s: 30 more take 6 s.
    expect(labels.etaSeconds).toBeCloseTo(6, 12);
    expect(phaseFraction(labels)).toBe(0.25);
    p = applyEvent(p, { type: 'phase', phase: 'teacher-labels', status: 'done', seconds: 3 }, 3000);
    p = applyEvent(p, { type: 'phase', phase: 'vocabulary', status: 'skip' }, 3000);
    p = applyEvent(p, { type: 'train', model: 'mid', step: 2, steps: 8, loss: 1, lr: 1, etaSeconds: 12, tokens: 32 }, 4000);
    expect(p.current).toBe('stage:mid');
    const mid = p.phases.find((x) => x.phase === 'stage:mid')!;
    expect([mid.status, mid.done, mid.total, mid.etaSeconds]).toEqual(['running', 2, 8, 12]);
    p = applyEvent(p, { type: 'phase', phase: 'evaluate:mid', status: 'start' }, 5000);
    expect(p.phases.find((x) => x.phase === 'stage:mid')!.note).toMatch(/evaluating/);
    expect(p.phases.map((x) => x.status).slice(0, 3)).toEqual(['done', 'skipped', 'pending']);
  });
  it('starts the phases over for each run of a sweep', () => {
    let p = initialProgress(config);
    p = applyEvent(p, { type: 'phase', phase: 'teacher-labels', status: 'done', seconds: 1 }, 0, 'a');
    p = applyEvent(p, { type: 'phase', phase: 'teacher-labels', status: 'skip' }, 0, 'b');
    expect(p.sweepRunsSeen).toEqual(['a', 'b']);
    expect(p.phases[0]!.status).toBe('skipped');
  });
  it('extrapolates nothing before any progress', () => {
    expect(extrapolateEta(0, 1000, 0, 10)).toBeNull();
    expect(extrapolateEta(0, 1000, 10, 10)).toBe(0);
  });
});

describe('pipeline graph', () => {
  it('draws each stage one column after its source: chains of any depth', () => {
    const config = parseExperiment({
      stages: [
        { id: 'mid', task: 'explain' },
        { id: 'small', task: 'explain', source: 'mid' },
        { id: 'tiny', task: 'explain', source: 'small' },
        { id: 'classifier', task: 'classify' },
      ],
    }).config;
    const g = pipelineGraph(config);
    const at = (id: string) => g.nodes.find((n) => n.id === id)!;
    expect([at('dataset').col, at('labels').col, at('seed-set').col, at('teacher').col]).toEqual([0, 1, 2, 3]);
    expect([at('mid').col, at('small').col, at('tiny').col, at('classifier').col]).toEqual([4, 5, 6, 4]);
    expect([at('mid').row, at('classifier').row]).toEqual([0, 1]);
    expect(g.edges).toContainEqual({ from: 'small', to: 'tiny' });
    expect(g.cols).toBe(7);
  });
  it('draws a classifier that learns from the seed set from the seed-set node, under the in-house teacher', () => {
    const g = pipelineGraph(parseExperiment({ stages: [{ id: 'explainer', task: 'explain' }, { id: 'classifier', task: 'classify', source: 'seed' }] }).config);
    const at = (id: string) => g.nodes.find((n) => n.id === id)!;
    expect([at('explainer').col, at('explainer').row]).toEqual([4, 0]);
    expect([at('classifier').col, at('classifier').row]).toEqual([at('teacher').col, 1]);
    expect(g.edges).toContainEqual({ from: 'seed-set', to: 'classifier' });
    expect(g.edges.some((e) => e.from === 'seed')).toBe(false);
  });
  it('maps each run phase to its node', () => {
    expect(['teacher-labels', 'vocabulary', 'seed-set', 'synthetic', 'evaluate:teacher', 'stage:mid', 'evaluate:mid'].map(nodeOfPhase)).toEqual(['labels', 'dataset', 'seed-set', 'teacher', 'teacher', 'mid', 'mid']);
  });
});

describe('training rate', () => {
  it('counts steps and tokens read between the first and the last sample of the window', () => {
    const samples = [
      { at: 1000, step: 4, tokens: 999 },
      { at: 1500, step: 5, tokens: 120 },
      { at: 3000, step: 8, tokens: 360 },
    ];
    expect(trainingRate(samples)).toEqual({ stepsPerSec: 2, tokensPerSec: 240 });
    expect(trainingRate(samples.slice(0, 1))).toBeNull();
    expect(trainingRate([samples[0]!, { at: 1000, step: 5, tokens: 1 }])).toBeNull();
  });
});
