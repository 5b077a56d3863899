import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { selectEngine, type BackendReport, type EngineChoice } from '../../src/engine/select.ts';
import { backendChoice } from '../backend-flag.ts';
import { PEER_NAME, benchMatmul, benchTraining, formatStepProfiles, profileTraining, TRAINING_SHAPES } from '../../bench/engine.ts';
import { formatPeerTable, type PeerReport, type RowKind } from '../../bench/peers/run.ts';
import { fullWorkloads, smokeWorkloads } from '../../bench/peers/workloads.ts';

const USAGE = `Usage: lantern bench [--backend auto|webgpu|wasm] [--quick] [--sizes 256,512,1024] [--no-models] [--json]
       lantern bench --profile [--backend auto|webgpu|wasm] [--quick] [--json]
       lantern bench --peers [--backend webgpu|wasm] [--chromium] [--smoke] [--only matmul,training,dispatch] [--json]
       lantern bench --inference [--quick] [--run DIR [--classifier ID] [--explainer ID] | --presets ENC,DEC]
                     [--max-seq-len N] [--max-new-tokens N] [--calls N] [--no-ort-webgpu] [--json]

Measures the engine on one of its backends here (Node): WebGPU (Dawn), or WASM SIMD on the CPU;
--backend auto (the default) picks as experiments do: WebGPU on a hardware adapter, else WASM.
  matmul GFLOP/s of the engine's tiled kernel for square sizes, against a peer measured in the
  same run (${PEER_NAME});
  training-step tokens/s for the small encoder and decoder presets (batch ${TRAINING_SHAPES.full.batch} × ${TRAINING_SHAPES.full.seqLen} tokens).

  --quick      sizes 256 and 512, shorter measurements, batch ${TRAINING_SHAPES.quick.batch} × ${TRAINING_SHAPES.quick.seqLen} tokens
  --sizes      comma-separated square matrix sizes
  --no-models  skip the training-step measurement
  --json       print one JSON object instead of a table

  --profile    where one training step of the small encoder and decoder spends its time: every
               dispatch timed (WebGPU: timestamp queries, the adapter needs 'timestamp-query',
               each dispatch in a pass of its own; WASM: the clock around each dispatch), summed
               per op and per kernel (a profile, not a timing)

  --peers      race our engine against jax-js (0.1.25, jit) and TF.js (4.22, WebGPU backend) on
               the same adapter in one process: matmul GFLOP/s (square and a training step's
               skinny shapes), training-step tokens/s of the small encoder and decoder
               (forward + backward + AdamW, the same model and weights in each), the cost of a
               tiny op; peers interleaved, best of rounds, every answer checked against ours
               --backend wasm races on the CPU instead: ours on the WASM backend (threads as
               the machine has cores), jax-js on its wasm device, TF.js on its WASM backend
               (XNNPACK, SIMD) — the peers a user without a GPU would pick
  --chromium   run the race in Chromium (a bench page built by Vite, served cross-origin isolated)
               instead of Node; with --backend wasm: ours on its worker pool, TF.js on its
               threaded-SIMD build, jax-js on its wasm device, in Chromium without WebGPU
  --smoke      the smallest sizes (a check that everything runs and agrees, not a measurement)
  --only       comma-separated rows to run: matmul, training, dispatch

--inference: latency (p50/p95 per call) and requests/s of the classifier and the explainer (label +
greedy explanation) on the engine, onnxruntime-web WebGPU (same adapter) and onnxruntime-web WASM,
at batch 1 and 32, with and without input compression, and the classifier ÷ explainer throughput
ratio. Students: a finished run's stages (--run; the figures are also written into its
results.json as "inference"), else the small presets with seeded weights (--quick: tiny presets,
batch 1 and 2, one call per case, no onnxruntime-web WebGPU). --presets (e.g. tiny,small),
--max-seq-len (default 256), --max-new-tokens (32) and --calls (timed calls per case, 5) size the
measurement to the machine.`;

const ROW_KINDS: RowKind[] = ['matmul', 'training', 'dispatch'];

async function runPeerBench(values: { chromium?: boolean; smoke?: boolean; only?: string; json?: boolean }, backend: 'webgpu' | 'wasm'): Promise<number> {
  const kinds = values.only?.split(',').map((s) => s.trim()) as RowKind[] | undefined;
  if (kinds && (kinds.length === 0 || kinds.some((k) => !ROW_KINDS.includes(k)))) throw new UsageError(`--only takes ${ROW_KINDS.join(', ')} (comma-separated), got "${values.only}"`);
  const log = (line: string) => console.error(line);
  let report: PeerReport;
  if (values.chromium) {
    const { runPeersInChromium } = await import('../../bench/peers/chromium.ts');
    report = await runPeersInChromium({ backend, ...(values.smoke ? { smoke: true } : {}), ...(kinds ? { kinds } : {}), log });
  } else {
    const { runPeersInNode } = await import('../../bench/peers/node.ts');
    report = await runPeersInNode({ backend, workloads: values.smoke ? smokeWorkloads() : fullWorkloads(), ...(kinds ? { kinds } : {}), log });
  }
  console.log(values.json ? JSON.stringify(report, null, 2) : formatPeerTable(report));
  // A contender that failed or disagreed is a failed run, even though the others were measured.
  const failed = report.rows.some((r) => Object.values(r.cells).some((c) => c.error));
  return failed ? 1 : 0;
}

