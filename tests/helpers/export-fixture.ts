// A finished run's folder for export tests, as `lantern run` lays it out (results.json, vocab.json,
// checkpoints/<stage>/{model.safetensors,config.json}), with students built from given tensors.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { buildStudentVocab, StudentTokenizer, type StudentVocabJson } from '../../src/data/vocab.ts';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import { vocabularyTexts, TaskCodec } from '../../src/experiment/task.ts';
import { parseExperimentJson, modelLabel, type ExperimentConfig } from '../../src/experiment/schema.ts';
import { decoderConfig, encoderConfig, toHfConfig, type DecoderConfig, type EncoderConfig, type ModelConfig } from '../../src/engine/nn/config.ts';
import { writeSafetensors, type NamedTensorData } from '../../src/engine/safetensors.ts';
import type { InitKind, Initializer } from '../../src/engine/nn/module.ts';
import type { Example } from '../../src/data/schema.ts';

export const FIXTURE_EXPERIMENT = {
  version: 1,
  name: 'export fixture',
  seed: 5,
  dataset: { demo: { seed: 5, n: 12 } },
  teacher: { provider: 'offline' },
  seedSet: { policy: 'auto-accept', minConfidence: 0.5 },
  inHouseTeacher: { preset: 'tiny', steps: 1, batchSize: 2, maxSeqLen: 64, evalEvery: 0 },
  synthetic: { logits: 'full', maxNewTokens: 6 },
  stages: [
    { id: 'explainer', task: 'explain', student: { preset: 'tiny' }, source: 'teacher', loss: { divergence: 'tvd', wCe: 0.5, wKd: 1 }, steps: 1, batchSize: 2, maxSeqLen: 64, evalEvery: 0 },
    { id: 'classifier', task: 'classify', student: { preset: 'tiny', pooling: 'mean' }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.5, wKd: 1 }, steps: 1, batchSize: 2, maxSeqLen: 64, evalEvery: 0 },
  ],
  eval: { maxNewTokens: 6 },
};

export interface ExportFixture {
  experiment: ExperimentConfig;
  examples: Example[];
  vocab: StudentVocabJson;
  codec: TaskCodec;
  encoder: EncoderConfig;
  decoder: DecoderConfig;
}

/** Small dims (fast on SwiftShader) with the real pruned vocabulary of a few demo examples. */
export function exportFixture(): ExportFixture {
  const { config: experiment } = parseExperimentJson(JSON.stringify(FIXTURE_EXPERIMENT));
  const examples = generateDemoExamples({ seed: 5, n: 12 });
  const qwen = loadQwenTokenizer();
  const vocab = buildStudentVocab(qwen, vocabularyTexts(examples, []));
  const codec = new TaskCodec(new StudentTokenizer(vocab, qwen));
  const V = codec.vocabSize;
  return {
    experiment,
    examples,
    vocab,
    codec,
    encoder: encoderConfig({ hidden: 32, layers: 2, heads: 2, intermediate: 48, maxPosition: 64 }, { vocabSize: V, numClasses: 3, pooling: 'mean', labels: ['low', 'medium', 'high'] }),
    decoder: decoderConfig({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, maxPosition: 64 }, { vocabSize: V, eosTokenId: 1, padTokenId: 0 }),
  };
}

