import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import { selectEngine } from '../../src/engine/select.ts';
import { BACKEND_FLAG_HELP, backendChoice } from '../backend-flag.ts';
import { loadCheckpoint } from '../../src/engine/checkpoint.ts';
import { generate } from '../../src/engine/nn/generate.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { readModelFiles } from '../../src/export/node.ts';
import { stopTokenIds } from '../../src/engine/pretrained.ts';

const USAGE = `Usage: lantern generate --model DIR --ids JSON --max-new-tokens N [--backend auto|webgpu|wasm]

Loads a decoder's model folder (config.json + model.safetensors or sharded model-*.safetensors with
model.safetensors.index.json: a checkpoint, a Hugging Face Qwen2 / Llama folder, an unzipped bundle
or the bundle zip) and prints the greedy continuation of each prompt as JSON ids ([[…], …]; without
the prompt, stopping at eos_token_id (one or a list; config.json, else generation_config.json), which is not printed). Prompts of different lengths are
left-padded with pad_token_id and masked, as the studio generates.

  --ids JSON            one prompt [1, 2, 3] or several [[1, 2], [3, 4, 5]]
  --max-new-tokens N    at most N new tokens per prompt
  ${BACKEND_FLAG_HELP}`;

export const command: CliCommand = {
  name: 'generate',
  summary: "Print a decoder folder's greedy continuation of token ids (the engine's generation), as JSON",
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({ args, options: { backend: { type: 'string', default: 'auto' }, model: { type: 'string' }, ids: { type: 'string' }, 'max-new-tokens': { type: 'string' } }, strict: true });
    if (!values.model || !values.ids || !values['max-new-tokens']) throw new UsageError('--model, --ids and --max-new-tokens are required');
    const maxNewTokens = Number(values['max-new-tokens']);
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new UsageError(`--max-new-tokens must be a positive integer, got "${values['max-new-tokens']}"`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.ids);
    } catch (e) {
      throw new UsageError(`--ids is not JSON: ${(e as Error).message}`);
    }
    const prompts = Array.isArray(parsed) && parsed.every((x) => Number.isInteger(x)) ? [parsed as number[]] : (parsed as number[][]);
    if (!Array.isArray(prompts) || prompts.length === 0 || !prompts.every((p) => Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x)))) {
      throw new UsageError('--ids must be a prompt of token ids [1, 2, 3] or a list of them [[1, 2], [3]]');
    }
    const files = await readModelFiles(values.model);
    const { engine, device } = await selectEngine(backendChoice(values.backend), acquireNodeDevice);
    try {
      const model = loadCheckpoint(engine, files);
      if (!(model instanceof DecoderLM)) {
        model.release();
        throw new UsageError(`${values.model} holds an encoder classifier; generate needs a decoder`);
      }
      const stops = stopTokenIds(files);
      const out = await generate(model, prompts, { maxNewTokens, ...(stops.length ? { stopTokens: stops } : {}), ...(model.config.padTokenId !== undefined ? { padTokenId: model.config.padTokenId } : {}) });
      console.log(JSON.stringify(out.map((g) => g.tokens)));
      model.release();
      return 0;
    } finally {
      engine.destroy();
      device?.device.destroy();
    }
  },
};
