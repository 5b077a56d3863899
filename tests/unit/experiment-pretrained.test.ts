// Pretrained students (and in-house teachers) in the experiment schema: the {pretrained: {source, lora?}} form beside
// presets, its defaults and errors, and that share links and experiment identity carry it.
import { describe, expect, it } from 'vitest';
import { defaultExperiment, experimentIdentity, isPretrained, minimalExperiment, parseExperiment, safeParseExperiment, sameExperiment, stageDims, modelLora, modelLabel, teacherDims } from '../../src/experiment/schema.ts';
import { sharedKey } from '../../src/experiment/run/pipeline.ts';
import { DECODER_PRESETS } from '../../src/engine/presets.ts';
import { decodeShareLink, encodeShareLink } from '../../src/experiment/share-link.ts';
import { estimateTraining } from '../../src/app/lib/estimate.ts';

function errorsOf(input: unknown): Record<string, string> {
  const result = safeParseExperiment(input);
  if (result.ok) throw new Error('expected the experiment to be invalid');
  return Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
}

const withStudent = (student: unknown, task: 'explain' | 'classify' = 'explain', extra: Record<string, unknown> = {}) => ({
  inHouseTeacher: { preset: 'tiny', maxSeqLen: 200, dims: { maxPosition: 256 } },
  stages: [{ id: 'qwen', task, student, ...extra }],
});

