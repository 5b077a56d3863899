import { describe, expect, it } from 'vitest';
import { DIVERGENCES } from '../../src/engine/kd-spec.ts';
import { ExperimentError, defaultExperiment, isPretrained, minimalExperiment, parseExperiment, parseExperimentJson, safeParseExperiment, stageDims, teacherDims } from '../../src/experiment/schema.ts';

function errorsOf(input: unknown): Record<string, string> {
  const result = safeParseExperiment(input);
  if (result.ok) throw new Error('expected the experiment to be invalid');
  return Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
}

describe('experiment defaults', () => {
  it('makes {} a complete, runnable experiment', () => {
    const config = defaultExperiment();
    expect(config.version).toBe(1);
    expect(config.dataset.demo).toEqual({ seed: 0, n: 240 });
    expect(config.dataset.split).toEqual({ train: 0.8, val: 0.1, test: 0.1 });
    expect(config.teacher.provider).toBe('offline');
    expect(config.seedSet).toEqual({ policy: 'auto-accept', minConfidence: 0.7, maxExamples: 0 });
    expect(config.stages.map((s) => [s.id, s.task, s.source])).toEqual([
      ['explainer', 'explain', 'teacher'],
      ['classifier', 'classify', 'teacher'],
    ]);
    expect(config.stages[0]!.loss).toEqual({ divergence: 'fkl', temperature: 1, scaleByT2: true, wCe: 0, wKd: 1 });
    expect(config.stages[1]!.student).toEqual({ preset: 'small', pooling: 'cls' });
    expect(config.sweep).toBeUndefined();
  });

  it('fills the defaults of a stage given only its id and task, per task', () => {
    const { config } = parseExperiment({ stages: [{ id: 'enc', task: 'classify' }] });
    const stage = config.stages[0]!;
    expect(stage.task === 'classify' && !isPretrained(stage.student) && stage.student.pooling).toBe('cls');
    expect(stage.optimizer).toEqual({ lr: 5e-4, weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8, clipNorm: 1 });
    expect(stage.schedule).toEqual({ kind: 'cosine', warmupSteps: 0 });
  });

  it('overrides a preset\'s dimensions with dims, checked as the engine builds them', () => {
    const { config } = parseExperiment({
      inHouseTeacher: { preset: 'tiny', dims: { hidden: 96, heads: 4, kvHeads: 2, maxPosition: 512 } },
      stages: [{ id: 'a', task: 'explain', student: { preset: 'tiny', dims: { maxPosition: 384 } } }, { id: 'b', task: 'classify', student: { preset: 'tiny', dims: { layers: 1 } } }],
    });
    expect(teacherDims(config.inHouseTeacher)).toEqual({ hidden: 96, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, maxPosition: 512 });
    // maxSeqLen defaults to the overridden context length.
    expect(config.inHouseTeacher.maxSeqLen).toBe(512);
    expect(config.stages.map((s) => s.maxSeqLen)).toEqual([384, 128]);
    const b = config.stages[1]!;
    expect(stageDims(b)!.layers).toBe(1);
    expect(errorsOf({ inHouseTeacher: { preset: 'tiny', dims: { hidden: 33 } } })['inHouseTeacher.dims']).toMatch(/divisible by heads/);
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', student: { preset: 'tiny', dims: { heads: 4, kvHeads: 3 } } }] })['stages.0.student.dims']).toMatch(/multiple of kvHeads/);
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', student: { preset: 'tiny' }, maxSeqLen: 256 }] })['stages.0.maxSeqLen']).toMatch(/exceeds/);
    expect(errorsOf({ inHouseTeacher: { dims: { hidden: 0 } } })['inHouseTeacher.dims.hidden']).toBeDefined();
  });

  it('batches shuffled unless a model asks for batches by length, and names the choices when the value is wrong', () => {
    const { config } = parseExperiment({ inHouseTeacher: { batching: 'by-length' }, stages: [{ id: 'a', task: 'explain' }, { id: 'b', task: 'classify', batching: 'by-length' }] });
    expect(config.inHouseTeacher.batching).toBe('by-length');
    expect(config.stages.map((s) => s.batching)).toEqual([undefined, 'by-length']);
    expect(errorsOf({ stages: [{ id: 'b', task: 'classify', batching: 'sorted' }] })['stages.0.batching']).toMatch(/shuffled.*by-length/);
  });

  it("defaults maxSeqLen to the preset's context length", () => {
    const { config } = parseExperiment({ inHouseTeacher: { preset: 'large' }, stages: [{ id: 'a', task: 'explain', student: { preset: 'tiny' } }, { id: 'b', task: 'classify' }] });
    expect(config.inHouseTeacher.maxSeqLen).toBe(1024);
    expect(config.stages.map((s) => s.maxSeqLen)).toEqual([128, 512]);
  });

  it('keeps a dataset given by id without inventing demo data', () => {
    const { config } = parseExperiment({ dataset: { id: 'ds-1', contentHash: 'a'.repeat(64) } });
    expect(config.dataset.demo).toBeUndefined();
    expect(config.dataset.id).toBe('ds-1');
  });
});

