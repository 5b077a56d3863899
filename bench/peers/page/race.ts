// The race itself, wherever the bench page runs it: the page's main thread (WebGPU) or a module
// worker it starts (WASM, as the studio trains in its worker: there TF.js's threaded build gets
// the threads it asks for, and our pool's caller waits in Atomics.wait instead of spinning).
import tfWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import tfWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import tfWasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { runPeers, type PeerTarget } from '../index.ts';
import type { PeerReport, RowKind } from '../run.ts';
import { fullWorkloads, smokeWorkloads } from '../workloads.ts';

export interface RaceRequest {
  backend: 'webgpu' | 'wasm';
  smoke: boolean;
  kinds?: RowKind[];
}

export async function race(req: RaceRequest, log: (line: string) => void): Promise<PeerReport> {
  const browser = navigator.userAgent.match(/(HeadlessChrome|Chrome|Chromium|Firefox)\/[\d.]+/)?.[0] ?? navigator.userAgent;
  let target: PeerTarget;
  let environment = browser;
  if (req.backend === 'wasm') {
    target = { backend: 'wasm' };
    // Without isolation there is no SharedArrayBuffer: ours and TF.js each fall back to one thread.
    environment = `${browser} (WASM in a worker, ${crossOriginIsolated ? '' : 'not '}cross-origin isolated)`;
  } else {
    if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
    target = { backend: 'webgpu', gpu: navigator.gpu };
  }
  const tfWasmPaths = { 'tfjs-backend-wasm.wasm': tfWasm, 'tfjs-backend-wasm-simd.wasm': tfWasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': tfWasmThreadedSimd };
  const workloads = req.smoke ? smokeWorkloads() : fullWorkloads();
  return runPeers(target, { environment, workloads, ...(req.kinds ? { kinds: req.kinds } : {}), ...(req.backend === 'wasm' ? { tfWasmPaths } : {}), log });
}
