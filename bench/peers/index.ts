// The peer race in one call, on one backend. WebGPU, for any environment that has a `GPU` object
// and has made it visible as navigator.gpu (jax-js and TF.js look there): ours on its own device,
// then jax-js and TF.js, each on a device of the same adapter. WASM: ours on the WASM backend,
// jax-js on its wasm device (its own worker pool where shared memory and Worker exist, as in a
// page; one thread in Node), TF.js on its WASM backend with as many threads as ours where its
// threaded build runs (a cross-origin-isolated page; never Node), on the same CPU. All in one
// process or page.
import { Engine } from '../../src/engine/runtime.ts';
import { acquireDevice } from '../../src/engine/gpu.ts';
import { WasmBackend } from '../../src/engine/wasm/backend.ts';
import { hardwareThreads } from '../../src/engine/wasm/threads.ts';
import type { Contender } from './contender.ts';
import type { TfWasmPaths } from './tfjs.ts';
import { initialWeights, oursContender } from './ours.ts';
import { runRace, type PeerReport, type RowKind } from './run.ts';
import type { Workloads } from './workloads.ts';

export interface PeerRunOptions {
  /** "node (Dawn)", "chromium 140" … */
  environment: string;
  workloads: Workloads;
  kinds?: RowKind[];
  /** Which peers to race (default both). */
  peers?: ('jax-js' | 'TF.js')[];
  /** Where TF.js's WASM backend finds its .wasm files (the WASM race). */
  tfWasmPaths?: TfWasmPaths;
  log?: (line: string) => void;
}

export type PeerTarget = { backend: 'webgpu'; gpu: GPU } | { backend: 'wasm'; threads?: number };

export async function runPeers(target: PeerTarget, opts: PeerRunOptions): Promise<PeerReport> {
  const log = opts.log ?? (() => {});
  let engine: Engine;
  let adapter: string;
  let features: string[] = [];
  let device: GPUDevice | null = null;
  let threads: number | undefined;
  if (target.backend === 'webgpu') {
    const acquired = await acquireDevice(target.gpu, 'the peer bench needs WebGPU');
    device = acquired.device;
    engine = new Engine(device);
    const a = acquired.report.adapter;
    adapter = [a.description || a.device || '(unnamed adapter)', a.vendor && `(${a.vendor}${a.architecture ? ' ' + a.architecture : ''})`, a.isFallbackAdapter ? '[fallback adapter]' : ''].filter(Boolean).join(' ');
    features = acquired.report.allFeatures;
  } else {
    const backend = await WasmBackend.create(target.threads !== undefined ? { threads: target.threads } : {});
    engine = new Engine(backend);
    threads = backend.threadCount;
    adapter = `CPU, WASM SIMD (${await hardwareThreads()} logical cores; ours on ${backend.threadCount} thread${backend.threadCount === 1 ? '' : 's'})`;
  }
  const contenders: Contender[] = [oursContender(engine)];
  const peers = opts.peers ?? ['jax-js', 'TF.js'];
  try {
    // Imported only here: each peer starts its own device when loaded.
    if (peers.includes('jax-js')) contenders.push(await (await import('./jaxjs.ts')).jaxContender(target.backend));
    if (peers.includes('TF.js')) contenders.push(await (await import('./tfjs.ts')).tfContender(target.backend, opts.tfWasmPaths, threads));
    log(`adapter: ${adapter}`);
    const rows = await runRace(contenders, { workloads: opts.workloads, ...(opts.kinds ? { kinds: opts.kinds } : {}), log, weightsFor: (c) => initialWeights(engine, c) });
    return { environment: opts.environment, adapter, features, contenders: contenders.map((c) => ({ name: c.name, detail: c.detail })), rows };
  } finally {
    for (const c of contenders) await c.destroy();
    device?.destroy();
  }
}
