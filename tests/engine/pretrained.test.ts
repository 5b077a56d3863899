// Pretrained weights: tiny Hugging Face folders (written here under HF names with an HF-style
// config.json) load into the engine's models and give the float64 CPU reference's logits; sharded,
// BF16 and F16 files too; malformed folders fail clearly and leave the engine as it was; vocabulary
// pruning on load; `lantern forward` / `lantern generate` on such folders; one forward on WebGPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine } from '../../src/engine/runtime.ts';
import { WasmBackend } from '../../src/engine/wasm/backend.ts';
import { loadCheckpoint, saveCheckpoint, type AnyModel } from '../../src/engine/checkpoint.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { fromHfConfig } from '../../src/engine/nn/config.ts';
import { decoderForwardRef, encoderForwardRef } from '../../src/engine/nn/reference.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { generate } from '../../src/engine/nn/generate.ts';
import { readModelFiles } from '../../src/export/node.ts';
import type { NamedTensorData, SafetensorsDtype } from '../../src/engine/safetensors.ts';
import { testDevice } from '../helpers/webgpu.ts';
import {
  TINY_DECODER,
  TINY_ENCODER,
  decoderSpecs,
  hfFolderFiles,
  llamaConfig,
  makeTensors,
  modernBertConfig,
  modernBertSpecs,
  qwen2Config,
  roundedTo,
  writeHfFolder,
  type FolderOptions,
} from '../helpers/hf-folder.ts';

const TOL = { rtol: 1e-3, atol: 1e-4 };
const B = 2;
const T = 7;
const IDS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7];
const MASK = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];

interface Folder {
  config: Record<string, unknown>;
  tensors: Map<string, NamedTensorData>;
}

const qwen: Folder = { config: qwen2Config(), tensors: makeTensors(decoderSpecs(TINY_DECODER, { qkvBias: true, lmHead: false }), 1) };
const llama: Folder = { config: llamaConfig(), tensors: makeTensors(decoderSpecs(TINY_DECODER, { qkvBias: false, lmHead: true }), 2) };
const llamaBiased: Folder = {
  config: llamaConfig(TINY_DECODER, { attention_bias: true, mlp_bias: true, tie_word_embeddings: true }),
  tensors: makeTensors(decoderSpecs(TINY_DECODER, { qkvBias: true, oBias: true, mlpBias: true, lmHead: false }), 3),
};
const modernBert: Folder = { config: modernBertConfig(), tensors: makeTensors(modernBertSpecs(TINY_ENCODER), 4) };

/** The tensors as loading a `dtype` file gives them, as plain number arrays for the reference. */
function referenceParams(tensors: Map<string, NamedTensorData>, dtype: SafetensorsDtype = 'F32', zeros: [string, number][] = []): Map<string, Float32Array> {
  const out = new Map([...tensors].map(([n, t]) => [n, roundedTo(dtype, t.data)]));
  for (const [name, n] of zeros) if (!out.has(name)) out.set(name, new Float32Array(n));
  return out;
}

/** ModernBERT without norm / head.dense biases is the engine's encoder with those biases zero. */
function modernBertZeros(): [string, number][] {
  const H = TINY_ENCODER.hidden;
  const norms = ['model.embeddings.norm', 'model.final_norm', 'head.norm', ...Array.from({ length: TINY_ENCODER.layers }, (_, l) => [...(l ? [`model.layers.${l}.attn_norm`] : []), `model.layers.${l}.mlp_norm`]).flat()];
  return [...norms.map((n) => [`${n}.bias`, H] as [string, number]), ['head.dense.bias', H]];
}

function reference(folder: Folder, dtype: SafetensorsDtype = 'F32'): Float64Array {
  const config = fromHfConfig(folder.config);
  if (config.kind === 'decoder') return decoderForwardRef(config, referenceParams(folder.tensors, dtype), IDS, B, T);
  return encoderForwardRef(config, referenceParams(folder.tensors, dtype, modernBertZeros()), IDS, MASK, B, T);
}

async function logits(engine: Engine, model: AnyModel): Promise<Float32Array> {
  return engine.autograd.noGrad(() =>
    engine.tidy(async () => {
      const inputIds = engine.upload(Int32Array.from(IDS), [B, T], 'i32');
      const out = model instanceof EncoderClassifier ? model.forward({ inputIds, attentionMask: engine.upload(Float32Array.from(MASK), [B, T]) }) : (model as DecoderLM).forward({ inputIds });
      return (await out.read()) as Float32Array;
    }),
  );
}