describe('pretrained students', () => {
  it('parses a folder source with LoRA defaults; maxSeqLen defaults to the in-house teacher\'s', () => {
    const { config, warnings } = parseExperiment(withStudent({ pretrained: { source: 'models/Qwen2.5-0.5B', lora: { rank: 4 } } }));
    expect(warnings).toEqual([]);
    const stage = config.stages[0]!;
    expect(stage.student).toEqual({ pretrained: { source: 'models/Qwen2.5-0.5B', lora: { rank: 4, alpha: 16, dropout: 0, targets: ['q', 'v'] } } });
    expect(isPretrained(stage.student)).toBe(true);
    expect(stage.maxSeqLen).toBe(200);
    expect(stageDims(stage)).toBeNull();
    expect(modelLora(stage.student)).toMatchObject({ rank: 4 });
    expect(modelLabel(stage.student)).toBe('pretrained models/Qwen2.5-0.5B + LoRA');
    // Without lora: full fine-tuning; an explicit maxSeqLen is kept.
    const full = parseExperiment(withStudent({ pretrained: { source: 'm' } }, 'classify', { maxSeqLen: 64 })).config.stages[0]!;
    expect(full.student).toEqual({ pretrained: { source: 'm' } });
    expect(full.maxSeqLen).toBe(64);
    expect(modelLora(full.student)).toBeUndefined();
    // Preset students are unchanged.
    const preset = parseExperiment(withStudent({ preset: 'tiny' })).config.stages[0]!;
    expect(preset.student).toEqual({ preset: 'tiny' });
    expect(preset.maxSeqLen).toBe(128);
  });

  it('names each bad field of the pretrained form, and none of the preset form', () => {
    expect(errorsOf(withStudent({ pretrained: {} }))).toEqual({ 'stages.0.student.pretrained.source': expect.stringMatching(/expected string/) });
    expect(errorsOf(withStudent({ pretrained: { source: '  ' } }))['stages.0.student.pretrained.source']).toMatch(/pretrained.source must not be empty/);
    expect(errorsOf(withStudent({ pretrained: { source: 'm' }, preset: 'small' }))['stages.0.student.preset']).toMatch(/does not apply to a pretrained student: its size comes from the folder's config.json/);
    expect(errorsOf(withStudent({ pretrained: { source: 'm' }, lora: { rank: 2 } }))['stages.0.student.lora']).toMatch(/put lora inside pretrained/);
    expect(errorsOf(withStudent({ pretrained: { source: 'm' }, pooling: 'mean' }, 'classify'))['stages.0.student.pooling']).toMatch(/classifier_pooling/);
    expect(errorsOf(withStudent({ pretrained: { source: 'm', lora: { dropout: 1 } } }))['stages.0.student.pretrained.lora.dropout']).toBeDefined();
    expect(errorsOf(withStudent({ pretrained: { source: 'm', lora: { targets: ['qkv'] } } }))['stages.0.student.pretrained.lora.targets.0']).toBeDefined();
    expect(errorsOf(withStudent({ pretrained: 'm' }))['stages.0.student.pretrained']).toMatch(/expected object/);
    // warm-up is still checked against the steps.
    expect(errorsOf(withStudent({ pretrained: { source: 'm' } }, 'explain', { steps: 5, schedule: { warmupSteps: 9 } }))['stages.0.schedule.warmupSteps']).toMatch(/longer than the 5 training steps/);
  });

  it('drops unknown keys inside the pretrained form with a warning naming their path', () => {
    const result = safeParseExperiment(withStudent({ pretrained: { source: 'm', revision: 'main' } }));
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([{ path: 'stages.0.student.pretrained.revision', message: 'unknown key, ignored' }]);
  });

  it('is left out of the schema memory check (sized from config.json when the run starts) and of the time estimate', () => {
    // A batch no preset could train at 24 GiB: refused for a preset, accepted for a folder.
    const huge = { batchSize: 4096, maxSeqLen: 8192 };
    expect(Object.keys(errorsOf(withStudent({ preset: 'large', dims: { maxPosition: 8192 } }, 'explain', huge)))).toContain('stages.0.batchSize');
    expect(safeParseExperiment({ ...withStudent({ pretrained: { source: 'm' } }, 'explain', huge), inHouseTeacher: { preset: 'tiny', dims: { maxPosition: 8192 } } }).ok).toBe(true);
    const config = parseExperiment({ ...withStudent({ pretrained: { source: 'm' } }), stages: [{ id: 'a', task: 'explain', student: { pretrained: { source: 'm' } } }, { id: 'b', task: 'explain', source: 'a', student: { preset: 'tiny' } }] }).config;
    const speed = { adapter: 'test', measuredAt: '', matmul: [], training: [{ model: 'decoder' as const, preset: 'tiny', parameters: 1e6, batch: 1, seqLen: 1, tokensPerSecond: 1000 }] };
    const estimate = estimateTraining([config], ['k'], speed)!;
    expect(estimate.unsized).toBe(1);
    expect(estimate.trainingSeconds).toBeGreaterThan(0);
  });

  it('travels in share links and belongs to the experiment\'s identity', () => {
    const config = parseExperiment(withStudent({ pretrained: { source: 'Qwen2.5-0.5B', lora: { rank: 8, alpha: 32, dropout: 0.05, targets: ['q', 'k', 'v', 'o'] } } })).config;
    const minimal = minimalExperiment(config) as { stages: { student: unknown }[] };
    // rank 8 is the default: the minimal form leaves it out.
    expect(minimal.stages[0]!.student).toEqual({ pretrained: { source: 'Qwen2.5-0.5B', lora: { alpha: 32, dropout: 0.05, targets: ['q', 'k', 'v', 'o'] } } });
    const decoded = decodeShareLink(encodeShareLink(config));
    expect(decoded.config).toEqual(config);
    expect(sameExperiment(decoded.config, config)).toBe(true);
    const other = parseExperiment(withStudent({ pretrained: { source: 'Qwen2.5-1.5B', lora: { rank: 8, alpha: 32, dropout: 0.05, targets: ['q', 'k', 'v', 'o'] } } })).config;
    expect(sameExperiment(other, config)).toBe(false);
    expect(experimentIdentity(config).stages[0]!.student).toEqual(config.stages[0]!.student);
  });
});

describe('a pretrained in-house teacher', () => {
  const teacherFrom = (inHouseTeacher: unknown, extra: Record<string, unknown> = {}) => ({ inHouseTeacher, stages: [{ id: 'e', task: 'explain', student: { preset: 'tiny' } }, { id: 'q', task: 'explain', student: { pretrained: { source: 's' } } }], ...extra });

  it('parses {pretrained: {source, lora?}} with the training fields; the stages default to its maxSeqLen', () => {
    const { config, warnings } = parseExperiment(teacherFrom({ pretrained: { source: 'models/Qwen2.5-0.5B', lora: { rank: 4 } }, steps: 30, maxSeqLen: 192 }));
    expect(warnings).toEqual([]);
    const t = config.inHouseTeacher;
    expect(isPretrained(t)).toBe(true);
    expect(t).toMatchObject({ pretrained: { source: 'models/Qwen2.5-0.5B', lora: { rank: 4, alpha: 16, dropout: 0, targets: ['q', 'v'] } }, steps: 30, maxSeqLen: 192, batchSize: 8 });
    expect(t).not.toHaveProperty('preset');
    expect(teacherDims(t)).toBeNull();
    expect(modelLora(t)).toMatchObject({ rank: 4 });
    expect(modelLabel(t)).toBe('pretrained models/Qwen2.5-0.5B + LoRA');
    // A pretrained stage learns from the teacher's sequences; a preset one keeps its preset's context.
    expect(config.stages.map((s) => s.maxSeqLen)).toEqual([128, 192]);
    // The preset teacher is unchanged.
    const preset = defaultExperiment().inHouseTeacher;
    expect(preset).toMatchObject({ preset: 'base', maxSeqLen: DECODER_PRESETS.base.maxPosition });
    expect(modelLabel(preset)).toBe('base');
    expect(modelLora(preset)).toBeUndefined();
  });

  it('refuses preset fields beside pretrained, naming each, and a missing maxSeqLen', () => {
    const errors = errorsOf(teacherFrom({ pretrained: { source: 'm' }, preset: 'base', dims: { layers: 2 }, lora: { rank: 2 }, maxSeqLen: 128 }));
    expect(errors['inHouseTeacher.preset']).toMatch(/"preset" does not apply to a pretrained teacher: its size comes from the folder's config.json/);
    expect(errors['inHouseTeacher.dims']).toMatch(/"dims" does not apply to a pretrained teacher/);
    expect(errors['inHouseTeacher.lora']).toMatch(/put lora inside pretrained/);
    expect(errorsOf(teacherFrom({ pretrained: { source: 'm' } }))).toEqual({ 'inHouseTeacher.maxSeqLen': expect.stringMatching(/a pretrained teacher needs maxSeqLen/) });
    expect(errorsOf(teacherFrom({ pretrained: { source: '' }, maxSeqLen: 128 }))['inHouseTeacher.pretrained.source']).toMatch(/must not be empty/);
    expect(errorsOf(teacherFrom({ pretrained: { source: 'm', lora: { rank: 0 } }, maxSeqLen: 128 }))['inHouseTeacher.pretrained.lora.rank']).toBeDefined();
    // The cross-field rules still hold: warm-up against steps, the synthetic answers against its context.
    expect(errorsOf(teacherFrom({ pretrained: { source: 'm' }, maxSeqLen: 128, steps: 4, schedule: { warmupSteps: 5 } }))['inHouseTeacher.schedule.warmupSteps']).toMatch(/longer than the 4 training steps/);
    expect(errorsOf(teacherFrom({ pretrained: { source: 'm' }, maxSeqLen: 64 }, { synthetic: { maxNewTokens: 64 } }))['synthetic.maxNewTokens']).toMatch(/64-token context/);
  });

  it('is left out of the schema memory check (sized from config.json when the run starts); an unknown key inside it is warned about', () => {
    // A batch the largest preset could not train at 24 GiB: refused for a preset teacher, accepted for a folder.
    const huge = { batchSize: 4096, maxSeqLen: 4096 };
    expect(Object.keys(errorsOf(teacherFrom({ preset: 'large', dims: { maxPosition: 4096 }, ...huge })))).toContain('inHouseTeacher.batchSize');
    expect(safeParseExperiment(teacherFrom({ pretrained: { source: 'm' }, ...huge })).ok).toBe(true);
    const result = safeParseExperiment(teacherFrom({ pretrained: { source: 'm', revision: 'main' }, maxSeqLen: 128 }));
    expect(result.ok && result.warnings).toEqual([{ path: 'inHouseTeacher.pretrained.revision', message: 'unknown key, ignored' }]);
  });

  it('travels in share links, belongs to the identity, and its source is part of the key a sweep shares the teacher by', async () => {
    const config = parseExperiment(teacherFrom({ pretrained: { source: 'Qwen2.5-0.5B', lora: { alpha: 32 } }, maxSeqLen: 128 })).config;
    expect((minimalExperiment(config) as { inHouseTeacher: unknown }).inHouseTeacher).toEqual({ pretrained: { source: 'Qwen2.5-0.5B', lora: { alpha: 32 } }, maxSeqLen: 128 });
    expect(decodeShareLink(encodeShareLink(config)).config).toEqual(config);
    const other = parseExperiment(teacherFrom({ pretrained: { source: 'Qwen2.5-1.5B', lora: { alpha: 32 } }, maxSeqLen: 128 })).config;
    expect(sameExperiment(config, other)).toBe(false);
    expect(await sharedKey(config)).not.toBe(await sharedKey(other));
    expect(await sharedKey(config)).toBe(await sharedKey(parseExperiment(teacherFrom({ pretrained: { source: 'Qwen2.5-0.5B', lora: { alpha: 32 } }, maxSeqLen: 128 }, { stages: [{ id: 'x', task: 'classify' }] })).config));
  });
});
