import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { fileStore } from '../../src/experiment/run/node-host.ts';
import { buildBundle } from '../../src/export/bundle.ts';
import { bundleSourceFromRun, exportableStages } from '../../src/export/from-run.ts';
import { qwenTokenizerJson } from '../../src/export/node.ts';

const USAGE = `Usage: lantern export RUN_DIR --stage ID --out FILE.zip [--run RUN_ID]

Writes one trained stage of a finished run (lantern run --out RUN_DIR) as a bundle: a zip that is
also a Hugging Face model folder — config.json, model.safetensors, tokenizer.json and
tokenizer_config.json (the pruned student vocabulary), generation_config.json (explainers),
onnx/model.onnx and onnx/model_fp16.onnx (onnxruntime-web, transformers.js), lantern.json and a
README with the task, the training config and the test metrics. The studio's Export button writes
the same bytes for the same run.

  --stage ID   the stage to export (an id from the experiment's stages)
  --out FILE   the zip to write
  --run ID     for a sweep's folder: which of its runs (runs/ID)`;

export const command: CliCommand = {
  name: 'export',
  summary: 'Export a trained stage as a zip bundle: Hugging Face folder + ONNX (onnxruntime-web, transformers.js)',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({ args, options: { stage: { type: 'string' }, out: { type: 'string' }, run: { type: 'string' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('name one run folder');
    if (!values.out) throw new UsageError('--out FILE.zip is required');
    const root = fileStore(positionals[0]!);
    const runPath = values.run ? `runs/${values.run}` : '';
    if (!values.stage) {
      const { stages } = await exportableStages(root, runPath);
      throw new UsageError(`--stage is required; this run's stages: ${stages.map((s) => `${s.id} (${s.task})`).join(', ')}`);
    }
    const source = await bundleSourceFromRun(root, values.stage, await qwenTokenizerJson(), runPath);
    const zip = await buildBundle(source);
    await writeFile(values.out, zip);
    console.error(`wrote ${values.out} (${(zip.length / 1e6).toFixed(2)} MB): stage ${values.stage}`);
    return 0;
  },
};
