// The peer race in one call, for any environment that has a WebGPU `GPU` object and has made it
// visible as navigator.gpu (jax-js and TF.js look there): ours on its own device, then jax-js
// and TF.js, each on a device of the same adapter, all in this one process or page.
import { Engine } from '../../src/engine/runtime.ts';
import { acquireDevice } from '../../src/engine/gpu.ts';
import type { Contender } from './contender.ts';
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
  log?: (line: string) => void;
}

export async function runPeers(gpu: GPU, opts: PeerRunOptions): Promise<PeerReport> {
  const log = opts.log ?? (() => {});
  const { device, report } = await acquireDevice(gpu, 'the peer bench needs WebGPU');
  const engine = new Engine(device);
  const contenders: Contender[] = [oursContender(engine)];
  const peers = opts.peers ?? ['jax-js', 'TF.js'];
  try {
    // Imported only here: each peer starts its own WebGPU device when loaded.
    if (peers.includes('jax-js')) contenders.push(await (await import('./jaxjs.ts')).jaxContender());
    if (peers.includes('TF.js')) contenders.push(await (await import('./tfjs.ts')).tfContender());
    const a = report.adapter;
    const adapter = [a.description || a.device || '(unnamed adapter)', a.vendor && `(${a.vendor}${a.architecture ? ' ' + a.architecture : ''})`, a.isFallbackAdapter ? '[fallback adapter]' : ''].filter(Boolean).join(' ');
    log(`adapter: ${adapter}`);
    const rows = await runRace(contenders, { workloads: opts.workloads, ...(opts.kinds ? { kinds: opts.kinds } : {}), log, weightsFor: (c) => initialWeights(engine, c) });
    return { environment: opts.environment, adapter, features: report.allFeatures, contenders: contenders.map((c) => ({ name: c.name, detail: c.detail })), rows };
  } finally {
    for (const c of contenders) await c.destroy();
    device.destroy();
  }
}
