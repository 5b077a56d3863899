// The builder's pretrained-folder helpers: which picked files are kept, and what a config.json
// makes of a stage's student on the WASM backend and on a GPU (the run's own words).
import { describe, expect, it } from 'vitest';
import { keptModelFile, pickedFolder, pretrainedSources, summarizeFolder } from '../../src/app/lib/model-folder.ts';
import { parseExperiment, type PretrainedStudentConfig } from '../../src/experiment/schema.ts';
import { qwen2Config } from '../helpers/hf-folder.ts';

const file = (path: string) => ({ name: path.split('/').at(-1)!, webkitRelativePath: path });
const stageWith = (lora: object | undefined, extra: object = {}) => parseExperiment({ stages: [{ id: 's', task: 'explain', student: { pretrained: { source: 'Qwen2.5-0.5B', ...(lora ? { lora } : {}) } }, batchSize: 1, maxSeqLen: 256, ...extra }] }).config.stages[0]!;
/** Qwen2.5-0.5B's sizes. */
const qwen05 = { ...qwen2Config(), vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, max_window_layers: 21, sliding_window: 32768 };

describe('picked model folders', () => {
  it('keeps the top-level files a model folder is read from, under the folder\'s name', () => {
    expect(['config.json', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'generation_config.json'].every(keptModelFile)).toBe(true);
    expect(['pytorch_model.bin', 'README.md', 'model.gguf', 'vocab.txt'].some(keptModelFile)).toBe(false);
    const picked = pickedFolder([file('Qwen2.5-0.5B/config.json'), file('Qwen2.5-0.5B/model.safetensors'), file('Qwen2.5-0.5B/README.md'), file('Qwen2.5-0.5B/onnx/model.safetensors'), file('Qwen2.5-0.5B/tokenizer.json')]);
    expect(picked.ok && picked.name).toBe('Qwen2.5-0.5B');
    expect(picked.ok && picked.files.map((f) => f.webkitRelativePath)).toEqual(['Qwen2.5-0.5B/config.json', 'Qwen2.5-0.5B/model.safetensors', 'Qwen2.5-0.5B/tokenizer.json']);
    // showDirectoryPicker: plain names and the handle's name.
    expect(pickedFolder([{ name: 'config.json' }, { name: 'model.safetensors' }], 'tiny')).toMatchObject({ ok: true, name: 'tiny' });
    expect(pickedFolder([file('weights/model.safetensors')])).toEqual({ ok: false, problem: expect.stringMatching(/weights has no config.json/) });
    expect(pickedFolder([])).toEqual({ ok: false, problem: 'the folder is empty' });
  });

  it('summarizes Qwen2.5-0.5B: LoRA fits the WASM backend at batch 1 × 256, full fine-tuning needs a GPU', () => {
    const lora = stageWith({ rank: 8 });
    const withLora = summarizeFolder(qwen05, lora, lora.student as PretrainedStudentConfig);
    expect(withLora.ok).toBe(true);
    if (!withLora.ok) return;
    expect(withLora.summary).toMatchObject({ modelType: 'qwen2', sourceParameters: 494_032_768, wasm: null, gpu: null });
    expect(withLora.summary.trainableParameters).toBe(24 * 8 * (896 + 896 + 896 + 128));
    const full = stageWith(undefined);
    const fullSummary = summarizeFolder(qwen05, full, full.student as PretrainedStudentConfig);
    expect(fullSummary.ok && fullSummary.summary.gpu).toBeNull();
    expect(fullSummary.ok && fullSummary.summary.wasm).toMatch(/every weight trained\) needs about [\d.]+ GiB .* the limit is 4 GiB \(the WASM backend's memory\)/);
  });

  it('lists the folders an experiment needs, each with its stages', () => {
    const config = parseExperiment({ stages: [{ id: 'a', task: 'explain', student: { pretrained: { source: 'Q' } } }, { id: 'b', task: 'explain', student: { preset: 'tiny' } }, { id: 'c', task: 'explain', source: 'a', student: { pretrained: { source: 'Q', lora: {} } } }] }).config;
    expect(pretrainedSources(config)).toEqual([{ source: 'Q', stages: ['a', 'c'] }]);
    expect(pretrainedSources(parseExperiment({}).config)).toEqual([]);
  });

  it('gives the problem when config.json cannot make the stage\'s student', () => {
    const stage = stageWith(undefined);
    const student = stage.student as PretrainedStudentConfig;
    expect(summarizeFolder({ ...qwen05, rope_scaling: { rope_type: 'yarn', factor: 4 } }, stage, student)).toEqual({ ok: false, problem: expect.stringMatching(/rope_scaling/) });
    expect(summarizeFolder({ ...qwen05, max_position_embeddings: 128 }, stage, student)).toEqual({ ok: false, problem: 'maxSeqLen 256 exceeds the model\'s max_position_embeddings 128' });
    expect(summarizeFolder({ model_type: 'modernbert', vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8, global_attn_every_n_layers: 1, hidden_activation: 'gelu_pytorch_tanh', classifier_activation: 'gelu_pytorch_tanh' }, stage, student)).toEqual({ ok: false, problem: expect.stringMatching(/an explain stage needs a decoder/) });
  });
});