export const command: CliCommand = {
  name: 'bench',
  summary: 'Benchmark the engine (matmul GFLOP/s against a peer, training tokens/s) or, with --inference, the students: engine vs onnxruntime-web',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { backend: { type: 'string' }, quick: { type: 'boolean' }, profile: { type: 'boolean' }, sizes: { type: 'string' }, 'no-models': { type: 'boolean' }, json: { type: 'boolean' }, peers: { type: 'boolean' }, chromium: { type: 'boolean' }, smoke: { type: 'boolean' }, only: { type: 'string' }, inference: { type: 'boolean' }, run: { type: 'string' }, classifier: { type: 'string' }, explainer: { type: 'string' }, 'no-ort-webgpu': { type: 'boolean' }, presets: { type: 'string' }, 'max-seq-len': { type: 'string' }, 'max-new-tokens': { type: 'string' }, calls: { type: 'string' } },
      strict: true,
    });
    if ([values.peers, values.inference, values.profile].filter(Boolean).length > 1) throw new UsageError('--peers, --inference and --profile are different benchmarks: pick one');
    const choice = backendChoice(values.backend);
    if (values.profile) {
      if (values.sizes || values['no-models']) throw new UsageError('--sizes and --no-models do not go with --profile');
      return runProfile(values, choice);
    }
    if (values.peers) {
      // The race is on one backend: WebGPU unless asked otherwise.
      if (values.backend === 'auto') throw new UsageError('--peers races one backend: give --backend webgpu or --backend wasm');
      return runPeerBench(values, choice === 'wasm' ? 'wasm' : 'webgpu');
    }
    if (values.chromium || values.smoke || values.only) throw new UsageError('--chromium, --smoke and --only go with --peers');
    if (values.inference) return runInferenceBench(values);
    if (values.run || values.classifier || values.explainer || values['no-ort-webgpu'] || values.presets || values.calls || values['max-seq-len'] || values['max-new-tokens']) throw new UsageError('--run, --classifier, --explainer, --presets, --calls, --max-seq-len, --max-new-tokens and --no-ort-webgpu go with --inference');
    const sizes = values.sizes?.split(',').map((s) => Number(s.trim()));
    if (sizes && (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 8192))) {
      throw new UsageError(`--sizes must be whole numbers from 1 to 8192, got "${values.sizes}"`);
    }
    const { engine, backend, device } = await selectEngine(choice, acquireNodeDevice);
    const deviceName = backendName(backend);
    const log = (line: string) => console.error(line);
    try {
      log(`device: ${deviceName}`);
      const opts = { quick: values.quick ?? false, ...(sizes ? { sizes } : {}), log };
      const matmulFigures = await benchMatmul(engine, opts);
      // A failing model benchmark must not swallow the matmul figures already measured.
      let training: Awaited<ReturnType<typeof benchTraining>> = [];
      let trainingError: string | null = null;
      if (!values['no-models']) {
        try {
          training = await benchTraining(engine, opts);
        } catch (e) {
          trainingError = (e as Error).message;
        }
      }
      if (values.json) {
        console.log(JSON.stringify({ device: deviceName, backend, adapter: backend.adapter?.adapter ?? null, peer: PEER_NAME, matmul: matmulFigures, training, ...(trainingError ? { trainingError } : {}) }, null, 2));
        return trainingError ? 1 : 0;
      }
      const lines = [`device: ${deviceName}`, '', `matmul (f32, square)   engine GFLOP/s   peer GFLOP/s   ratio     peer: ${PEER_NAME}`];
      for (const f of matmulFigures) {
        lines.push(`  ${`${f.size}×${f.size}`.padEnd(21)}${f.gflops.toFixed(2).padStart(14)}${f.peerGflops.toFixed(2).padStart(15)}${`${f.ratio.toFixed(1)}×`.padStart(8)}`);
      }
      if (!values['no-models']) {
        lines.push('', 'training step (forward, cross-entropy, backward, AdamW)');
        if (trainingError) lines.push(`  failed: ${trainingError}`);
        for (const t of training) {
          lines.push(`  ${`${t.model} ${t.preset}`.padEnd(16)} ${(t.parameters / 1e6).toFixed(2)}M params   batch ${t.batch} × ${t.seqLen}   ${t.msPerStep.toFixed(0)} ms/step   ${t.tokensPerSecond.toFixed(0)} tokens/s`);
        }
      }
      console.log(lines.join('\n'));
      return trainingError ? 1 : 0;
    } finally {
      engine.destroy();
      device?.device.destroy();
    }
  },
};

