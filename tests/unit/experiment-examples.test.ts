import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DIVERGENCES } from '../../src/engine/kd-spec.ts';
import { expandSweep, parseExperimentJson, modelLabel } from '../../src/experiment/schema.ts';
import { decodeShareLink, encodeShareLink } from '../../src/experiment/share-link.ts';

const load = (name: string) => parseExperimentJson(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8'));
const EXAMPLES = ['demo', 'demo.tiny', 'sweep-losses', 'sweep-losses.laptop', 'sweep-losses.tiny', 'staged-vs-direct', 'staged-vs-direct.laptop', 'staged-vs-direct.tiny'];

describe('example experiments', () => {
  it.each(EXAMPLES)('%s is valid, without warnings, and shares as a short link', (name) => {
    const { config, warnings } = load(name);
    expect(warnings).toEqual([]);
    const link = encodeShareLink(config);
    expect(link.length).toBeLessThan(2048);
    expect(decodeShareLink(link).config).toEqual(config);
  });

  it('sweep-losses compares the six divergences on one stage', () => {
    for (const name of ['sweep-losses', 'sweep-losses.laptop', 'sweep-losses.tiny']) {
      const { config } = load(name);
      expect(config.stages).toHaveLength(1);
      const runs = expandSweep(config);
      const divergences = new Set(runs.map((r) => r.config.stages[0]!.loss.divergence));
      expect([...divergences].sort()).toEqual([...DIVERGENCES].sort());
    }
  });

  it('staged-vs-direct trains teacher→mid→small and teacher→small side by side', () => {
    for (const name of ['staged-vs-direct', 'staged-vs-direct.laptop', 'staged-vs-direct.tiny']) {
      const { config } = load(name);
      const byId = new Map(config.stages.map((s) => [s.id, s]));
      expect(byId.get('small-staged')!.source).toBe('mid');
      expect(byId.get('small-direct')!.source).toBe('teacher');
      expect(modelLabel(byId.get('small-staged')!.student)).toBe(modelLabel(byId.get('small-direct')!.student));
    }
  });

  it('demo.tiny is the demo pipeline cut to a few steps: the same stages, sources, losses and batching', () => {
    const demo = load('demo').config;
    const tiny = load('demo.tiny').config;
    const shape = (c: typeof demo) => c.stages.map((s) => ({ id: s.id, task: s.task, source: s.source, loss: s.loss, batching: s.batching }));
    expect(shape(tiny)).toEqual(shape(demo));
    expect(demo.stages.map((s) => s.task).sort()).toEqual(['classify', 'explain']);
    expect(tiny.stages.every((s) => s.steps <= 10)).toBe(true);
    expect(demo.stages.every((s) => s.steps > 10)).toBe(true);
  });

  it('laptop variants run three seeds or more', () => {
    for (const name of ['sweep-losses.laptop', 'staged-vs-direct.laptop']) expect(load(name).config.sweep!.seeds!.length).toBeGreaterThanOrEqual(3);
  });

  it('tiny variants use the tiny presets and a few steps, full variants real sizes', () => {
    for (const name of ['sweep-losses.tiny', 'staged-vs-direct.tiny']) {
      const { config } = load(name);
      for (const stage of config.stages) {
        expect(modelLabel(stage.student)).toBe('tiny');
        expect(stage.steps).toBeLessThanOrEqual(10);
      }
      expect(config.dataset.demo!.n).toBeLessThanOrEqual(50);
    }
    for (const name of ['sweep-losses', 'staged-vs-direct']) {
      const { config } = load(name);
      expect(config.stages.every((s) => modelLabel(s.student) !== 'tiny' && s.steps >= 1000)).toBe(true);
      expect(config.sweep!.seeds!.length).toBeGreaterThanOrEqual(3);
    }
  });
});
