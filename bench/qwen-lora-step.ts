// A Qwen2.5-0.5B-shaped student trained with LoRA on the WASM backend: does the run the estimator
// lets through (batch 1 × 256, r = 8 on q and v) fit the backend's 4 GiB, and how long is a step?
// The folder has Qwen2.5-0.5B's published configuration (hidden 896, 24 layers, 14 heads, 2 kv
// heads, SwiGLU 4864, tied 151,936-token embeddings) with seeded random weights in BF16 — no
// checkpoint can be downloaded here — so the figures are memory and time, not quality. It is
// loaded the way an experiment loads it (plan from config.json and tokenizer.json, then read,
// prune to a student vocabulary from demo data, build, LoRA), then trains on token ids of that
// vocabulary. Usage: npx tsx bench/qwen-lora-step.ts [steps=3] [threads=2]
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine } from '../src/engine/runtime.ts';
import { WasmBackend } from '../src/engine/wasm/backend.ts';
import { AdamW } from '../src/engine/optim.ts';
import { Trainer, nextTokenBatch, logitRows } from '../src/engine/nn/train.ts';
import { crossEntropy } from '../src/engine/ops/kd-loss.ts';
import { WASM_MEMORY_BYTES } from '../src/engine/backend.ts';
import { nodeModelFolder } from '../src/export/node.ts';
import { loadQwenTokenizer, qwenTokenizerPaths } from '../src/data/tokenizer-node.ts';
import { buildStudentVocab, StudentTokenizer } from '../src/data/vocab.ts';
import { generateDemoExamples } from '../src/data/demo.ts';
import { exampleText } from '../src/data/format.ts';
import { isPretrained, parseExperiment } from '../src/experiment/schema.ts';
import { stageUse } from '../src/experiment/pretrained-size.ts';
import { buildPretrained, planPretrained } from '../src/experiment/run/pretrained-student.ts';
import type { DecoderLM } from '../src/engine/nn/decoder.ts';
import { decoderSpecs, hfFolderFiles, makeTensors, qwen2Config, writeHfFolder, type DecoderSpec } from '../tests/helpers/hf-folder.ts';

const [steps = 3, threads = 2] = process.argv.slice(2).map(Number);
const GiB = 2 ** 30;
const qwen = loadQwenTokenizer();
const spec: DecoderSpec = { vocab: 151936, hidden: 896, layers: 24, heads: 14, kvHeads: 2, intermediate: 4864, maxPosition: 32768 };
const config = qwen2Config(spec, { max_window_layers: 21 });

let t = performance.now();
const tensors = makeTensors(decoderSpecs(spec, { qkvBias: true, lmHead: false }), 1, 0.02);
const sourceParameters = [...tensors.values()].reduce((n, x) => n + x.data.length, 0);
const dir = await writeHfFolder(hfFolderFiles(config, tensors, { dtype: 'BF16', shards: 2 }), 'lantern-qwen05-');
tensors.clear();
await copyFile(qwenTokenizerPaths().tokenizer, join(dir, 'tokenizer.json'));
console.log(`Qwen2.5-0.5B-shaped folder (BF16, 2 shards, seeded weights): ${(sourceParameters / 1e6).toFixed(1)} M parameters, written in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const examples = generateDemoExamples({ seed: 0, n: 240 });
const student = new StudentTokenizer(buildStudentVocab(qwen, examples.map((e) => exampleText(e))), qwen);
const engine = new Engine(await WasmBackend.create({ threads }));
const host = { engine, now: () => performance.now() };
try {
  const stage = parseExperiment({ stages: [{ id: 's', task: 'explain', student: { pretrained: { source: dir, lora: { rank: 8, alpha: 16, targets: ['q', 'v'] } } }, batchSize: 1, maxSeqLen: 256 }] }).config.stages[0]!;
  if (!isPretrained(stage.student)) throw new Error('the stage lost its pretrained student');
  t = performance.now();
  const plan = await planPretrained(engine, await nodeModelFolder(dir), stageUse(stage), stage.student.pretrained, { size: student.size, tokenizer: student });
  const { model, info } = await buildPretrained(host, plan, stageUse(stage), stage.student.pretrained, 1);
  console.log(`loaded as an experiment does in ${((performance.now() - t) / 1000).toFixed(1)} s: student vocabulary ${student.size} tokens, ${(info.parameters / 1e6).toFixed(1)} M parameters, ${info.trainableParameters.toLocaleString('en-US')} trained (LoRA r=8 on q, v), ${threads} thread(s)`);
  console.log(`estimate before the run: ${(info.memory.totalBytes / GiB).toFixed(2)} GiB at 1 × 256 (the WASM backend has ${WASM_MEMORY_BYTES / GiB} GiB)`);

  const ids = student.encode(examples.map((e) => exampleText(e)).join('\n')).slice(0, 256);
  const params = (model as DecoderLM).trainableParameters();
  const trainer = new Trainer(engine, params, new AdamW(params, { lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }), { clipNorm: 1 });
  for (let s = 1; s <= steps; s++) {
    t = performance.now();
    const { loss } = await trainer.step(() => {
      const batch = nextTokenBatch(engine, [ids]);
      return crossEntropy(logitRows((model as DecoderLM).forward({ inputIds: batch.inputIds })), batch.targets, batch.mask);
    }, { lr: 1e-4, readLoss: true });
    const sec = (performance.now() - t) / 1000;
    const stats = engine.pool.getStats();
    console.log(`  step ${s}: loss ${loss?.toFixed(4)}, ${sec.toFixed(1)} s (${(255 / sec).toFixed(0)} tokens/s); WASM memory in use ${(stats.allocatedBytes / GiB).toFixed(2)} GiB (live ${(stats.liveBytes / GiB).toFixed(2)})`);
  }
  model.release();
} finally {
  engine.destroy();
  await rm(dir, { recursive: true, force: true });
}
