// Which backend an engine runs on. WebGPU on a real GPU; the WASM backend where WebGPU only has a
// software adapter (SwiftShader, llvmpipe: about 1 GFLOP/s, where WASM SIMD on the same cores
// does an order of magnitude more) or none at all. A user or an experiment can force either.
import { Engine } from './runtime.ts';
import type { BackendKind, BackendReport, EngineChoice } from './backend.ts';
import { isSoftwareAdapterInfo, type AcquiredDevice, type AdapterReport } from './gpu.ts';
import { WasmBackend } from './wasm/backend.ts';

export { ENGINE_CHOICES, type BackendReport, type EngineChoice } from './backend.ts';

/** A software rasteriser posing as a GPU: WebGPU works there, but slowly. */
export function isSoftwareAdapter(report: AdapterReport): boolean {
  return isSoftwareAdapterInfo(report.adapter);
}

export interface SelectedEngine {
  engine: Engine;
  backend: BackendReport;
  /** The GPU device the engine runs on (WebGPU only; the caller destroys it). */
  device: AcquiredDevice | null;
}

export interface SelectOptions {
  /** WASM threads (default: the machine's cores). */
  threads?: number;
}

const adapterName = (r: AdapterReport) => [r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(' · ') || 'unnamed adapter';

/**
 * The backend for `choice` given what acquiring the GPU gave (its adapter, or the error): for
 * 'webgpu' the error is thrown; 'auto' takes WASM when there is no adapter or only a software one.
 */
export function chooseBackend(choice: EngineChoice, gpu: { report: AdapterReport } | { error: Error } | null): { kind: BackendKind; reason: string } {
  if (choice === 'wasm') return { kind: 'wasm', reason: 'asked for the WASM backend' };
  if (!gpu || 'error' in gpu) {
    if (choice === 'webgpu') throw gpu?.error ?? new Error('WebGPU is not available here');
    return { kind: 'wasm', reason: `no WebGPU adapter${gpu ? ` (${gpu.error.message.split('. ')[0]})` : ''}` };
  }
  if (choice === 'webgpu') return { kind: 'webgpu', reason: 'asked for WebGPU' };
  if (isSoftwareAdapter(gpu.report)) return { kind: 'wasm', reason: `the WebGPU adapter is a software fallback (${adapterName(gpu.report)}): WASM SIMD on the same cores is faster` };
  return { kind: 'webgpu', reason: `a hardware WebGPU adapter (${adapterName(gpu.report)})` };
}

/** The WASM backend's report line. */
export function wasmBackendReport(choice: EngineChoice, reason: string, threads: number, adapter?: AdapterReport): BackendReport {
  return { kind: 'wasm', choice, reason, threads, ...(adapter ? { adapter } : {}) };
}

/**
 * Asks for the GPU (unless `choice` is 'wasm') and decides the backend by chooseBackend; the
 * device, when one was acquired, comes back with the decision (the caller keeps or destroys it).
 */
export async function decideBackend(choice: EngineChoice, acquireGpu: () => Promise<AcquiredDevice>): Promise<{ kind: BackendKind; reason: string; gpu: AcquiredDevice | null }> {
  let gpu: AcquiredDevice | null = null;
  let error: Error | null = null;
  if (choice !== 'wasm') {
    try {
      gpu = await acquireGpu();
    } catch (e) {
      error = e as Error;
    }
  }
  return { ...chooseBackend(choice, gpu ?? (error ? { error } : null)), gpu };
}

/** An engine for `choice` (see decideBackend); a GPU device acquired only to be passed over is destroyed. */
export async function selectEngine(choice: EngineChoice, acquireGpu: () => Promise<AcquiredDevice>, opts: SelectOptions = {}): Promise<SelectedEngine> {
  const { kind, reason, gpu } = await decideBackend(choice, acquireGpu);
  if (kind === 'webgpu') return { engine: new Engine(gpu!.device), backend: { kind, choice, reason, adapter: gpu!.report }, device: gpu };
  gpu?.device.destroy();
  const backend = await WasmBackend.create(opts.threads !== undefined ? { threads: opts.threads } : {});
  return { engine: new Engine(backend), backend: wasmBackendReport(choice, reason, backend.threadCount, gpu?.report), device: null };
}

/** The report of an engine made directly on a backend (tests, tools): the backend was asked for. */
export function backendReportOf(engine: Engine, adapter?: AdapterReport): BackendReport {
  if (engine.backend instanceof WasmBackend) return { kind: 'wasm', choice: 'wasm', reason: 'asked for the WASM backend', threads: engine.backend.threadCount };
  return { kind: 'webgpu', choice: 'webgpu', reason: 'asked for WebGPU', ...(adapter ? { adapter } : {}) };
}