/** Every parameter of a model config with its shape (Hugging Face names, as the models build them). */
export function parameterShapes(c: ModelConfig): [string, number[], InitKind][] {
  const H = c.hidden;
  const I = c.intermediate;
  const out: [string, number[], InitKind][] = [];
  const norm = (n: string) => out.push([`${n}.weight`, [H], 'ones'], [`${n}.bias`, [H], 'zeros']);
  if (c.kind === 'encoder') {
    out.push(['model.embeddings.tok_embeddings.weight', [c.vocabSize, H], 'normal']);
    norm('model.embeddings.norm');
    for (let l = 0; l < c.layers; l++) {
      const p = `model.layers.${l}`;
      if (l) norm(`${p}.attn_norm`);
      out.push([`${p}.attn.Wqkv.weight`, [3 * H, H], 'normal'], [`${p}.attn.Wo.weight`, [H, H], 'normal']);
      norm(`${p}.mlp_norm`);
      out.push([`${p}.mlp.Wi.weight`, [2 * I, H], 'normal'], [`${p}.mlp.Wo.weight`, [H, I], 'normal']);
    }
    norm('model.final_norm');
    out.push(['head.dense.weight', [H, H], 'normal'], ['head.dense.bias', [H], 'zeros']);
    norm('head.norm');
    out.push(['classifier.weight', [c.numClasses, H], 'normal'], ['classifier.bias', [c.numClasses], 'zeros']);
  } else {
    const kv = c.kvHeads * (H / c.heads);
    out.push(['model.embed_tokens.weight', [c.vocabSize, H], 'normal']);
    for (let l = 0; l < c.layers; l++) {
      const p = `model.layers.${l}`;
      out.push([`${p}.input_layernorm.weight`, [H], 'ones']);
      for (const [n, rows] of [['q_proj', H], ['k_proj', kv], ['v_proj', kv]] as const) out.push([`${p}.self_attn.${n}.weight`, [rows, H], 'normal'], [`${p}.self_attn.${n}.bias`, [rows], 'normal']);
      out.push([`${p}.self_attn.o_proj.weight`, [H, H], 'normal'], [`${p}.post_attention_layernorm.weight`, [H], 'ones']);
      out.push([`${p}.mlp.gate_proj.weight`, [I, H], 'normal'], [`${p}.mlp.up_proj.weight`, [I, H], 'normal'], [`${p}.mlp.down_proj.weight`, [H, I], 'normal']);
    }
    out.push(['model.norm.weight', [H], 'ones']);
  }
  return out;
}

/** Tensors for a config from an initializer (CPU only). */
export function initTensors(config: ModelConfig, init: Initializer): Map<string, NamedTensorData> {
  return new Map(parameterShapes(config).map(([n, shape, kind]) => [n, { shape, data: init(n, shape, kind) }]));
}

/** Writes the run folder: the experiment's two stages with the given checkpoints. */
export async function writeRunFolder(dir: string, fx: ExportFixture, checkpoints: Record<'explainer' | 'classifier', { weights: Uint8Array; config: Record<string, unknown> }>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(fx.vocab));
  const stages = fx.experiment.stages.map((s) => ({
    id: s.id,
    task: s.task,
    preset: modelLabel(s.student),
    source: s.source,
    parameters: 1000,
    steps: 1,
    resumedFrom: 0,
    curves: { train: [{ step: 1, loss: 1.5 }], val: [] },
    seconds: 1,
    metrics: s.task === 'classify' ? { accuracy: 0.5, macroF1: 0.4, ece: 0.1 } : { labelAccuracy: 0.5, rouge: { rouge1: { fmeasure: 0.3 }, rouge2: { fmeasure: 0.1 }, rougeL: { fmeasure: 0.2 }, rougeLsum: { fmeasure: 0.2 } } },
  }));
  const results = { format: 'lantern-results', version: 1, experiment: fx.experiment, device: null, startedAt: '2026-01-02T03:04:05.000Z', finishedAt: '2026-01-02T03:14:05.000Z', timings: {}, data: {}, teacher: null, stages };
  await writeFile(join(dir, 'results.json'), JSON.stringify(results));
  for (const [id, c] of Object.entries(checkpoints)) {
    await mkdir(join(dir, 'checkpoints', id), { recursive: true });
    await writeFile(join(dir, 'checkpoints', id, 'model.safetensors'), c.weights);
    await writeFile(join(dir, 'checkpoints', id, 'config.json'), JSON.stringify(c.config, null, 2));
  }
}

/** A checkpoint (bytes + config.json) from tensors, as saveCheckpoint writes it. */
export function checkpointOf(config: ModelConfig, tensors: Map<string, NamedTensorData>): { weights: Uint8Array; config: Record<string, unknown> } {
  return { weights: writeSafetensors(tensors, { format: 'pt' }), config: toHfConfig(config) };
}
