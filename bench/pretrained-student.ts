// A pretrained student as an experiment builds it (run/pretrained-student.ts): a synthetic
// Qwen2-layout folder with Qwen's vocabulary (HF names, Qwen's tokenizer.json) checked from
// config.json (plan), then read, pruned to a student vocabulary built from demo data, built and
// given LoRA adapters (build), on the WASM backend (1 thread), stored as BF16 in 2 shards and as
// F32 in one file. Usage: npx tsx bench/pretrained-student.ts [hidden layers]
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine } from '../src/engine/runtime.ts';
import { WasmBackend } from '../src/engine/wasm/backend.ts';
import { nodeModelFolder } from '../src/export/node.ts';
import { loadQwenTokenizer, qwenTokenizerPaths } from '../src/data/tokenizer-node.ts';
import { buildStudentVocab, StudentTokenizer } from '../src/data/vocab.ts';
import { generateDemoExamples } from '../src/data/demo.ts';
import { isPretrained, parseExperiment } from '../src/experiment/schema.ts';
import { stageUse } from '../src/experiment/pretrained-size.ts';
import { buildPretrained, planPretrained } from '../src/experiment/run/pretrained-student.ts';
import { decoderSpecs, hfFolderFiles, makeTensors, qwen2Config, writeHfFolder, type DecoderSpec } from '../tests/helpers/hf-folder.ts';

const [hidden = 512, layers = 8] = process.argv.slice(2).map(Number);
const qwen = loadQwenTokenizer();
const spec: DecoderSpec = { vocab: qwen.vocabSize, hidden, layers, heads: hidden / 64, kvHeads: Math.max(1, hidden / 256), intermediate: Math.round((hidden * 16) / 3 / 64) * 64, maxPosition: 2048 };
const tensors = makeTensors(decoderSpecs(spec, { qkvBias: true, lmHead: false }), 1, 0.02);
const params = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
const student = new StudentTokenizer(buildStudentVocab(qwen, generateDemoExamples({ seed: 0, n: 240 }).map((e) => JSON.stringify(e))), qwen);
const engine = new Engine(await WasmBackend.create({ threads: 1 }));
const host = { engine, now: () => performance.now() };
console.log(`Qwen2-layout decoder, hidden ${hidden}, ${layers} layers, Qwen's vocabulary (${qwen.vocabSize}): ${(params / 1e6).toFixed(1)} M parameters; student vocabulary ${student.size} tokens`);
for (const [label, opts] of [['BF16, 2 shards', { dtype: 'BF16', shards: 2 }], ['F32, 1 file', {}], ['BF16, 2 shards', { dtype: 'BF16', shards: 2 }], ['F32, 1 file', {}]] as const) {
  const dir = await writeHfFolder(hfFolderFiles(qwen2Config(spec), tensors, opts));
  await copyFile(qwenTokenizerPaths().tokenizer, join(dir, 'tokenizer.json'));
  const stage = parseExperiment({ stages: [{ id: 's', task: 'explain', student: { pretrained: { source: dir, lora: { rank: 8 } } }, batchSize: 8, maxSeqLen: 256 }] }).config.stages[0]!;
  if (!isPretrained(stage.student)) throw new Error('unreachable');
  const t0 = performance.now();
  const plan = await planPretrained(engine, await nodeModelFolder(dir), stageUse(stage), stage.student.pretrained, { size: student.size, tokenizer: student });
  const t1 = performance.now();
  const { model, info } = await buildPretrained(host, plan, stageUse(stage), stage.student.pretrained, 1);
  const t2 = performance.now();
  console.log(`  ${label}: plan (config.json, tokenizer.json, estimate) ${(t1 - t0).toFixed(0)} ms; read + prune + build + LoRA ${(t2 - t1).toFixed(0)} ms; ${info.parameters.toLocaleString('en-US')} parameters after pruning, ${info.trainableParameters.toLocaleString('en-US')} train; estimate ${(info.memory.totalBytes / 2 ** 20).toFixed(0)} MiB at 8 × 256`);
  model.release();
  await rm(dir, { recursive: true });
}
engine.destroy();
