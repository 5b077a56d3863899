// `lantern run`: an experiment (or its sweep) end to end on Node WebGPU, with results.json and
// checkpoints under --out, progress on stderr and, at the end, the metrics table on stdout (every
// model beside its baselines, with intervals and test sizes). Running again with the same --out
// resumes (a finished run only prints its table again).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ENGINE_CHOICES, type EngineChoice } from '../../src/engine/backend.ts';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { ExperimentError, parseExperimentJson } from '../../src/experiment/schema.ts';
import { createNodeHost, fileStore } from '../../src/experiment/run/node-host.ts';
import { runExperiment } from '../../src/experiment/run/pipeline.ts';
import { runSweep } from '../../src/experiment/run/sweep.ts';
import type { RunEvent } from '../../src/experiment/run/host.ts';
import { formatTables, markdownTables, runTables, sweepTables } from '../../src/experiment/run/report.ts';

const USAGE = `Usage: lantern run EXPERIMENT.json --out DIR [--engine auto|webgpu|wasm] [--server URL] [--token TOKEN] [--checkpoint-every N] [--table plain|markdown]

Runs the experiment end to end on this machine: on its GPU (WebGPU through Dawn), or on the CPU
with the WASM SIMD backend where WebGPU has only a software adapter (SwiftShader) or none — the
experiment's "engine" decides, --engine overrides it. Teacher labels through the teacher API (offline rule-based teacher by default), the seed set,
the in-house teacher, its synthetic answers, then every stage, each checkpointed and evaluated on
the test split. An experiment with a sweep runs every combination (and seed) and adds the mean and
95% confidence interval per group.

A stage's student may start from a Hugging Face model folder with the Qwen tokenizer:
"student": {"pretrained": {"source": "PATH", "lora": {"rank": 8}}} (PATH relative to the
experiment file; without "lora" every weight trains). Its config.json is checked and its training
memory estimated before anything runs; a LoRA stage also writes a PEFT adapter to
DIR/checkpoints/<stage>/adapter/. The in-house teacher may too: "inHouseTeacher":
{"pretrained": {"source": "PATH", "lora": {…}}, "maxSeqLen": N} (its adapter:
DIR/checkpoints/teacher/adapter/).

Writes DIR/results.json, DIR/checkpoints/<stage>/{model.safetensors,config.json} (sweeps: one
folder per run under DIR/runs/) and DIR/state.json, and prints the metrics table on stdout: each
student beside the in-house teacher and the trivial baselines (majority class, skill overlap;
template, copy of the requirements), with 95% intervals over the test pairs (a sweep: over seeds)
and the test size. Running again with the same --out skips what is finished and continues a model
in training from its last resume point.

  --out DIR             output folder (created if needed)
  --engine E            auto (WebGPU on a hardware adapter, else WASM), webgpu or wasm; default: the
                        experiment's "engine" (itself "auto" by default). results.json records which ran
  --server URL          a running Lantern server for teacher labels (default: an in-process one)
  --token TOKEN         bearer token for that server (default: $LANTERN_API_TOKEN)
  --checkpoint-every N  save a resume point every N training steps (default: each model's evalEvery, else 50)
  --table FORMAT        the closing metrics table as plain text (default) or markdown`;

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  return s >= 60 ? ` eta ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : ` eta ${s}s`;
}

/** Progress on stderr: one line per phase; training lines at most every 2 s (and the last step). */
function stderrProgress(): (event: RunEvent, run?: string) => void {
  let lastTrainLine = 0;
  return (event, run) => {
    const prefix = run ? `[${run}] ` : '';
    const write = (line: string) => process.stderr.write(`${prefix}${line}\n`);
    switch (event.type) {
      case 'phase':
        if (event.status === 'start') write(`${event.phase} …`);
        else if (event.status === 'skip') write(`${event.phase}: already done, skipped`);
        else write(`${event.phase}: done in ${event.seconds?.toFixed(1)} s`);
        break;
      case 'train': {
        const now = Date.now();
        if (now - lastTrainLine < 2000 && event.step !== event.steps) return;
        lastTrainLine = now;
        write(`  ${event.model} step ${event.step}/${event.steps}${event.loss !== null ? ` loss ${event.loss.toFixed(4)}` : ''} lr ${event.lr.toExponential(2)}${formatEta(event.etaSeconds)}`);
        break;
      }
      case 'val':
        write(`  ${event.model} step ${event.step} validation loss ${event.loss.toFixed(4)}`);
        break;
      case 'resume':
        write(`  ${event.model}: resuming from step ${event.step}`);
        break;
      case 'progress':
        if (event.done === event.total || event.done % 25 === 0) write(`  ${event.phase} ${event.done}/${event.total}`);
        break;
      case 'warning':
        write(`warning: ${event.message}`);
        break;
      case 'note':
        write(`  ${event.message}`);
        break;
    }
  };
}

export const command: CliCommand = {
  name: 'run',
  summary: 'Run an experiment (or its sweep) end to end: results.json, checkpoints, resumable',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { out: { type: 'string' }, server: { type: 'string' }, token: { type: 'string' }, 'checkpoint-every': { type: 'string' }, table: { type: 'string', default: 'plain' }, engine: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one experiment file');
    if (!values.out) throw new UsageError('--out is required');
    let checkpointEvery: number | undefined;
    if (values['checkpoint-every'] !== undefined) {
      checkpointEvery = Number(values['checkpoint-every']);
      if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) throw new UsageError('--checkpoint-every must be a positive integer');
    }
    if (values.table !== 'plain' && values.table !== 'markdown') throw new UsageError('--table must be plain or markdown');
    if (values.engine !== undefined && !ENGINE_CHOICES.includes(values.engine as EngineChoice)) throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}`);
    const writeTables = values.table === 'markdown' ? markdownTables : formatTables;
    const file = resolve(positionals[0]!);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    let parsed: ReturnType<typeof parseExperimentJson>;
    try {
      parsed = parseExperimentJson(text);
    } catch (e) {
      if (e instanceof ExperimentError) {
        for (const w of e.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
        process.stderr.write(`lantern run: ${positionals[0]} is not a valid experiment:\n${e.errors.map((x) => `  ${x.path}: ${x.message}`).join('\n')}\n`);
        return 2;
      }
      throw e;
    }
    for (const w of parsed.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    const { config } = parsed;
    const progress = stderrProgress();
    const host = await createNodeHost({
      ...(values.server ? { serverUrl: values.server } : {}),
      ...((values.token ?? process.env.LANTERN_API_TOKEN) ? { token: values.token ?? process.env.LANTERN_API_TOKEN } : {}),
      baseDir: dirname(file),
      emit: (event) => progress(event),
      backend: (values.engine as EngineChoice | undefined) ?? config.engine,
    });
    const store = fileStore(values.out);
    const t0 = Date.now();
    try {
      const b = host.backend;
      process.stderr.write(`engine: ${b ? `${b.kind === 'wasm' ? `WASM SIMD, ${b.threads} thread(s)` : 'WebGPU'} — ${b.reason}` : 'unknown'}\n`);
      if (config.sweep) {
        const sweep = await runSweep(config, host, store, { ...(checkpointEvery ? { checkpointEvery } : {}), onRunEvent: (run, event) => progress(event, run) });
        const failed = sweep.rows.filter((r) => r.status === 'failed').length;
        process.stderr.write(`sweep of ${sweep.rows.length} runs${failed ? ` (${failed} failed)` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s; results in ${resolve(values.out, 'results.json')}\n`);
        process.stdout.write(`${writeTables(sweepTables(sweep))}\n`);
        if (failed) return 1;
      } else {
        const results = await runExperiment(config, host, store, checkpointEvery ? { checkpointEvery } : {});
        process.stderr.write(`${results.stages.length} stage(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s; results in ${resolve(values.out, 'results.json')}\n`);
        process.stdout.write(`${writeTables(runTables(results))}\n`);
      }
    } finally {
      await host.close();
    }
    return 0;
  },
};
