// Experiments whose students (or in-house teacher) start from a Hugging Face model folder: a tiny Qwen2 folder written
// here (HF names, a transformers-style config.json, Qwen's own tokenizer.json) fine-tuned in full
// by one stage and with LoRA by another (WASM backend): the LoRA stage's base weights are
// bit-identical after training, its adapters changed, the merged checkpoint gives the logits of
// base + adapters, the PEFT adapter has PEFT's names and shapes; vocabulary pruning keeps the
// pretrained rows. Malformed and too-large folders are refused with their errors before the run
// writes anything or allocates a tensor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/runtime.ts';
import { WasmBackend } from '../../src/engine/wasm/backend.ts';
import { readSafetensors, type NamedTensorData } from '../../src/engine/safetensors.ts';
import { loadCheckpoint } from '../../src/engine/checkpoint.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { applyLora, loraLayers, mergedWeight } from '../../src/engine/nn/lora.ts';
import { loraParameterCount } from '../../src/engine/nn/size.ts';
import { hfLoadPlan } from '../../src/engine/nn/config.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { parseExperiment, type PretrainedStudentConfig } from '../../src/experiment/schema.ts';
import { stageUse } from '../../src/experiment/pretrained-size.ts';
import { createNodeHost, fileStore, type NodeHost } from '../../src/experiment/run/node-host.ts';
import { runExperiment, type RunResults } from '../../src/experiment/run/pipeline.ts';
import { planPretrained } from '../../src/experiment/run/pretrained-student.ts';
import { loadQwenTokenizer, qwenTokenizerPaths } from '../../src/data/tokenizer-node.ts';
import { buildStudentVocab, StudentTokenizer } from '../../src/data/vocab.ts';
import { nodeModelFolder } from '../../src/export/node.ts';
import { decoderSpecs, hfFolderFiles, makeTensors, modernBertConfig, modernBertSpecs, qwen2Config, TINY_ENCODER, writeHfFolder, type DecoderSpec } from '../helpers/hf-folder.ts';

const qwen = loadQwenTokenizer();
/** A tiny Qwen2 whose vocabulary is Qwen's (every id a student keeps has its row). */
const DIMS: DecoderSpec = { vocab: qwen.vocabSize, hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, maxPosition: 256 };
const folderConfig = qwen2Config(DIMS);
const folderTensors = makeTensors(decoderSpecs(DIMS, { qkvBias: true, lmHead: false }), 11, 0.05);
const LORA = { rank: 4, alpha: 8, dropout: 0.1, targets: ['q', 'v', 'down'] } as const;

const training = { steps: 3, batchSize: 2, maxSeqLen: 96, evalEvery: 0, optimizer: { lr: 0.01 }, schedule: { kind: 'constant' } } as const;
const experiment = (stages: unknown[], inHouseTeacher: unknown = { preset: 'tiny', ...training }) =>
  parseExperiment({
    name: 'pretrained students',
    seed: 3,
    dataset: { demo: { seed: 2, n: 20 }, split: { train: 0.7, val: 0.1, test: 0.2 } },
    seedSet: { policy: 'auto-accept', minConfidence: 0.5 },
    inHouseTeacher,
    synthetic: { logits: 'full', maxNewTokens: 6 },
    stages,
    eval: { maxNewTokens: 6, metrics: ['rouge', 'consistency'] },
  }).config;

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

/** The folder's files plus Qwen's tokenizer.json (or `tokenizer` instead), written under `root/name`. */
async function writeFolder(root: string, name: string, config: Record<string, unknown>, tensors: Map<string, NamedTensorData> | null, tokenizer: 'qwen' | string | null = 'qwen'): Promise<string> {
  const files = hfFolderFiles(config, tensors ?? new Map());
  if (!tensors) files.delete('model.safetensors');
  const dir = await writeHfFolder(files);
  const target = join(root, name);
  rmSync(target, { recursive: true, force: true });
  copyDir(dir, target);
  if (tokenizer === 'qwen') copyFileSync(qwenTokenizerPaths().tokenizer, join(target, 'tokenizer.json'));
  else if (tokenizer !== null) writeFileSync(join(target, 'tokenizer.json'), tokenizer);
  rmSync(dir, { recursive: true, force: true });
  return target;
}
function copyDir(from: string, to: string) {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) copyFileSync(join(from, f), join(to, f));
}