const dirs = new Map<string, string>();
async function folderOnDisk(key: string, folder: Folder, opts: FolderOptions = {}): Promise<string> {
  let dir = dirs.get(key);
  if (!dir) dirs.set(key, (dir = await writeHfFolder(hfFolderFiles(folder.config, folder.tensors, opts))));
  return dir;
}

const loadTimes: string[] = [];
async function loadFolder(engine: Engine, dir: string, what: string): Promise<AnyModel> {
  const t0 = performance.now();
  const files = await readModelFiles(dir);
  const t1 = performance.now();
  const model = loadCheckpoint(engine, files);
  const t2 = performance.now();
  loadTimes.push(`${what}: read ${(t1 - t0).toFixed(1)} ms, build ${(t2 - t1).toFixed(1)} ms, ${model.parameterCount()} parameters`);
  return model;
}

describe('pretrained Hugging Face folders (WASM backend)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine(await WasmBackend.create({ threads: 1 }));
  });
  afterAll(() => {
    console.log(`load times (WASM, 1 thread):\n  ${loadTimes.join('\n  ')}`);
    engine.destroy();
  });

  const cases: [string, Folder, typeof DecoderLM | typeof EncoderClassifier][] = [
    ['Qwen2 (GQA, tied, q/k/v biases)', qwen, DecoderLM],
    ['Llama (untied lm_head, no biases)', llama, DecoderLM],
    ['Llama (attention_bias and mlp_bias)', llamaBiased, DecoderLM],
    ['ModernBERT classifier (no norm biases, mean pooling)', modernBert, EncoderClassifier],
  ];
  for (const [name, folder, cls] of cases) {
    it(`${name} gives the float64 reference's logits`, async () => {
      const model = await loadFolder(engine, await folderOnDisk(name, folder), name);
      expect(model).toBeInstanceOf(cls);
      const result = compare(name, await logits(engine, model), reference(folder), TOL);
      expect(result.ok, result.detail).toBe(true);
      model.release();
    });
  }

  it('the untied lm_head is used (not the embedding) and saves back as an untied checkpoint', async () => {
    const model = (await loadFolder(engine, await folderOnDisk('llama', llama), 'llama again')) as DecoderLM;
    expect(model.lmHead).not.toBeNull();
    const saved = await saveCheckpoint(model);
    expect(saved.config).toMatchObject({ model_type: 'llama', tie_word_embeddings: false, attention_bias: false, mlp_bias: false });
    const back = loadCheckpoint(engine, saved);
    expect(await logits(engine, back)).toEqual(await logits(engine, model));
    // The same weights with the head tied to the embedding give other logits.
    const tied = loadCheckpoint(engine, { config: { ...llama.config, tie_word_embeddings: true }, tensors: llama.tensors });
    expect(compare('tied', await logits(engine, tied), reference(llama), TOL).ok).toBe(false);
    for (const m of [model, back, tied]) m.release();
  });

  it('sharded files give the same logits; BF16 and F16 files the reference of their rounded weights', async () => {
    for (const folder of [qwen, modernBert]) {
      const kind = folder === qwen ? 'qwen2' : 'modernbert';
      const one = await loadFolder(engine, await folderOnDisk(`${kind} f32`, folder), `${kind} F32, 1 file`);
      const sharded = await loadFolder(engine, await folderOnDisk(`${kind} sharded`, folder, { shards: 3 }), `${kind} F32, 3 shards`);
      const want = await logits(engine, one);
      expect(await logits(engine, sharded)).toEqual(want);
      for (const dtype of ['BF16', 'F16'] as const) {
        const half = await loadFolder(engine, await folderOnDisk(`${kind} ${dtype}`, folder, { dtype, shards: 2 }), `${kind} ${dtype}, 2 shards`);
        const got = await logits(engine, half);
        const result = compare(`${kind} ${dtype}`, got, reference(folder, dtype), TOL);
        expect(result.ok, result.detail).toBe(true);
        // …and the rounding shows: not the F32 logits, but near them.
        expect(got).not.toEqual(want);
        expect(compare(`${kind} ${dtype} vs f32`, got, want, { rtol: 0.1, atol: 0.05 }).ok).toBe(true);
        half.release();
      }
      one.release();
      sharded.release();
    }
  });

  it('a malformed folder fails with a clear error and leaves the engine as it was', async () => {
    const live = engine.pool.getStats().liveBytes;
    const without = (t: Map<string, NamedTensorData>, name: string) => new Map([...t].filter(([n]) => n !== name));
    const cases: [Record<string, unknown>, Map<string, NamedTensorData>, RegExp][] = [
      [qwen.config, without(qwen.tensors, 'model.layers.1.mlp.up_proj.weight'), /the checkpoint has no tensor "model.layers.1.mlp.up_proj.weight"/],
      [qwen.config, without(qwen.tensors, 'model.layers.0.self_attn.k_proj.bias'), /no tensor "model.layers.0.self_attn.k_proj.bias"/],
      [llama.config, without(llama.tensors, 'lm_head.weight'), /no tensor "lm_head.weight"/],
      [{ ...qwen.config, num_key_value_heads: 4 }, qwen.tensors, /"model.layers.0.self_attn.k_proj.weight" has shape \[16, 32\], the model needs \[32, 32\]/],
      [{ ...qwen.config, vocab_size: 51 }, qwen.tensors, /"model.embed_tokens.weight" has shape \[50, 32\], the model needs \[51, 32\]/],
      [qwen.config, new Map([...qwen.tensors, ['model.layers.0.self_attn.extra.weight', { shape: [1], data: new Float32Array(1) }]]), /tensors this decoder does not use: model.layers.0.self_attn.extra.weight/],
      [{ ...llama.config, tie_word_embeddings: true }, qwen.tensors, /tensors this decoder does not use: model.layers.0.self_attn.q_proj.bias/],
      [modernBert.config, without(modernBert.tensors, 'classifier.bias'), /no tensor "classifier.bias"/],
      [{ ...qwen.config, model_type: 'mistral', architectures: ['MistralForCausalLM'] }, qwen.tensors, /unsupported model_type "mistral"/],
    ];
    for (const [config, tensors, message] of cases) {
      const dir = await writeHfFolder(hfFolderFiles(config, tensors, { shards: 2 }));
      let error: unknown;
      try {
        loadCheckpoint(engine, await readModelFiles(dir)).release();
      } catch (e) {
        error = e;
      }
      expect(String(error), String(message)).toMatch(message);
      expect(engine.pool.getStats().liveBytes).toBe(live);
    }
    // A shard listed in the index but absent: refused before anything is read.
    const files = hfFolderFiles(qwen.config, qwen.tensors, { shards: 2 });
    files.delete('model-00002-of-00002.safetensors');
    await expect(readModelFiles(await writeHfFolder(files))).rejects.toThrow(/lists a shard that the folder lacks: model-00002-of-00002.safetensors/);
    await expect(readModelFiles(join(await folderOnDisk('qwen2 f32', qwen), 'nope'))).rejects.toThrow(/cannot read the model folder/);
  });

  it('a ModernBertForMaskedLM folder starts a new classifier on request (its encoder and head kept)', async () => {
    const { id2label: _a, label2id: _b, ...rest } = modernBert.config;
    const config = { ...rest, architectures: ['ModernBertForMaskedLM'] };
    const tensors = new Map([...modernBert.tensors].filter(([n]) => !n.startsWith('classifier.')));
    tensors.set('decoder.bias', { shape: [TINY_ENCODER.vocab], data: new Float32Array(TINY_ENCODER.vocab).fill(0.5) });
    const files = await readModelFiles(await writeHfFolder(hfFolderFiles(config, tensors)));
    const live = engine.pool.getStats().liveBytes;
    expect(() => loadCheckpoint(engine, files)).toThrow(/no tensor "classifier.weight": it has no classification head .*newClassifier/);
    expect(engine.pool.getStats().liveBytes).toBe(live);
    expect(() => loadCheckpoint(engine, files, { newClassifier: { numClasses: 0 } })).toThrow(/numClasses must be a positive integer/);
    const model = loadCheckpoint(engine, files, { newClassifier: { numClasses: 4, labels: ['a', 'b', 'c', 'd'], seed: 7 } }) as EncoderClassifier;
    expect(model.config).toMatchObject({ numClasses: 4, labels: ['a', 'b', 'c', 'd'] });
    expect(model.params.get('classifier.weight')!.shape).toEqual([4, TINY_ENCODER.hidden]);
    expect(await model.params.get('head.dense.weight')!.read()).toEqual(modernBert.tensors.get('head.dense.weight')!.data);
    expect([...((await model.params.get('classifier.bias')!.read()) as Float32Array)]).toEqual([0, 0, 0, 0]);
    // Same as the reference with the seeded classifier's weights.
    const params = referenceParams(modernBert.tensors, 'F32', modernBertZeros());
    params.set('classifier.weight', (await model.params.get('classifier.weight')!.read()) as Float32Array);
    params.set('classifier.bias', new Float32Array(4));
    const want = encoderForwardRef(model.config, params, IDS, MASK, B, T);
    const result = compare('mlm → classifier', await logits(engine, model), want, TOL);
    expect(result.ok, result.detail).toBe(true);
    model.release();
  });

  it('prunes the vocabulary on load: the pruned model gives the kept columns of the full logits', async () => {
    for (const folder of [qwen, llama]) {
      const full = loadCheckpoint(engine, folder);
      const kept = [9, 1, 3, 4, 5, 6, 2, 8, 7, 0, 30];
      const pruned = loadCheckpoint(engine, folder, { vocabulary: kept }) as DecoderLM;
      expect(pruned.config.vocabSize).toBe(kept.length);
      expect(pruned.config.eosTokenId).toBe(kept.indexOf(2));
      const table = (await pruned.embedTokens.read()) as Float32Array;
      const src = folder.tensors.get('model.embed_tokens.weight')!.data;
      kept.forEach((id, i) => expect(table.subarray(i * 32, (i + 1) * 32)).toEqual(src.subarray(id * 32, (id + 1) * 32)));
      const V = TINY_DECODER.vocab;
      const fullLogits = await logits(engine, full);
      const newIds = IDS.map((id) => kept.indexOf(id));
      const got = await engine.autograd.noGrad(() => engine.tidy(async () => (await pruned.forward({ inputIds: engine.upload(Int32Array.from(newIds), [B, T], 'i32') }).read()) as Float32Array));
      const want = Array.from({ length: B * T }, (_, r) => kept.map((id) => fullLogits[r * V + id]!)).flat();
      const result = compare('pruned', got, want, { rtol: 1e-5, atol: 1e-6 });
      expect(result.ok, result.detail).toBe(true);
      full.release();
      pruned.release();
    }
  });

  it('lantern forward and lantern generate load the folders: logits match the float64 reference', async () => {
    const run = (args: string[]) => promisify(execFile)('node', ['cli/lantern.mjs', ...args, '--backend', 'wasm'], { maxBuffer: 64 << 20 }).then((r) => JSON.parse(r.stdout) as unknown);
    const dir = await folderOnDisk('qwen2 f32', qwen);
    const rows = (a: number[]) => [a.slice(0, T), a.slice(T)];
    // The encoder with its padding mask; the decoders unpadded (the reference forward has no mask).
    await writeFile(join(dir, 'masked.json'), JSON.stringify({ input_ids: rows(IDS), attention_mask: rows(MASK) }));
    await writeFile(join(dir, 'plain.json'), JSON.stringify({ input_ids: rows(IDS) }));
    for (const [key, folder, opts] of [
      ['qwen2 BF16', qwen, { dtype: 'BF16', shards: 2 }],
      ['llama', llama, {}],
      ['modernbert f32', modernBert, {}],
    ] as const) {
      const encoder = folder.config.model_type === 'modernbert';
      const { logits: got } = (await run(['forward', '--model', await folderOnDisk(key, folder, opts), '--in', join(dir, encoder ? 'masked.json' : 'plain.json')])) as { logits: unknown[] };
      expect(got.length).toBe(B);
      if (encoder) expect((got[0] as number[]).length).toBe(TINY_ENCODER.classes);
      else expect((got[0] as number[][]).map((r) => r.length)).toEqual(new Array(T).fill(TINY_DECODER.vocab));
      const result = compare(`lantern forward ${key}`, got.flat(2) as number[], reference(folder, 'dtype' in opts ? opts.dtype : 'F32'), TOL);
      expect(result.ok, result.detail).toBe(true);
    }
    const prompts = [[3, 1, 4], [1, 5, 9, 2, 6]];
    const generated = await run(['generate', '--model', await folderOnDisk('llama', llama), '--ids', JSON.stringify(prompts), '--max-new-tokens', '4']);
    const model = loadCheckpoint(engine, llama) as DecoderLM;
    const want = (await generate(model, prompts, { maxNewTokens: 4, stopTokens: [2] })).map((g) => g.tokens);
    expect(generated).toEqual(want);
    model.release();
  });
});

describe('pretrained folder on WebGPU', () => {
  it('a Qwen2 folder gives the float64 reference logits on WebGPU too', async () => {
    const engine = new Engine((await testDevice()).device);
    const model = await loadFolder(engine, await folderOnDisk('qwen2 BF16', qwen, { dtype: 'BF16', shards: 2 }), 'qwen2 BF16 on WebGPU');
    const result = compare('webgpu qwen2', await logits(engine, model), reference(qwen, 'BF16'), TOL);
    expect(result.ok, result.detail).toBe(true);
    model.release();
    console.log(`WebGPU ${loadTimes.at(-1)}`);
  });
});
