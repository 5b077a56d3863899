import { describe, expect, it } from 'vitest';
import { ExperimentError, expandSweep, parseExperiment, safeParseExperiment } from '../../src/experiment/schema.ts';
import { getPath, setPath } from '../../src/experiment/paths.ts';

const oneStage = { name: 'losses', stages: [{ id: 'explainer', task: 'explain' }] };

function sweepErrors(sweep: unknown): Record<string, string> {
  const result = safeParseExperiment({ ...oneStage, sweep });
  if (result.ok) throw new Error('expected the sweep to be invalid');
  return Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
}

describe('config paths', () => {
  it('get and set values by dotted path without touching the original', () => {
    const config = parseExperiment(oneStage).config;
    expect(getPath(config, 'stages.0.loss.divergence')).toBe('fkl');
    const changed = setPath(config, 'stages.0.loss.divergence', 'tvd');
    expect(getPath(changed, 'stages.0.loss.divergence')).toBe('tvd');
    expect(config.stages[0]!.loss.divergence).toBe('fkl');
    expect(() => setPath(config, 'stages.3.steps', 1)).toThrow(/no such array element/);
  });
});

describe('sweep validation', () => {
  it('accepts real paths and rejects paths that are not fields of the experiment', () => {
    expect(safeParseExperiment({ ...oneStage, sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['fkl', 'tvd'] }] } }).ok).toBe(true);
    expect(safeParseExperiment({ ...oneStage, sweep: { params: [{ path: 'stages.0.loss.param', values: [0.1, 0.5] }] } }).ok).toBe(true);
    expect(sweepErrors({ params: [{ path: 'stages.0.loss.divergnce', values: ['tvd'] }] })['sweep.params.0.path']).toMatch(/not a field/);
    expect(sweepErrors({ params: [{ path: 'stages.4.steps', values: [1] }] })['sweep.params.0.path']).toMatch(/no such array element/);
    expect(sweepErrors({ params: [{ path: 'version', values: [1] }] })['sweep.params.0.path']).toMatch(/cannot be swept/);
  });

  it('checks every value against the field it sets', () => {
    const errors = sweepErrors({ params: [{ path: 'stages.0.loss.divergence', values: ['fkl', 'kl', 'tvd'] }] });
    expect(Object.keys(errors)).toEqual(['sweep.params.0.values.1']);
    expect(errors['sweep.params.0.values.1']).toMatch(/"kl" for stages\.0\.loss\.divergence/);
  });

  it('needs something to sweep and distinct seeds', () => {
    expect(sweepErrors({})['sweep']).toMatch(/params, seeds or both/);
    expect(sweepErrors({ seeds: [1, 1] })['sweep.seeds']).toMatch(/repeat/);
    expect(sweepErrors({ params: [{ path: 'seed', values: [1] }], seeds: [2] })['sweep.params.0.path']).toMatch(/sweep.seeds/);
  });
});

describe('expandSweep', () => {
  it('takes the cartesian product of values times seeds, each a valid named config', () => {
    const { config } = parseExperiment({
      ...oneStage,
      sweep: {
        params: [
          { path: 'stages.0.loss.divergence', values: ['fkl', 'tvd'] },
          { path: 'stages.0.loss.temperature', values: [1, 2, 4] },
        ],
        seeds: [7, 8],
      },
    });
    const runs = expandSweep(config);
    expect(runs).toHaveLength(2 * 3 * 2);
    expect(new Set(runs.map((r) => r.id)).size).toBe(12);
    expect(runs[0]!.config.name).toBe('losses · divergence=fkl · temperature=1 · seed=7');
    expect(runs[0]!.id).toBe('divergence-fkl_temperature-1_seed-7');
    expect(runs.at(-1)!.config.stages[0]!.loss).toMatchObject({ divergence: 'tvd', temperature: 4 });
    expect(runs.at(-1)!.config.seed).toBe(8);
    for (const run of runs) {
      expect(run.config.sweep).toBeUndefined();
      expect(parseExperiment(run.config).config).toEqual(run.config);
    }
    // Runs that differ only in seed share a group (to average over).
    expect(runs.filter((r) => r.group === 'divergence=tvd · temperature=2').map((r) => r.seed)).toEqual([7, 8]);
  });

  it('labels runs by full path when two params end the same way', () => {
    const { config } = parseExperiment({
      stages: [{ id: 'a', task: 'explain' }, { id: 'b', task: 'explain', source: 'a' }],
      sweep: { params: [{ path: 'stages.0.steps', values: [10] }, { path: 'stages.1.steps', values: [20] }] },
    });
    expect(expandSweep(config)[0]!.config.name).toBe('experiment · stages.0.steps=10 · stages.1.steps=20');
  });

  it('sweeps stage paths (which stage a student learns from)', () => {
    const { config } = parseExperiment({
      stages: [{ id: 'mid', task: 'explain' }, { id: 'small', task: 'explain', source: 'mid' }],
      sweep: { params: [{ path: 'stages.1.source', values: ['mid', 'teacher'] }] },
    });
    expect(expandSweep(config).map((r) => r.config.stages[1]!.source)).toEqual(['mid', 'teacher']);
  });

  it('rejects combinations that are invalid together', () => {
    // param 0 is fine for sfkl (α ∈ [0,1)) but not for jsd (β ∈ (0,1)).
    const { config } = parseExperiment({
      ...oneStage,
      sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['sfkl', 'jsd'] }, { path: 'stages.0.loss.param', values: [0] }] },
    });
    expect(() => expandSweep(config)).toThrow(ExperimentError);
    expect(() => expandSweep(config)).toThrow(/divergence=jsd · param=0: jsd: β must be strictly between 0 and 1/);
  });

  it('is the experiment itself without a sweep', () => {
    const { config } = parseExperiment(oneStage);
    const runs = expandSweep(config);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.config).toEqual(config);
  });
});
