import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { PEER_NAME, benchMatmul, benchTraining, TRAINING_SHAPES } from '../../bench/engine.ts';
import { formatPeerTable, type PeerReport, type RowKind } from '../../bench/peers/run.ts';
import { fullWorkloads, smokeWorkloads } from '../../bench/peers/workloads.ts';

const USAGE = `Usage: lantern bench [--quick] [--sizes 256,512,1024] [--no-models] [--json]
       lantern bench --peers [--chromium] [--smoke] [--only matmul,training,dispatch] [--json]

Measures the engine on this machine's WebGPU adapter (Node, Dawn):
  matmul GFLOP/s of the engine's tiled kernel for square sizes, against a peer measured in the
  same run (${PEER_NAME});
  training-step tokens/s for the small encoder and decoder presets (batch ${TRAINING_SHAPES.full.batch} × ${TRAINING_SHAPES.full.seqLen} tokens).

  --quick      sizes 256 and 512, shorter measurements, batch ${TRAINING_SHAPES.quick.batch} × ${TRAINING_SHAPES.quick.seqLen} tokens
  --sizes      comma-separated square matrix sizes
  --no-models  skip the training-step measurement
  --json       print one JSON object instead of a table

  --peers      race our engine against jax-js (0.1.25, jit) and TF.js (4.22, WebGPU backend) on
               the same adapter in one process: matmul GFLOP/s (square and a training step's
               skinny shapes), training-step tokens/s of the small encoder and decoder
               (forward + backward + AdamW, the same model and weights in each), the cost of a
               tiny op; peers interleaved, best of rounds, every answer checked against ours
  --chromium   run the race in Chromium (a bench page built by Vite) instead of Node
  --smoke      the smallest sizes (a check that everything runs and agrees, not a measurement)
  --only       comma-separated rows to run: matmul, training, dispatch`;

const ROW_KINDS: RowKind[] = ['matmul', 'training', 'dispatch'];

async function runPeerBench(values: { chromium?: boolean; smoke?: boolean; only?: string; json?: boolean }): Promise<number> {
  const kinds = values.only?.split(',').map((s) => s.trim()) as RowKind[] | undefined;
  if (kinds && (kinds.length === 0 || kinds.some((k) => !ROW_KINDS.includes(k)))) throw new UsageError(`--only takes ${ROW_KINDS.join(', ')} (comma-separated), got "${values.only}"`);
  const log = (line: string) => console.error(line);
  let report: PeerReport;
  if (values.chromium) {
    const { runPeersInChromium } = await import('../../bench/peers/chromium.ts');
    report = await runPeersInChromium({ ...(values.smoke ? { smoke: true } : {}), ...(kinds ? { kinds } : {}), log });
  } else {
    const { runPeersInNode } = await import('../../bench/peers/node.ts');
    report = await runPeersInNode({ workloads: values.smoke ? smokeWorkloads() : fullWorkloads(), ...(kinds ? { kinds } : {}), log });
  }
  console.log(values.json ? JSON.stringify(report, null, 2) : formatPeerTable(report));
  // A contender that failed or disagreed is a failed run, even though the others were measured.
  const failed = report.rows.some((r) => Object.values(r.cells).some((c) => c.error));
  return failed ? 1 : 0;
}

export const command: CliCommand = {
  name: 'bench',
  summary: 'Benchmark the engine: matmul GFLOP/s against a peer, training tokens/s, on this adapter',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { quick: { type: 'boolean' }, sizes: { type: 'string' }, 'no-models': { type: 'boolean' }, json: { type: 'boolean' }, peers: { type: 'boolean' }, chromium: { type: 'boolean' }, smoke: { type: 'boolean' }, only: { type: 'string' } },
      strict: true,
    });
    if (values.peers) return runPeerBench(values);
    if (values.chromium || values.smoke || values.only) throw new UsageError('--chromium, --smoke and --only go with --peers');
    const sizes = values.sizes?.split(',').map((s) => Number(s.trim()));
    if (sizes && (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 8192))) {
      throw new UsageError(`--sizes must be whole numbers from 1 to 8192, got "${values.sizes}"`);
    }
    const { device, report } = await acquireNodeDevice();
    const engine = new Engine(device);
    const deviceName = [report.adapter.description || report.adapter.device, report.adapter.vendor && `(${report.adapter.vendor}${report.adapter.architecture ? ' ' + report.adapter.architecture : ''})`].filter(Boolean).join(' ');
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
        console.log(JSON.stringify({ device: deviceName, adapter: report.adapter, peer: PEER_NAME, matmul: matmulFigures, training, ...(trainingError ? { trainingError } : {}) }, null, 2));
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
      device.destroy();
    }
  },
};
