// The peer race in a browser page (built by Vite; driven by `lantern bench --peers --chromium`).
// The report lands in window.peerReport (or window.peerError) for the driver to collect.
import { runPeers } from '../index.ts';
import { formatPeerTable, type PeerReport, type RowKind } from '../run.ts';
import { fullWorkloads, smokeWorkloads } from '../workloads.ts';

declare global {
  interface Window {
    peerReport?: PeerReport;
    peerError?: string;
  }
}

const out = document.getElementById('out')!;
const params = new URLSearchParams(location.search);
const workloads = params.get('workloads') === 'smoke' ? smokeWorkloads() : fullWorkloads();
const kinds = params.get('only')?.split(',') as RowKind[] | undefined;
const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
  out.textContent = lines.join('\n');
};

async function main(): Promise<void> {
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  const browser = navigator.userAgent.match(/(HeadlessChrome|Chrome|Chromium|Firefox)\/[\d.]+/)?.[0] ?? navigator.userAgent;
  const report = await runPeers({ backend: 'webgpu', gpu: navigator.gpu }, { environment: browser, workloads, ...(kinds ? { kinds } : {}), log });
  out.textContent = `${lines.join('\n')}\n\n${formatPeerTable(report)}`;
  window.peerReport = report;
}

main().catch((e: Error) => {
  log(`failed: ${e.message}`);
  window.peerError = e.message;
});