describe('experiment validation', () => {
  it('reports each invalid field once, with its path', () => {
    const errors = errorsOf({
      seed: -1,
      dataset: { split: { train: 0.5, val: 0.1, test: 0.1 } },
      teacher: { provider: 'anthropic' },
      stages: [
        { id: 'a', task: 'explain', steps: 0, optimizer: { lr: 'fast' } },
        { id: 'b', task: 'classify', student: { preset: 'gigantic', pooling: 'max' } },
      ],
    });
    expect(Object.keys(errors).sort()).toEqual(
      ['seed', 'dataset.split', 'teacher.provider', 'stages.0.steps', 'stages.0.optimizer.lr', 'stages.1.student.preset', 'stages.1.student.pooling'].sort(),
    );
    expect(errors['dataset.split']).toMatch(/add up to 1/);
  });

  it('throws an ExperimentError listing every problem', () => {
    try {
      parseExperiment({ seed: 'x', eval: { eceBins: 0 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExperimentError);
      const err = e as ExperimentError;
      expect(err.errors.map((i) => i.path).sort()).toEqual(['eval.eceBins', 'seed']);
      expect(err.message).toContain('seed:');
      expect(err.message).toContain('eval.eceBins:');
    }
  });

  it('ignores unknown keys with a warning naming their path, and never keeps secrets', () => {
    const { config, warnings } = parseExperiment({ colour: 'blue', teacher: { apiKey: 'sk-123', provider: 'openai' }, stages: [{ id: 'a', task: 'explain', loss: { beta: 0.3 } }] });
    expect(warnings.map((w) => w.path).sort()).toEqual(['colour', 'stages.0.loss.beta', 'teacher.apiKey']);
    expect(warnings.find((w) => w.path === 'teacher.apiKey')!.message).toMatch(/secrets never belong/);
    expect(warnings.find((w) => w.path === 'colour')!.message).toBe('unknown key, ignored');
    // A misspelt real field is not mistaken for a secret.
    expect(parseExperiment({ eval: { maxTokens: 5 } }).warnings).toEqual([{ path: 'eval.maxTokens', message: 'unknown key, ignored' }]);
    expect(JSON.stringify(config)).not.toContain('sk-123');
    expect(config.teacher.provider).toBe('openai');
  });

  it('requires a stage source to be the teacher or an EARLIER stage', () => {
    const later = errorsOf({ stages: [{ id: 'small', task: 'explain', source: 'mid' }, { id: 'mid', task: 'explain' }] });
    expect(later['stages.0.source']).toMatch(/not an earlier stage/);
    const unknown = errorsOf({ stages: [{ id: 'a', task: 'explain' }, { id: 'b', task: 'explain', source: 'nope' }] });
    expect(unknown['stages.1.source']).toMatch(/unknown source "nope".*a/);
    const self = errorsOf({ stages: [{ id: 'a', task: 'explain', source: 'a' }] });
    expect(self['stages.0.source']).toBeDefined();
    const ok = parseExperiment({ stages: [{ id: 'mid', task: 'explain' }, { id: 'small', task: 'explain', source: 'mid' }] });
    expect(ok.config.stages[1]!.source).toBe('mid');
  });

  it('lets a classifier, and only a classifier, learn from the seed set ("seed", not a stage id)', () => {
    const ok = parseExperiment({ stages: [{ id: 'c', task: 'classify', source: 'seed' }, { id: 'c2', task: 'classify', source: 'c' }] });
    expect(ok.config.stages.map((s) => s.source)).toEqual(['seed', 'c']);
    expect(errorsOf({ stages: [{ id: 'e', task: 'explain', source: 'seed' }] })['stages.0.source']).toMatch(/token distributions, which the seed set does not hold/);
    expect(errorsOf({ stages: [{ id: 'seed', task: 'classify' }] })['stages.0.id']).toMatch(/names the seed set/);
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', source: 'sed' }] })['stages.0.source']).toMatch(/expected "teacher", "seed" \(a classifier\)/);
  });

  it('caps D_synth at synthetic.maxExamples pairs (0, the default, is all of them)', () => {
    expect(parseExperiment({}).config.synthetic.maxExamples).toBe(0);
    expect(parseExperiment({ synthetic: { maxExamples: 800 } }).config.synthetic.maxExamples).toBe(800);
    expect(errorsOf({ synthetic: { maxExamples: -1 } })['synthetic.maxExamples']).toBeDefined();
  });

  it('rejects an explain stage learning from a classifier, and duplicate stage ids', () => {
    const errors = errorsOf({ stages: [{ id: 'c', task: 'classify' }, { id: 'e', task: 'explain', source: 'c' }, { id: 'e', task: 'explain' }] });
    expect(errors['stages.1.source']).toMatch(/classifier/);
    expect(errors['stages.2.id']).toMatch(/twice/);
  });

  it('rejects jsd with β = 0 (or 1) with a message that says what to use instead', () => {
    for (const param of [0, 1]) {
      const errors = errorsOf({ stages: [{ id: 'a', task: 'explain', loss: { divergence: 'jsd', param } }] });
      expect(errors['stages.0.loss.param']).toMatch(/strictly between 0 and 1.*use fkl or rkl/);
    }
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', loss: { divergence: 'sfkl', param: 1 } }] })['stages.0.loss.param']).toMatch(/α must be in \[0, 1\)/);
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', loss: { wCe: 0, wKd: 0 } }] })['stages.0.loss.wKd']).toMatch(/at least one/);
    for (const divergence of DIVERGENCES) expect(safeParseExperiment({ stages: [{ id: 'a', task: 'explain', loss: { divergence } }] }).ok).toBe(true);
  });

  it('warns that a parameter is ignored by divergences without one', () => {
    const { warnings } = parseExperiment({ stages: [{ id: 'a', task: 'explain', loss: { divergence: 'tvd', param: 0.3 } }] });
    expect(warnings).toEqual([{ path: 'stages.0.loss.param', message: expect.stringMatching(/tvd takes no parameter/) }]);
  });

  it('checks presets against the task and sequence lengths against the preset', () => {
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', student: { preset: 'tiny' }, maxSeqLen: 512 }] })['stages.0.maxSeqLen']).toMatch(/tiny decoder's maxPosition 128/);
    // Pooling belongs to encoders: on an explain stage it is an unknown key, dropped with a warning.
    expect(parseExperiment({ stages: [{ id: 'a', task: 'explain', student: { pooling: 'cls' } }] }).warnings.map((w) => w.path)).toEqual(['stages.0.student.pooling']);
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', student: { preset: 'huge' } }] })['stages.0.student.preset']).toMatch(/tiny.*small.*base.*large/);
    expect(errorsOf({ stages: [{ id: 'a', task: 'summarize' }] })['stages.0.task']).toMatch(/explain.*classify/);
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', steps: 10, schedule: { warmupSteps: 20 } }] })['stages.0.schedule.warmupSteps']).toMatch(/longer than the 10/);
  });

  it('leaves room for the prompt in a decoder that writes maxNewTokens', () => {
    expect(errorsOf({ stages: [{ id: 'a', task: 'explain', maxSeqLen: 64 }], eval: { maxNewTokens: 64 } })['stages.0.maxSeqLen']).toMatch(/no room for the prompt/);
    expect(errorsOf({ inHouseTeacher: { maxSeqLen: 100 }, synthetic: { maxNewTokens: 120 } })['synthetic.maxNewTokens']).toMatch(/no room for the prompt/);
  });

  it('allows only temperature 1 when stages learn from a top-k teacher', () => {
    const errors = errorsOf({ synthetic: { logits: 'topk' }, stages: [{ id: 'a', task: 'explain', loss: { temperature: 2 } }] });
    expect(errors['stages.0.loss.temperature']).toMatch(/temperature 1 only/);
  });

  it('falls back to demo data, and needs a known seed-set policy and a version it can read', () => {
    expect(parseExperiment({ dataset: { split: { train: 0.7, val: 0.1, test: 0.2 } } }).config.dataset.demo).toEqual({ seed: 0, n: 240 });
    expect(errorsOf({ seedSet: { policy: 'review-file' } })['seedSet.path']).toBeDefined();
    expect(errorsOf({ seedSet: { policy: 'vibes' } })['seedSet.policy']).toMatch(/reviewed.*review-file.*auto-accept/);
    expect(errorsOf({ version: 2 })['version']).toMatch(/newer Lantern Studio/);
    expect(errorsOf({ stages: [] })['stages']).toMatch(/at least one stage/);
    expect(errorsOf({ stages: [{ task: 'explain' }] })['stages.0.id']).toMatch(/every stage needs an id/);
    expect(errorsOf(null)['(root)']).toBeDefined();
  });

  it('parses JSON text, reporting a syntax error as an ExperimentError', () => {
    expect(parseExperimentJson('{"seed": 7}').config.seed).toBe(7);
    expect(() => parseExperimentJson('{"seed": 7')).toThrow(ExperimentError);
  });
});

describe('minimalExperiment', () => {
  it('keeps only what differs from the defaults, and parses back to the same experiment', () => {
    expect(minimalExperiment(defaultExperiment())).toEqual({ version: 1 });
    const { config } = parseExperiment({ name: 'mine', stages: [{ id: 'mid', task: 'explain', steps: 10 }, { id: 'enc', task: 'classify', source: 'mid', student: { pooling: 'mean' } }] });
    const minimal = minimalExperiment(config);
    expect(minimal).toEqual({ version: 1, name: 'mine', stages: [{ id: 'mid', task: 'explain', steps: 10 }, { id: 'enc', task: 'classify', source: 'mid', student: { pooling: 'mean' } }] });
    expect(parseExperiment(minimal).config).toEqual(config);
  });

  it('keeps a default-valued demo recipe when the dataset also has an id', () => {
    const { config } = parseExperiment({ dataset: { id: 'ds', demo: {} } });
    expect(parseExperiment(minimalExperiment(config)).config).toEqual(config);
  });
});
