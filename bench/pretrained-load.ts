// Load time of a Hugging Face folder: a synthetic Qwen2-layout decoder (HF names, config.json as
// transformers writes it) stored as BF16 in 2 shards and as F32 in one file, read with
// readModelFiles (file reads + safetensors parse + widening to f32) and built with loadCheckpoint
// on the WASM backend (1 thread). Usage: npx tsx bench/pretrained-load.ts [hidden layers vocab]
import { rm } from 'node:fs/promises';
import { Engine } from '../src/engine/runtime.ts';
import { WasmBackend } from '../src/engine/wasm/backend.ts';
import { loadCheckpoint } from '../src/engine/checkpoint.ts';
import { readModelFiles } from '../src/export/node.ts';
import { decoderSpecs, hfFolderFiles, makeTensors, qwen2Config, writeHfFolder, type DecoderSpec } from '../tests/helpers/hf-folder.ts';

const [hidden = 512, layers = 8, vocab = 32000] = process.argv.slice(2).map(Number);
const spec: DecoderSpec = { vocab, hidden, layers, heads: hidden / 64, kvHeads: Math.max(1, hidden / 256), intermediate: Math.round((hidden * 16) / 3 / 64) * 64, maxPosition: 2048 };
const tensors = makeTensors(decoderSpecs(spec, { qkvBias: true, lmHead: false }), 1, 0.02);
const params = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
const engine = new Engine(await WasmBackend.create({ threads: 1 }));
console.log(`Qwen2-layout decoder, hidden ${hidden}, ${layers} layers, vocab ${vocab}: ${(params / 1e6).toFixed(1)} M parameters`);
// Each twice: the first build also grows the WASM memory.
for (const [label, opts] of [['BF16, 2 shards', { dtype: 'BF16', shards: 2 }], ['F32, 1 file', {}], ['BF16, 2 shards', { dtype: 'BF16', shards: 2 }], ['F32, 1 file', {}]] as const) {
  const dir = await writeHfFolder(hfFolderFiles(qwen2Config(spec), tensors, opts));
  const t0 = performance.now();
  const files = await readModelFiles(dir);
  const t1 = performance.now();
  const model = loadCheckpoint(engine, files);
  const t2 = performance.now();
  const bytes = params * (label.startsWith('BF16') ? 2 : 4);
  console.log(`  ${label} (${(bytes / 2 ** 20).toFixed(0)} MiB): read ${(t1 - t0).toFixed(0)} ms (${(bytes / 2 ** 20 / ((t1 - t0) / 1000)).toFixed(0)} MiB/s of file), build ${(t2 - t1).toFixed(0)} ms`);
  model.release();
  await rm(dir, { recursive: true });
}
engine.destroy();
