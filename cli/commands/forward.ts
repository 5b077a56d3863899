import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import { selectEngine } from '../../src/engine/select.ts';
import { BACKEND_FLAG_HELP, backendChoice } from '../backend-flag.ts';
import { loadCheckpoint } from '../../src/engine/checkpoint.ts';
import { readModelFiles } from '../../src/export/node.ts';

const USAGE = `Usage: lantern forward --model DIR --in INPUTS.json [--backend auto|webgpu|wasm]

Loads a model folder (config.json + model.safetensors, or sharded model-*.safetensors with
model.safetensors.index.json; F32, F16 or BF16 weights read as f32: a checkpoint, a Hugging Face
Qwen2 / Llama / ModernBERT folder, an unzipped bundle, or the bundle zip itself) the way an experiment loads a checkpoint, runs the engine's forward here (on
the backend an experiment would use, or --backend) and prints {"logits": …} as JSON: [batch][position][vocab] for a decoder
(every position), [batch][class] for a sequence classifier (pooled as its config says).

INPUTS.json: {"input_ids": [[…], …], "attention_mask": [[…], …]} (rows of equal length; the mask
is optional, 1 = token, 0 = padding).

  ${BACKEND_FLAG_HELP}`;

export function parseInputs(json: unknown, vocabSize: number): { ids: number[][]; mask: number[][] } {
  const obj = json as { input_ids?: unknown; attention_mask?: unknown };
  const rows = (v: unknown, what: string): number[][] => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((r) => Array.isArray(r) && r.length > 0 && r.every((x) => Number.isInteger(x)))) {
      throw new UsageError(`${what} must be a non-empty array of non-empty rows of integers`);
    }
    const len = (v[0] as number[]).length;
    if (v.some((r) => (r as number[]).length !== len)) throw new UsageError(`${what}: every row must have the same length (pad them and mask the padding)`);
    return v as number[][];
  };
  const ids = rows(obj?.input_ids, 'input_ids');
  for (const r of ids) for (const id of r) if (id < 0 || id >= vocabSize) throw new UsageError(`input_ids: token id ${id} is outside the model's vocabulary (0..${vocabSize - 1})`);
  const mask = obj.attention_mask === undefined ? ids.map((r) => r.map(() => 1)) : rows(obj.attention_mask, 'attention_mask');
  if (mask.length !== ids.length || mask[0]!.length !== ids[0]!.length) throw new UsageError('attention_mask must have the shape of input_ids');
  return { ids, mask };
}

export const command: CliCommand = {
  name: 'forward',
  summary: "Print a model folder's logits for given token ids (the engine's forward), as JSON",
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({ args, options: { backend: { type: 'string', default: 'auto' }, model: { type: 'string' }, in: { type: 'string' } }, strict: true });
    if (!values.model || !values.in) throw new UsageError('--model DIR and --in INPUTS.json are required');
    const files = await readModelFiles(values.model);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(values.in, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read ${values.in} as JSON: ${(e as Error).message}`);
    }
    const { engine, device } = await selectEngine(backendChoice(values.backend), acquireNodeDevice);
    try {
      const model = loadCheckpoint(engine, files);
      const { ids, mask } = parseInputs(json, model.config.vocabSize);
      const B = ids.length;
      const T = ids[0]!.length;
      const flat = await engine.autograd.noGrad(() =>
        engine.tidy(async () => {
          const batch = { inputIds: engine.upload(Int32Array.from(ids.flat()), [B, T], 'i32'), attentionMask: engine.upload(Float32Array.from(mask.flat()), [B, T]) };
          return (await model.forward(batch).read()) as Float32Array;
        }),
      );
      const width = model.config.kind === 'encoder' ? model.config.numClasses : model.config.vocabSize;
      const rows = Array.from({ length: flat.length / width }, (_, r) => Array.from(flat.subarray(r * width, (r + 1) * width)));
      const logits = model.config.kind === 'encoder' ? rows : Array.from({ length: B }, (_, b) => rows.slice(b * T, (b + 1) * T));
      console.log(JSON.stringify({ logits }));
      model.release();
      return 0;
    } finally {
      engine.destroy();
      device?.device.destroy();
    }
  },
};
