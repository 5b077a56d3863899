// The builder's pure parts: editing the experiment document, value lists, sizes and time estimates.
import { describe, expect, it } from 'vitest';
import { fieldValue, formatValueList, issuesAt, issuesUnder, parseValueList, setField, unusedStageId } from '../../src/app/lib/draft.ts';
import { effectiveTrainingFlops, estimateTraining, modelSize, type SpeedFigures } from '../../src/app/lib/estimate.ts';
import { TEMPLATES } from '../../src/app/lib/templates.ts';
import { pipelineGraph } from '../../src/app/lib/pipeline-graph.ts';
import { parseExperiment, safeParseExperiment } from '../../src/experiment/schema.ts';
import { decodeShareLink, encodeShareLink } from '../../src/experiment/share-link.ts';
import { parameterCount, trainingFlopsPerToken, trainingMemoryEstimate } from '../../src/engine/nn/size.ts';
import { DECODER_PRESETS } from '../../src/engine/presets.ts';
import { decoderConfig, encoderConfig } from '../../src/engine/nn/config.ts';

describe('editing the document', () => {
  const effective = parseExperiment({}).config;
  it('reads a field from the document, else its default', () => {
    expect(fieldValue({ seed: 7 }, effective, 'seed')).toBe(7);
    expect(fieldValue({}, effective, 'inHouseTeacher.steps')).toBe(200);
  });
  it('writes out the default stages before editing one, so the others stay', () => {
    const doc = setField({ version: 1 }, effective, 'stages.1.loss.divergence', 'tvd');
    expect(doc.stages).toEqual([{ id: 'explainer', task: 'explain' }, { id: 'classifier', task: 'classify', loss: { divergence: 'tvd' } }]);
    expect(safeParseExperiment(doc).ok).toBe(true);
  });
  it('appends at the index one past the end, writing out the default stages first', () => {
    const doc = setField({ version: 1 }, effective, 'stages.2', { id: 'small', task: 'explain', source: 'explainer' });
    expect((doc.stages as { id: string }[]).map((s) => s.id)).toEqual(['explainer', 'classifier', 'small']);
    expect(() => setField({ stages: [] }, effective, 'stages.3', {})).toThrow(/no such array element/);
  });
  it('clears a field back to its default, and removes array items', () => {
    const doc = setField({ seed: 3, stages: [{ id: 'a', task: 'explain' }, { id: 'b', task: 'explain' }] }, effective, 'seed', undefined);
    expect(doc).not.toHaveProperty('seed');
    expect(setField(doc, effective, 'stages.0', undefined).stages).toEqual([{ id: 'b', task: 'explain' }]);
  });
  it('finds the schema\'s issues by field path', () => {
    const result = safeParseExperiment({ stages: [{ id: 'a', task: 'explain', source: 'nope' }] });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(issuesAt(errors, 'stages.0.source')[0]!.message).toMatch(/unknown source "nope"/);
    expect(issuesUnder(errors, 'stages.0')).toHaveLength(1);
    expect(issuesAt(errors, 'stages.0')).toHaveLength(0);
  });
  it('reads sweep values typed in one box', () => {
    expect(parseValueList('fkl, rkl, tvd')).toEqual(['fkl', 'rkl', 'tvd']);
    expect(parseValueList('0.5, 1, 2')).toEqual([0.5, 1, 2]);
    expect(parseValueList('"a b", true')).toEqual(['a b', true]);
    expect(parseValueList('')).toEqual([]);
    expect(formatValueList(['fkl', 0.5, true, 'a b'])).toBe('fkl, 0.5, true, "a b"');
    expect(parseValueList(formatValueList(['fkl', 0.5, true, 'a b']))).toEqual(['fkl', 0.5, true, 'a b']);
  });
  it('names new stages without clashing', () => {
    expect(unusedStageId(effective, 'explainer')).toBe('explainer-2');
    expect(unusedStageId(effective, 'mid')).toBe('mid');
  });
});