const twoStages = () =>
  experiment([
    { id: 'full', task: 'explain', student: { pretrained: { source: 'qwen-tiny' } }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.5, wKd: 1 }, ...training },
    { id: 'lora', task: 'explain', student: { pretrained: { source: 'qwen-tiny', lora: LORA } }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.5, wKd: 1 }, ...training },
  ]);
/** The first test's output: what an uninterrupted run wrote. */
let firstRun = '';

let engine: Engine;
let host: NodeHost;
let root: string;

beforeAll(async () => {
  engine = new Engine(await WasmBackend.create({ threads: 1 }));
  root = tempDir('lantern-pretrained-exp-');
  host = await createNodeHost({ engine, baseDir: root });
  await writeFolder(root, 'qwen-tiny', folderConfig, folderTensors);
});
afterAll(async () => {
  await host?.close();
  engine?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tensorsOf = (path: string) => readSafetensors(new Uint8Array(readFileSync(path))).tensors;

/** The folder's tensor `name`, with the embedding's rows those of the kept Qwen ids in the student vocabulary's order (null: the mean row). */
function foldersRows(name: string, keptIds: readonly (number | null)[]): Float32Array {
  const t = folderTensors.get(name)!;
  if (name !== 'model.embed_tokens.weight') return t.data;
  const H = DIMS.hidden;
  const mean = new Float32Array(H);
  const acc = new Float64Array(H);
  for (let r = 0; r < DIMS.vocab; r++) for (let c = 0; c < H; c++) acc[c] += t.data[r * H + c]!;
  acc.forEach((v, c) => (mean[c] = v / DIMS.vocab));
  const outRows = new Float32Array(keptIds.length * H);
  keptIds.forEach((id, i) => outRows.set(id === null ? mean : t.data.subarray(id * H, (id + 1) * H), i * H));
  return outRows;
}

describe('experiments with pretrained students', () => {
  it('fine-tunes a Qwen2 folder in full and with LoRA: frozen base, changed adapters, merged = base + adapters, a PEFT adapter', async () => {
    const out = tempDir('lantern-pretrained-run-');
    firstRun = out;
    const results = await runExperiment(twoStages(), host, fileStore(out));
    const onDisk = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(onDisk.stages.map((s) => s.id)).toEqual(['full', 'lora']);
    const [full, lora] = results.stages as [RunResults['stages'][0], RunResults['stages'][0]];
    const vocabSize = results.data.vocabSize;

    // What ran is recorded: the folder, its type, what trained, the estimate it was checked against.
    const student = new StudentTokenizer(JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')), qwen);
    const keptIds = student.qwenIds();
    expect(keptIds).toHaveLength(vocabSize);
    expect(full.pretrained).toMatchObject({ source: 'qwen-tiny', modelType: 'qwen2', trainableParameters: full.parameters });
    expect(full.dims).toEqual({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, maxPosition: 256 });
    const prunedConfig = (JSON.parse(readFileSync(join(out, 'checkpoints', 'lora', 'config.json'), 'utf8')) as { vocab_size: number; eos_token_id: number; bos_token_id: number });
    expect(prunedConfig).toMatchObject({ vocab_size: vocabSize, eos_token_id: 1, bos_token_id: 2 }); // the student's <|endoftext|> and <|im_start|>
    expect(lora.pretrained!.lora).toEqual({ rank: 4, alpha: 8, dropout: 0.1, modules: ['q_proj', 'v_proj', 'down_proj'] });
    expect(lora.pretrained!.memory.limitBytes).toBe(4 * 2 ** 30);
    expect(lora.pretrained!.memory.parameterBytes).toBeLessThan(full.pretrained!.memory.parameterBytes / 2);
    for (const s of [full, lora]) {
      expect(s.curves.train.map((p) => p.step)).toEqual([1, 2, 3]);
      for (const p of s.curves.train) expect(Number.isFinite(p.loss)).toBe(true);
    }

    const H = DIMS.hidden;
    const prunedRows = (name: string) => foldersRows(name, keptIds);

    // LoRA: every weight that is not adapted is the folder's, bit for bit (the embedding as pruned);
    // each adapted one is exactly the folder's merged with the trained adapter.
    const merged = tensorsOf(join(out, 'checkpoints', 'lora', 'model.safetensors'));
    const adapterDir = join(out, 'checkpoints', 'lora', 'adapter');
    const adapter = tensorsOf(join(adapterDir, 'adapter_model.safetensors'));
    const adapterConfig = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0.1, bias: 'none', base_model_name_or_path: 'qwen-tiny' });
    const modules = Array.from({ length: DIMS.layers }, (_, l) => [`model.layers.${l}.self_attn.q_proj`, `model.layers.${l}.self_attn.v_proj`, `model.layers.${l}.mlp.down_proj`]).flat();
    expect([...(adapterConfig.target_modules as string[])].sort()).toEqual([...modules].sort());
    const kv = DIMS.kvHeads * (H / DIMS.heads);
    const shapes: Record<string, [number, number]> = { q_proj: [H, H], v_proj: [H, kv], down_proj: [DIMS.intermediate, H] };
    expect([...adapter.keys()].sort()).toEqual(modules.flatMap((m) => [`base_model.model.${m}.lora_A.weight`, `base_model.model.${m}.lora_B.weight`]).sort());
    for (const m of modules) {
      const [inF, outF] = shapes[m.split('.').at(-1)!]!;
      const A = adapter.get(`base_model.model.${m}.lora_A.weight`)!;
      const B = adapter.get(`base_model.model.${m}.lora_B.weight`)!;
      expect(A.shape).toEqual([4, inF]);
      expect(B.shape).toEqual([outF, 4]);
      expect(B.data.some((v) => v !== 0), `${m} lora_B trained (it starts at zero)`).toBe(true);
      expect(merged.get(`${m}.weight`)!.data).toEqual(mergedWeight(folderTensors.get(`${m}.weight`)!.data, A.data, B.data, outF, inF, 4, 8));
    }
    const adapted = new Set(modules.map((m) => `${m}.weight`));
    for (const [name, t] of merged) {
      if (adapted.has(name)) continue;
      expect(t.data, `${name} frozen`).toEqual(prunedRows(name));
    }
    expect(merged.size).toBe(folderTensors.size);

    // Full fine-tuning changed the weights (the embedding too) and wrote no adapter.
    const fullWeights = tensorsOf(join(out, 'checkpoints', 'full', 'model.safetensors'));
    for (const name of ['model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.up_proj.weight', 'model.embed_tokens.weight']) expect(fullWeights.get(name)!.data).not.toEqual(prunedRows(name));
    expect(existsSync(join(out, 'checkpoints', 'full', 'adapter'))).toBe(false);

    // The merged checkpoint gives the logits of the pruned base with the adapter on top.
    const ids = [2, 300, 301, 9, 1, 40];
    const logits = (m: DecoderLM) => engine.autograd.noGrad(() => engine.tidy(async () => (await m.forward({ inputIds: engine.upload(Int32Array.from(ids), [1, ids.length], 'i32') }).read()) as Float32Array));
    const fromMerged = loadCheckpoint(engine, { weights: new Uint8Array(readFileSync(join(out, 'checkpoints', 'lora', 'model.safetensors'))), config: JSON.parse(readFileSync(join(out, 'checkpoints', 'lora', 'config.json'), 'utf8')) }) as DecoderLM;
    const base = loadCheckpoint(engine, { config: folderConfig, tensors: folderTensors }, { vocabulary: keptIds }) as DecoderLM;
    applyLora(base, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'down_proj'] });
    for (const l of loraLayers(base)) {
      engine.write(l.lora!.A, adapter.get(`base_model.model.${l.name}.lora_A.weight`)!.data);
      engine.write(l.lora!.B, adapter.get(`base_model.model.${l.name}.lora_B.weight`)!.data);
    }
    const result = compare('merged vs base + adapters', await logits(fromMerged), await logits(base), { rtol: 1e-4, atol: 1e-5 });
    expect(result.ok, result.detail).toBe(true);
    // The count the estimate used is the built model's.
    expect(lora.pretrained!.trainableParameters).toBe(base.trainableParameters().reduce((n, t) => n + t.size, 0));
    expect(lora.pretrained!.trainableParameters).toBe(loraParameterCount(base.config, ['q_proj', 'v_proj', 'down_proj'], 4));
    fromMerged.release();
    base.release();
  });

  it('resumes a LoRA stage after a crash to the uninterrupted run\'s weights, bit for bit (resume points hold the adapters; dropout masks by step)', async () => {
    expect(firstRun).not.toBe('');
    const out = tempDir('lantern-pretrained-resume-');
    await expect(runExperiment(twoStages(), host, fileStore(out), { failAfter: { model: 'lora', step: 2 }, checkpointEvery: 1 })).rejects.toThrow(/injected failure after step 2 of lora/);
    const state = JSON.parse(readFileSync(join(out, 'checkpoints', 'lora', 'resume', 'state.json'), 'utf8')) as { step: number; dir: string };
    expect(state.step).toBe(2);
    // Only what trains is in a resume point: the adapters, not the frozen base.
    const saved = [...tensorsOf(join(out, 'checkpoints', 'lora', state.dir, 'params.safetensors')).keys()];
    expect(saved.length).toBe(2 * 3 * DIMS.layers);
    expect(saved.every((n) => /\.lora_[AB]\.weight$/.test(n))).toBe(true);
    const resumed = await runExperiment(twoStages(), host, fileStore(out));
    expect(resumed.stages[1]!.resumedFrom).toBe(2);
    for (const file of ['model.safetensors', 'adapter/adapter_model.safetensors']) {
      expect(readFileSync(join(out, 'checkpoints', 'lora', file)).equals(readFileSync(join(firstRun, 'checkpoints', 'lora', file))), file).toBe(true);
    }
  });

  it('fine-tunes a ModernBERT-layout encoder with the Qwen tokenizer as a classifier with LoRA: a new low/medium/high head trains with the adapters, the base stays', async () => {
    const enc = { ...TINY_ENCODER, vocab: qwen.vocabSize, maxPosition: 128 };
    const encTensors = makeTensors(modernBertSpecs(enc), 21, 0.05);
    await writeFolder(root, 'modernbert-qwen', modernBertConfig(enc), encTensors);
    const out = tempDir('lantern-pretrained-classify-');
    const config = experiment([{ id: 'cls', task: 'classify', student: { pretrained: { source: 'modernbert-qwen', lora: { rank: 2, targets: ['q', 'o'] } } }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.5, wKd: 1 }, ...training, batchSize: 4 }]);
    const results = await runExperiment(config, host, fileStore(out));
    const stage = results.stages[0]!;
    expect(stage.pretrained).toMatchObject({ modelType: 'modernbert', lora: { rank: 2, modules: ['attn.Wqkv', 'attn.Wo'] } });
    const saved = JSON.parse(readFileSync(join(out, 'checkpoints', 'cls', 'config.json'), 'utf8')) as { architectures: string[]; id2label: Record<string, string>; vocab_size: number };
    expect(saved.architectures).toEqual(['ModernBertForSequenceClassification']);
    expect(saved.id2label).toEqual({ 0: 'low', 1: 'medium', 2: 'high' });
    const adapterDir = join(out, 'checkpoints', 'cls', 'adapter');
    const adapterConfig = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapterConfig).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['head', 'classifier'] });
    const adapter = tensorsOf(join(adapterDir, 'adapter_model.safetensors'));
    expect(adapter.get('base_model.model.classifier.weight')!.shape).toEqual([3, enc.hidden]);
    expect(adapter.get('base_model.model.model.layers.0.attn.Wqkv.lora_A.weight')!.shape).toEqual([2, enc.hidden]);
    expect(adapter.get('base_model.model.model.layers.0.attn.Wqkv.lora_B.weight')!.shape).toEqual([3 * enc.hidden, 2]);
    // The frozen base: layers the adapters do not touch are the folder's, bit for bit.
    const merged = tensorsOf(join(out, 'checkpoints', 'cls', 'model.safetensors'));
    for (const name of ['model.layers.1.mlp.Wi.weight', 'model.layers.2.mlp.Wo.weight', 'model.final_norm.weight']) expect(merged.get(name)!.data, name).toEqual(encTensors.get(name)!.data);
    // The new head trained: not the folder's 3-label head, not its seeded start alone.
    expect(merged.get('classifier.weight')!.data).not.toEqual(encTensors.get('classifier.weight')!.data);
    expect(merged.get('classifier.weight')!.data).toEqual(adapter.get('base_model.model.classifier.weight')!.data);
  });

  it('refuses malformed folders with their errors before the run writes anything or allocates a tensor', async () => {
    const stage = (source: string, task: 'explain' | 'classify' = 'explain', lora?: unknown) => ({ id: 'student', task, student: { pretrained: { source, ...(lora ? { lora } : {}) } }, source: 'teacher', ...training });
    // A tokenizer.json whose byte tokens are not Qwen's (a WordPiece-style vocabulary).
    const otherTokenizer = JSON.stringify({ model: { type: 'BPE', vocab: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`tok${i}`, i])) }, added_tokens: [] });
    const qwen7b = { ...folderConfig, vocab_size: 152064, hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, max_position_embeddings: 32768, max_window_layers: 28, sliding_window: 32768 };
    await writeFolder(root, 'no-config', folderConfig, folderTensors);
    rmSync(join(root, 'no-config', 'config.json'));
    await writeFolder(root, 'no-tokenizer', folderConfig, folderTensors, null);
    await writeFolder(root, 'other-tokenizer', folderConfig, folderTensors, otherTokenizer);
    await writeFolder(root, 'scaled-rope', { ...folderConfig, rope_scaling: { rope_type: 'yarn', factor: 4 } }, folderTensors);
    await writeFolder(root, 'encoder', modernBertConfig(), makeTensors(modernBertSpecs(TINY_ENCODER), 4));
    await writeFolder(root, 'qwen-7b', qwen7b, null); // config.json only: refused from its figures, no weights needed
    const cases: [unknown, RegExp][] = [
      [stage('missing'), /stage "student": pretrained\.source "missing": cannot read the model folder .*missing/],
      [stage('no-config'), /no-config has no config\.json/],
      [stage('no-tokenizer'), /no-tokenizer has no tokenizer\.json: a pretrained student must use the Qwen tokenizer/],
      [stage('other-tokenizer'), /its tokenizer is not the Qwen tokenizer .*id \d+ .* is "[^"]+" in the Qwen tokenizer but absent in this tokenizer\.json/],
      [stage('scaled-rope'), /rope_scaling = .*RoPE scaling is not implemented/],
      [stage('encoder'), /an explain stage needs a decoder, and this folder's config\.json describes an encoder \(model_type "modernbert"\)/],
      [stage('qwen-tiny', 'classify'), /a classify stage needs an encoder, and this folder's config\.json describes a decoder/],
      [{ ...stage('qwen-tiny'), maxSeqLen: 300 }, /maxSeqLen 300 exceeds the model's max_position_embeddings 256/],
      [stage('qwen-7b'), /stage "student": .*qwen-7b: the student \(qwen2 from qwen-7b, every weight trained\) needs about [\d.]+ GiB to train at batch 2 × 96 tokens \([\d.]+ GiB weights and optimizer state, [\d.]+ [GM]iB activations\); the limit is 4 GiB \(the WASM backend's memory\): its weights and optimizer state alone exceed it: train it with LoRA or pick a smaller model/],
      [stage('qwen-7b', 'explain', { rank: 8 }), /\(qwen2 from qwen-7b, LoRA r=8\) needs about [\d.]+ GiB .* the limit is 4 GiB \(the WASM backend's memory\): its weights alone exceed it: pick a smaller model/],
    ];
    const live = engine.pool.getStats().liveBytes;
    for (const [s, error] of cases) {
      const out = tempDir('lantern-pretrained-bad-');
      await expect(runExperiment(experiment([s]), host, fileStore(out)), String(error)).rejects.toThrow(error);
      expect(readdirSync(out), 'the run wrote nothing').toEqual([]);
      expect(engine.pool.getStats().liveBytes).toBe(live);
    }
  });

  it('estimates Qwen2.5-0.5B from its config.json alone: LoRA r=8 fits the WASM backend at batch 1 × 256, full fine-tuning does not', async () => {
    // Qwen2.5-0.5B's config.json (hidden 896, 24 layers, 14 heads, 2 kv heads, intermediate 4864, vocab 151 936, tied).
    const config = { ...folderConfig, vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, max_window_layers: 21, sliding_window: 32768, bos_token_id: 151643, eos_token_id: 151643 };
    const dir = await writeFolder(root, 'qwen2.5-0.5b', config, null);
    const folder = await nodeModelFolder(dir);
    const studentVocab = new StudentTokenizer(buildStudentVocab(qwen, []), qwen);
    const stageOf = (lora?: object) => parseExperiment({ stages: [{ id: 'qwen', task: 'explain', student: { pretrained: { source: dir, ...(lora ? { lora } : {}) } }, batchSize: 1, maxSeqLen: 256 }] }).config.stages[0]!;
    const loraStage = stageOf({ rank: 8 });
    const plan = await planPretrained(engine, folder, stageUse(loraStage), (loraStage.student as PretrainedStudentConfig).pretrained, { size: 8192, tokenizer: studentVocab, sizeOnly: true });
    expect(plan.info.sourceParameters).toBe(494_032_768);
    expect(plan.info.parameters).toBe(494_032_768 - (151936 - 8192) * 896);
    expect(plan.info.trainableParameters).toBe(24 * 8 * ((896 + 896) + (896 + 128)));
    expect(plan.info.memory.totalBytes).toBeLessThan(4 * 2 ** 30);
    console.log(`Qwen2.5-0.5B, vocabulary pruned to 8192, batch 1 × 256, LoRA r=8 on q,v: ${JSON.stringify(plan.info.memory)}`);
    const fullStage = stageOf();
    await expect(planPretrained(engine, folder, stageUse(fullStage), (fullStage.student as PretrainedStudentConfig).pretrained, { size: 8192, tokenizer: studentVocab, sizeOnly: true })).rejects.toThrow(/every weight trained\) needs about [\d.]+ GiB .* the limit is 4 GiB/);
  });
});

describe('an experiment whose in-house teacher is a pretrained folder', () => {
  it('fine-tunes the tiny Qwen2 folder with LoRA as the teacher: frozen base, a PEFT adapter, results say what was loaded, and the students distil from it', async () => {
    const out = tempDir('lantern-pretrained-teacher-');
    const config = experiment(
      [
        { id: 'small', task: 'explain', student: { preset: 'tiny' }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.5, wKd: 1 }, ...training },
        { id: 'cls', task: 'classify', student: { preset: 'tiny' }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.5, wKd: 1 }, ...training },
      ],
      { pretrained: { source: 'qwen-tiny', lora: LORA }, ...training },
    );
    const folderBefore = readFileSync(join(root, 'qwen-tiny', 'model.safetensors'));
    const results = await runExperiment(config, host, fileStore(out));

    // What was loaded is recorded, as a stage's pretrained student is.
    expect(results.teacher.preset).toBe('pretrained qwen-tiny + LoRA');
    expect(results.teacher.dims).toEqual({ hidden: DIMS.hidden, layers: DIMS.layers, heads: DIMS.heads, kvHeads: DIMS.kvHeads, intermediate: DIMS.intermediate, maxPosition: DIMS.maxPosition });
    expect(results.teacher.pretrained).toMatchObject({ source: 'qwen-tiny', modelType: 'qwen2', lora: { rank: 4, alpha: 8, dropout: 0.1, modules: ['q_proj', 'v_proj', 'down_proj'] } });
    // LoRA's count does not depend on the vocabulary: the folder's own config gives it.
    expect(results.teacher.pretrained!.trainableParameters).toBe(loraParameterCount(hfLoadPlan(folderConfig).config, ['q_proj', 'v_proj', 'down_proj'], 4));
    expect(results.teacher.curves.train.map((p) => p.step)).toEqual([1, 2, 3]);

    // The teacher's checkpoint: merged (frozen weights the folder's, adapted ones base + adapter), and its PEFT adapter beside it.
    const keptIds = new StudentTokenizer(JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')), qwen).qwenIds();
    const merged = tensorsOf(join(out, 'checkpoints', 'teacher', 'model.safetensors'));
    const adapterDir = join(out, 'checkpoints', 'teacher', 'adapter');
    const adapter = tensorsOf(join(adapterDir, 'adapter_model.safetensors'));
    expect(JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, base_model_name_or_path: 'qwen-tiny' });
    const H = DIMS.hidden;
    const kv = DIMS.kvHeads * (H / DIMS.heads);
    const shapes: Record<string, [number, number]> = { q_proj: [H, H], v_proj: [H, kv], down_proj: [DIMS.intermediate, H] };
    const modules = Array.from({ length: DIMS.layers }, (_, l) => [`model.layers.${l}.self_attn.q_proj`, `model.layers.${l}.self_attn.v_proj`, `model.layers.${l}.mlp.down_proj`]).flat();
    for (const m of modules) {
      const [inF, outF] = shapes[m.split('.').at(-1)!]!;
      const A = adapter.get(`base_model.model.${m}.lora_A.weight`)!;
      const B = adapter.get(`base_model.model.${m}.lora_B.weight`)!;
      expect(B.data.some((v) => v !== 0), `${m} lora_B trained`).toBe(true);
      expect(merged.get(`${m}.weight`)!.data).toEqual(mergedWeight(folderTensors.get(`${m}.weight`)!.data, A.data, B.data, outF, inF, 4, 8));
    }
    const adapted = new Set(modules.map((m) => `${m}.weight`));
    for (const [name, t] of merged) if (!adapted.has(name)) expect(t.data, `${name} frozen`).toEqual(foldersRows(name, keptIds));
    // The folder itself is only read.
    expect(readFileSync(join(root, 'qwen-tiny', 'model.safetensors')).equals(folderBefore)).toBe(true);

    // The teacher wrote the synthetic answers, and both students trained on them (the explainer on its online logits).
    expect(results.teacher.synthetic.examples).toBe(results.data.train);
    expect(results.stages.map((s) => [s.id, s.source])).toEqual([['small', 'teacher'], ['cls', 'teacher']]);
    for (const s of results.stages) {
      expect(s.curves.train.map((p) => p.step)).toEqual([1, 2, 3]);
      for (const p of s.curves.train) expect(Number.isFinite(p.loss)).toBe(true);
    }
  });

  it('refuses a teacher folder that cannot be used before the run writes anything or allocates a tensor, naming the teacher', async () => {
    const stages = [{ id: 'small', task: 'explain', student: { preset: 'tiny' }, source: 'teacher', ...training }];
    await writeFolder(root, 'teacher-encoder', modernBertConfig(), makeTensors(modernBertSpecs(TINY_ENCODER), 4));
    await writeFolder(root, 'teacher-no-tokenizer', folderConfig, folderTensors, null);
    await writeFolder(root, 'teacher-large', { ...folderConfig, hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4 }, null);
    const cases: [unknown, RegExp][] = [
      [{ pretrained: { source: 'missing' }, ...training }, /the in-house teacher: pretrained\.source "missing": cannot read the model folder/],
      [{ pretrained: { source: 'teacher-encoder' }, ...training }, /the in-house teacher: .*teacher-encoder: the in-house teacher needs a decoder, and this folder's config\.json describes an encoder/],
      [{ pretrained: { source: 'teacher-no-tokenizer' }, ...training }, /the in-house teacher: .*teacher-no-tokenizer has no tokenizer\.json: a pretrained teacher must use the Qwen tokenizer/],
      [{ pretrained: { source: 'qwen-tiny' }, ...training, maxSeqLen: 300 }, /the in-house teacher: .*qwen-tiny: maxSeqLen 300 exceeds the model's max_position_embeddings 256/],
      [{ pretrained: { source: 'teacher-large' }, ...training }, /the in-house teacher: .*the teacher \(qwen2 from teacher-large, every weight trained\) needs about [\d.]+ GiB .* the limit is 4 GiB \(the WASM backend's memory\)/],
    ];
    const live = engine.pool.getStats().liveBytes;
    for (const [teacher, error] of cases) {
      const out = tempDir('lantern-pretrained-teacher-bad-');
      await expect(runExperiment(experiment(stages, teacher), host, fileStore(out)), String(error)).rejects.toThrow(error);
      expect(readdirSync(out), 'the run wrote nothing').toEqual([]);
      expect(engine.pool.getStats().liveBytes).toBe(live);
    }
  });
});