async function runProfile(values: { quick?: boolean; json?: boolean }, choice: EngineChoice): Promise<number> {
  const { engine, backend, device } = await selectEngine(choice, acquireNodeDevice);
  try {
    if (device && !device.device.features.has('timestamp-query')) {
      console.error(`lantern bench --profile: this adapter (${device.report.adapter.vendor} ${device.report.adapter.architecture}) has no 'timestamp-query'`);
      return 1;
    }
    const profiles = await profileTraining(engine, { quick: values.quick ?? false, log: (line) => console.error(line) });
    console.log(values.json ? JSON.stringify({ backend, adapter: backend.adapter?.adapter ?? null, profiles }, null, 2) : `device: ${backendName(backend)}\n${formatStepProfiles(profiles)}`);
    return 0;
  } finally {
    engine.destroy();
    device?.device.destroy();
  }
}

/** The backend measured, for the table's first line. */
function backendName(b: BackendReport): string {
  if (b.kind === 'wasm') return `WASM SIMD, ${b.threads} thread${b.threads === 1 ? '' : 's'} (${b.reason})`;
  const a = b.adapter!.adapter;
  return [a.description || a.device, a.vendor && `(${a.vendor}${a.architecture ? ' ' + a.architecture : ''})`].filter(Boolean).join(' ');
}

interface InferenceFlags {
  quick?: boolean;
  json?: boolean;
  run?: string;
  classifier?: string;
  explainer?: string;
  'no-ort-webgpu'?: boolean;
  presets?: string;
  calls?: string;
  'max-seq-len'?: string;
  'max-new-tokens'?: string;
}

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got "${v}"`);
  return n;
}

async function runInferenceBench(values: InferenceFlags): Promise<number> {
  const { ENCODER_PRESETS, DECODER_PRESETS } = await import('../../src/engine/presets.ts');
  let presets: { classifier: keyof typeof ENCODER_PRESETS; explainer: keyof typeof DECODER_PRESETS } | undefined;
  if (values.presets) {
    const [c, e] = values.presets.split(',').map((s) => s.trim());
    if (!c || !e || !(c in ENCODER_PRESETS) || !(e in DECODER_PRESETS)) throw new UsageError(`--presets must be CLASSIFIER,EXPLAINER presets (${Object.keys(ENCODER_PRESETS).join(', ')}), got "${values.presets}"`);
    if (values.run) throw new UsageError('--presets and --run exclude each other (a run brings its own students)');
    presets = { classifier: c as keyof typeof ENCODER_PRESETS, explainer: e as keyof typeof DECODER_PRESETS };
  }
  const settings = Object.fromEntries(Object.entries({ calls: positive('calls', values.calls), maxSeqLen: positive('max-seq-len', values['max-seq-len']), maxNewTokens: positive('max-new-tokens', values['max-new-tokens']) }).filter(([, v]) => v !== undefined));
  const { benchInferenceNode } = await import('../../bench/inference-node.ts');
  const { formatInferenceReport, throughputRatios } = await import('../../bench/inference.ts');
  const { recordInferenceBench } = await import('../../src/export/record.ts');
  const { fileStore } = await import('../../src/experiment/run/node-host.ts');
  const { device, report } = await acquireNodeDevice();
  const engine = new Engine(device);
  const deviceName = [report.adapter.description || report.adapter.device, report.adapter.vendor && `(${report.adapter.vendor})`].filter(Boolean).join(' ');
  const log = (line: string) => console.error(line);
  try {
    log(`device: ${deviceName}`);
    const store = values.run ? fileStore(values.run) : undefined;
    const bench = await benchInferenceNode(engine, {
      quick: values.quick ?? false,
      settings,
      ...(presets ? { presets } : {}),
      ...(store ? { run: { store, ...(values.classifier ? { classifier: values.classifier } : {}), ...(values.explainer ? { explainer: values.explainer } : {}) } } : {}),
      ortWebgpu: !(values.quick || values['no-ort-webgpu']),
      log,
    });
    const summary = { device: deviceName, adapter: report.adapter, ...bench, ratios: throughputRatios(bench.figures) };
    if (store) await recordInferenceBench(store, { device: deviceName, measuredAt: new Date().toISOString(), ...bench });
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else {
      const s = bench.students;
      console.log([`device: ${deviceName}`, `classifier: ${s.classifier.stage} (${s.classifier.preset}, ${(s.classifier.parameters / 1e6).toFixed(2)}M params); explainer: ${s.explainer.stage} (${s.explainer.preset}, ${(s.explainer.parameters / 1e6).toFixed(2)}M params), ${bench.settings.maxNewTokens} new tokens`, '', formatInferenceReport(bench.figures)].join('\n'));
    }
    return 0;
  } finally {
    engine.destroy();
    device.destroy();
  }
}