describe('sizes and estimates', () => {
  it('counts parameters with the engine\'s formula, dimension overrides included, and shows the engine\'s training-memory estimate', () => {
    const size = modelSize('explain', { preset: 'tiny' }, 8, 128, 1000);
    const config = decoderConfig('tiny', { vocabSize: 1000 });
    expect(size.parameters).toBe(parameterCount(config));
    expect(size.trainingBytes).toBe(trainingMemoryEstimate(config, 8, 128).totalBytes);
    expect(modelSize('explain', { preset: 'tiny' }, 16, 128, 1000).trainingBytes).toBeGreaterThan(size.trainingBytes);
    const wider = modelSize('explain', { preset: 'tiny', dims: { layers: 4 } }, 8, 128, 1000);
    expect(wider.parameters).toBe(parameterCount(decoderConfig({ ...DECODER_PRESETS.tiny, layers: 4 }, { vocabSize: 1000 })));
    expect(wider.parameters).toBeGreaterThan(size.parameters);
  });
  it('counts a token of training as its products and attention, forward and backward, and embedding lookups as free', () => {
    // tiny decoder (H 32, 2 layers, 2 heads, 1 kv head of 16, I 64), V 100, 15 tokens: per layer
    // q 32·32 + k 32·16 + v 32·16 + o 32·32 + gate, up, down 3 · 32·64 = 9,216 multiply-adds;
    // head 32·100; attention 2 products of 32 against (15 + 1) / 2 keys on average.
    const forward = 2 * (2 * 9216) + 2 * 32 * 100 + 2 * (4 * 8 * 32);
    expect(trainingFlopsPerToken(decoderConfig('tiny', { vocabSize: 100 }), 15)).toBe(3 * forward);
    // tiny encoder, 16 tokens: per layer Wqkv 32·96 + Wo 32·32 + Wi 32·128 + Wo 64·32 = 10,240;
    // the head (dense 32·32, classifier 32·3) once per sequence; attention against all 16 keys.
    const encoder = 2 * (2 * 10240) + (2 * (32 * 32 + 32 * 3)) / 16 + 2 * (4 * 16 * 32);
    expect(trainingFlopsPerToken(encoderConfig('tiny', { vocabSize: 100, numClasses: 3 }), 16)).toBeCloseTo(3 * encoder, 9);
    // The vocabulary only enters an encoder through its embeddings: no FLOPs.
    expect(trainingFlopsPerToken(encoderConfig('tiny', { vocabSize: 5000, numClasses: 3 }), 16)).toBeCloseTo(3 * encoder, 9);
  });
  it('turns measured tokens/s into training FLOP/s and a sweep into seconds', () => {
    const speed: SpeedFigures = { adapter: 'x', measuredAt: '', matmul: [], training: [{ model: 'decoder', preset: 'small', parameters: 1000, batch: 1, seqLen: 8, vocabSize: 512, tokensPerSecond: 10 }] };
    const rate = 10 * trainingFlopsPerToken(decoderConfig('small', { vocabSize: 512 }), 8);
    expect(effectiveTrainingFlops(speed)).toBeCloseTo(rate, 6);
    // Figures stored before they carried the vocabulary were measured with 1,024 tokens.
    const { vocabSize: _, ...older } = speed.training[0]!;
    expect(effectiveTrainingFlops({ ...speed, training: [older] })).toBeCloseTo(10 * trainingFlopsPerToken(decoderConfig('small', { vocabSize: 1024 }), 8), 6);
    const config = parseExperiment({
      inHouseTeacher: { preset: 'tiny', steps: 2, batchSize: 1, maxSeqLen: 16 },
      synthetic: { maxNewTokens: 4 },
      eval: { maxNewTokens: 4 },
      stages: [{ id: 'c', task: 'classify', student: { preset: 'tiny' }, steps: 3, batchSize: 2, maxSeqLen: 16 }],
    }).config;
    const V = 100;
    const teacherFlops = trainingFlopsPerToken(decoderConfig('tiny', { vocabSize: V }), 16) * 1 * 16 * 2;
    const stageFlops = trainingFlopsPerToken(encoderConfig('tiny', { vocabSize: V, numClasses: 3 }), 16) * 2 * 16 * 3;
    // Two runs sharing one teacher: the teacher once, the stage twice.
    const e = estimateTraining([config, config], ['k', 'k'], speed, V)!;
    expect(e.teachers).toBe(1);
    expect(e.trainingSeconds).toBeCloseTo((teacherFlops + 2 * stageFlops) / rate, 9);
  });
  it('leaves a pretrained teacher out of the estimate (sized from its folder when the run starts), and counts it as unsized', () => {
    const speed: SpeedFigures = { adapter: 'x', measuredAt: '', matmul: [], training: [{ model: 'decoder', preset: 'small', parameters: 1000, batch: 1, seqLen: 1, tokensPerSecond: 10 }] };
    const config = parseExperiment({
      inHouseTeacher: { pretrained: { source: 'qwen', lora: {} }, steps: 2, batchSize: 1, maxSeqLen: 16 },
      synthetic: { maxNewTokens: 4 },
      eval: { maxNewTokens: 4 },
      stages: [{ id: 'e', task: 'explain', student: { preset: 'tiny' }, steps: 3, batchSize: 2, maxSeqLen: 16 }],
    }).config;
    const V = 100;
    const e = estimateTraining([config], ['k'], speed, V)!;
    expect(e.unsized).toBe(1);
    // The stage alone: its source's forward passes are not counted when the source is unsized.
    const rate = effectiveTrainingFlops(speed)!;
    expect(e.trainingSeconds).toBeCloseTo((trainingFlopsPerToken(decoderConfig('tiny', { vocabSize: V }), 16) * 2 * 16 * 3) / rate, 9);
    expect(pipelineGraph(config).nodes.find((n) => n.id === 'teacher')!.detail).toBe('pretrained qwen + LoRA decoder · 2 steps');
    expect(fieldValue({}, config, 'inHouseTeacher.pretrained.source')).toBe('qwen');
  });
});

describe('templates', () => {
  it('include every shipped example, each a valid experiment', () => {
    expect(TEMPLATES.map((t) => t.id)).toEqual(expect.arrayContaining(['sweep-losses', 'sweep-losses.tiny', 'staged-vs-direct', 'staged-vs-direct.tiny']));
    // The one-click demo is the first template, its tiny CI variant the next.
    expect(TEMPLATES.slice(0, 2).map((t) => t.id)).toEqual(['demo', 'demo.tiny']);
    for (const t of TEMPLATES) expect(safeParseExperiment(JSON.parse(t.json)).ok).toBe(true);
  });
  it('share as links under 2 KB that open to the same experiment', () => {
    for (const t of TEMPLATES) {
      const config = parseExperiment(JSON.parse(t.json)).config;
      const link = `http://127.0.0.1:5174/${encodeShareLink(config)}`;
      expect(link.length, t.id).toBeLessThan(2048);
      expect(decodeShareLink(link).config).toEqual(config);
    }
  });
});
