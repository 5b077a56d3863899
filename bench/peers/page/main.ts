// The peer race in a browser page (built by Vite; driven by `lantern bench --peers --chromium`).
// `?backend=wasm` races on the CPU in a worker (race.ts); WebGPU on the page's main thread.
// `?workloads=smoke` the smallest sizes, `?only=matmul,…` some rows. The report lands in
// window.peerReport (or window.peerError) for the driver to collect.
import { formatPeerTable, type PeerReport, type RowKind } from '../run.ts';
import { race, type RaceRequest } from './race.ts';

declare global {
  interface Window {
    peerReport?: PeerReport;
    peerError?: string;
  }
}

const out = document.getElementById('out')!;
const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'webgpu';
const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
  out.textContent = lines.join('\n');
};

function inWorker(req: RaceRequest): Promise<PeerReport> {
  const worker = new Worker(new URL('./race.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ log?: string; report?: PeerReport; error?: string }>) => {
      if (e.data.log !== undefined) log(e.data.log);
      if (e.data.report) resolve(e.data.report);
      if (e.data.error !== undefined) reject(new Error(e.data.error));
    };
    worker.onerror = (e) => reject(new Error(`the race worker failed: ${e.message}`));
    worker.postMessage(req);
  });
}

async function main(): Promise<void> {
  if (backend !== 'webgpu' && backend !== 'wasm') throw new Error(`backend must be webgpu or wasm, got "${backend}"`);
  const kinds = params.get('only')?.split(',') as RowKind[] | undefined;
  const req: RaceRequest = { backend, smoke: params.get('workloads') === 'smoke', ...(kinds ? { kinds } : {}) };
  if (backend === 'wasm') log(`cross-origin isolated: ${crossOriginIsolated}`);
  const report = backend === 'wasm' ? await inWorker(req) : await race(req, log);
  out.textContent = `${lines.join('\n')}\n\n${formatPeerTable(report)}`;
  window.peerReport = report;
}

main().catch((e: Error) => {
  log(`failed: ${e.message}`);
  window.peerError = e.message;
});
