// The trainer worker owns the engines: the GPUDevice (every GPU call of the studio goes through
// it) and the WASM backend, which runs where WebGPU has only a software adapter or none.
import * as Comlink from 'comlink';
import { acquireDevice, BROWSER_HINT, WebGPUUnavailableError, type AcquiredDevice, type AdapterReport } from '../src/engine/gpu.ts';
import { Engine } from '../src/engine/runtime.ts';
import type { BackendReport, EngineChoice } from '../src/engine/backend.ts';
import { chooseBackend, decideBackend, wasmBackendReport } from '../src/engine/select.ts';
import { WasmBackend } from '../src/engine/wasm/backend.ts';
import { threadsAvailable } from '../src/engine/wasm/threads.ts';
import type { PoolStats } from '../src/engine/pool.ts';
import type { CheckResult } from '../src/engine/selftest/check.ts';
import { parseKdReference } from '../src/engine/selftest/kd-reference.ts';
import { runSelfTest, type SelfTestReport } from '../src/engine/selftest/run.ts';
import kdReferenceUrl from '../models/reference/kd-losses.json?url';
import kdReferenceHardUrl from '../models/reference/kd-losses-hard.json?url';
import { openStore, type LanternStore, type RunRecord } from '../src/data/store.ts';
import { parseExperimentJson, sameExperiment, type ExperimentConfig, type ExperimentIssue } from '../src/experiment/schema.ts';
import type { RunEvent } from '../src/experiment/run/host.ts';
import { endStatus } from '../src/experiment/run/stopped.ts';
import { createBrowserHost, indexedDbArtifacts } from '../src/experiment/run/browser-host.ts';
import { runExperiment, type RunResults } from '../src/experiment/run/pipeline.ts';
import { flatMetrics, runSweep, type SweepResults } from '../src/experiment/run/sweep.ts';
import { applyToSeries } from '../src/app/lib/run-series.ts';
import { runLockName } from '../src/app/lib/run-lock.ts';
import type { SpeedFigures } from '../src/app/lib/estimate.ts';
import { benchMatmul, benchTraining } from '../bench/engine.ts';

export type ProbeResult = {
  /** The backend 'auto' trains on here, and why. */
  auto: BackendReport;
  /** Whether the page is cross-origin isolated: the WASM backend's threads need it. */
  crossOriginIsolated: boolean;
} & ({ supported: true; report: AdapterReport } | { supported: false; reason: string; hint: string });

let acquired: Promise<AcquiredDevice> | undefined;
const engines = new WeakMap<GPUDevice, Engine>();
let wasmEngine: Promise<Engine> | undefined;
/** The engine last handed out (status() reads its memory without requesting a device). */
let currentEngine: Engine | undefined;

interface EngineFor {
  engine: Engine;
  /** The WebGPU adapter, when there is one (also when WASM runs instead). */
  report: AdapterReport | null;
  backend: BackendReport;
}

/**
 * The engine for `choice` (select.ts decides 'auto'): one per GPU device (a lost device gets a
 * fresh one with the next device), one WASM engine for the worker's life.
 */
async function engineFor(choice: EngineChoice = 'auto'): Promise<EngineFor> {
  // The worker keeps its device (probe and later runs reuse it) even when WASM is chosen.
  const { kind, reason, gpu: d } = await decideBackend(choice, device);
  let engine: Engine;
  let backend: BackendReport;
  if (kind === 'webgpu') {
    engine = engines.get(d!.device) ?? new Engine(d!.device);
    engines.set(d!.device, engine);
    backend = { kind, choice, reason, adapter: d!.report };
  } else {
    wasmEngine ??= WasmBackend.create().then((b) => new Engine(b));
    wasmEngine.catch(() => (wasmEngine = undefined));
    engine = await wasmEngine;
    backend = wasmBackendReport(choice, reason, (engine.backend as WasmBackend).threadCount, d?.report);
  }
  currentEngine = engine;
  return { engine, report: d?.report ?? null, backend };
}

/** What the run list shows as the run's device. */
const backendName = (b: BackendReport) => (b.kind === 'wasm' ? `WASM SIMD, ${b.threads} thread${b.threads === 1 ? '' : 's'}` : b.adapter ? deviceName(b.adapter) : 'WebGPU adapter');

function device(): Promise<AcquiredDevice> {
  acquired ??= acquireDevice((self.navigator as Navigator).gpu, BROWSER_HINT).then((d) => {
    // A lost device is reported once; the next call acquires a fresh one.
    void d.device.lost.then(() => (acquired = undefined));
    return d;
  });
  acquired.catch(() => (acquired = undefined));
  return acquired;
}

let studioStore: Promise<LanternStore> | undefined;
let activeRun: string | null = null;
let stopController: AbortController | null = null;
function store(): Promise<LanternStore> {
  studioStore ??= openStore();
  studioStore.catch(() => (studioStore = undefined));
  return studioStore;
}

export interface WorkerStatus {
  activeRun: string | null;
  /** The engine's buffer pool: bytes of GPU memory it holds (live + idle for reuse). */
  gpu: PoolStats | null;
}

export interface ExperimentRun {
  /** The run record in the studio store; its artifacts (results.json, checkpoints) live under it. */
  runId: string;
  /** results.json of `lantern run`: one experiment's results, or a sweep's rows and aggregate. */
  results: RunResults | SweepResults;
}

/** What the run list shows as the run's device. */
const deviceName = (r: AdapterReport) => [r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(' · ') || 'WebGPU adapter';

/** Records are written at most this often while a run reports progress (its live curves). */
const RECORD_EVERY_MS = 1000;

/**
 * One run (or sweep) with a run record: running → done | failed | stopped (a closed tab leaves it
 * running, resumable). The record keeps the live loss curves (run-series.ts), the device and the
 * seconds spent running over every start.
 */
async function executeRun(config: ExperimentConfig, warnings: ExperimentIssue[], runId: string, onEvent: ((event: RunEvent, runId?: string) => void) | undefined, checkpointEvery: number | undefined, signal: AbortSignal): Promise<ExperimentRun> {
  const [{ engine, report, backend }, studio] = await Promise.all([engineFor(config.engine), store()]);
  const now = () => new Date().toISOString();
  let run: RunRecord;
  const existing = await studio.getRun(runId);
  // The record holds the config this worker stored for the run.
  if (existing && !sameExperiment(existing.config as ExperimentConfig, config)) throw new Error(`Run "${existing.id}" holds a different experiment; start a new run (another id) for this one`);
  if (existing) run = { ...existing, status: 'running', updatedAt: now(), device: backendName(backend) };
  else {
    run = { id: runId, ...(config.name ? { name: config.name } : {}), createdAt: now(), updatedAt: now(), status: 'running', config, metrics: {}, device: backendName(backend), runSeconds: 0, ...(config.dataset.id ? { datasetId: config.dataset.id } : {}) };
  }
  delete run.error;
  const started = performance.now();
  const before = run.runSeconds ?? 0;
  // Record writes go one after another; progress writes are throttled, the last one always lands.
  let writing: Promise<void> = Promise.resolve();
  let lastWrite = 0;
  const save = (extra: Partial<RunRecord> = {}) => {
    run = { ...run, ...extra, updatedAt: now(), runSeconds: before + (performance.now() - started) / 1000 };
    const snapshot = run;
    lastWrite = performance.now();
    writing = writing.then(() => studio.putRun(snapshot)).catch(() => undefined);
    return writing;
  };
  await save();
  // Events are fire-and-forget: a page that went away must not fail the run.
  const emit = (event: RunEvent, sweepRun?: string) => {
    if (applyToSeries(run.metrics, event, sweepRun) && performance.now() - lastWrite > RECORD_EVERY_MS) void save();
    void Promise.resolve(onEvent?.(event, sweepRun)).catch(() => undefined);
  };
  for (const w of warnings) emit({ type: 'warning', message: `${w.path}: ${w.message}` });
  const host = createBrowserHost({ engine, device: report, backend, store: studio, ...(config.dataset.id ? { datasetId: config.dataset.id } : {}), emit: (e) => emit(e) });
  const artifacts = indexedDbArtifacts(studio, run.id);
  const runOpts = { signal, ...(checkpointEvery ? { checkpointEvery } : {}) };
  try {
    let results: RunResults | SweepResults;
    if (config.sweep) results = await runSweep(config, host, artifacts, { ...runOpts, onRunEvent: (id, e) => emit(e, id) });
    else {
      const single = await runExperiment(config, host, artifacts, runOpts);
      const summary = Object.entries(flatMetrics(single)).filter((kv): kv is [string, number] => kv[1] !== null);
      run.summary = Object.fromEntries(summary);
      results = single;
    }
    await save({ status: 'done' });
    return { runId: run.id, results };
  } catch (e) {
    const status = endStatus(e);
    await save({ status, error: (e as Error).message });
    throw e;
  }
}

const api = {
  async probe(): Promise<ProbeResult> {
    const isolated = threadsAvailable();
    try {
      const d = await device();
      const { kind, reason } = chooseBackend('auto', d);
      const threads = kind === 'wasm' ? (await engineFor('wasm')).backend.threads : undefined;
      return { supported: true, report: d.report, crossOriginIsolated: isolated, auto: { kind, choice: 'auto', reason, adapter: d.report, ...(threads ? { threads } : {}) } };
    } catch (e) {
      const auto = (await engineFor('auto')).backend;
      if (e instanceof WebGPUUnavailableError) return { supported: false, reason: e.reason, hint: e.hint, crossOriginIsolated: isolated, auto };
      return { supported: false, reason: (e as Error).message, hint: BROWSER_HINT, crossOriginIsolated: isolated, auto };
    }
  },

  /**
   * The engine self-test on this GPU (the same runner as `lantern selftest`): every op check and
   * every case of the project's KD reference files (ordinary and hard); `only` is a case-insensitive regular expression
   * over check names. `onCheck` (a Comlink.proxy) hears about each check as it finishes.
   */
  async selftest(opts: { only?: string; backend?: EngineChoice } = {}, onCheck?: (result: CheckResult, done: number, total: number) => void): Promise<SelfTestReport> {
    let only: RegExp | undefined;
    if (opts.only) {
      try {
        only = new RegExp(opts.only, 'i');
      } catch {
        throw new Error(`"${opts.only}" is not a valid pattern for check names`);
      }
    }
    const load = async (name: string, url: string, file: string) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`The KD reference file ${file} could not be loaded (HTTP ${response.status})`);
      return { name, file: parseKdReference(await response.text(), file) };
    };
    const references = await Promise.all([load('kd-reference', kdReferenceUrl, 'kd-losses.json'), load('kd-reference-hard', kdReferenceHardUrl, 'kd-losses-hard.json')]);
    const { engine, backend } = await engineFor(opts.backend ?? 'auto');
    return runSelfTest(engine, { backend, references, ...(only ? { only } : {}), ...(onCheck ? { onCheck } : {}) });
  },

  /**
   * Runs an experiment (or its sweep) end to end on this GPU — the same orchestrator as
   * `lantern run` — with artifacts and a run record in the studio store. `onEvent` (a
   * Comlink.proxy) hears progress (with the sweep's run id as second argument in a sweep).
   * `runId` names the run (default: a new random id); the id of a stored, unfinished run resumes
   * it — finished phases are skipped and a model in training continues from its last resume point.
   * `stop()` ends it between training steps with a resume point saved (status 'stopped').
   */
  async runExperiment(configJson: string, onEvent?: (event: RunEvent, runId?: string) => void, opts: { runId?: string; checkpointEvery?: number } = {}): Promise<ExperimentRun> {
    // One run at a time: two would share the device and each other's GPU memory.
    if (activeRun) throw new Error(`An experiment is already running in this tab (run ${activeRun}); wait for it to finish before starting another`);
    const { config, warnings } = parseExperimentJson(configJson);
    const runId = opts.runId ?? crypto.randomUUID();
    activeRun = runId;
    stopController = new AbortController();
    try {
      const signal = stopController.signal;
      // The lock tells every tab this run is alive; it is released when the run ends or the tab closes.
      return await navigator.locks.request(runLockName(runId), () => executeRun(config, warnings, runId, onEvent, opts.checkpointEvery, signal));
    } finally {
      activeRun = null;
      stopController = null;
    }
  },

  /** Stops the running experiment after its current training step; false when none runs. */
  stop(): boolean {
    if (!stopController) return false;
    stopController.abort();
    return true;
  },

  /** The run in progress in this tab (null when none) and the GPU memory the engine holds. */
  status(): WorkerStatus {
    return { activeRun, gpu: currentEngine ? currentEngine.pool.getStats() : null };
  },

  /**
   * "Is this device fast enough?": the engine's own matmul GFLOP/s (against the bench's naive
   * peer kernel, same adapter) and training tokens/s of the small encoder and decoder, measured
   * here in the worker on this adapter: the matmul of `lantern bench --quick`, the training steps
   * at the bench's full shape (8 × 64 tokens), since the builder's time estimates extrapolate
   * from them and the quick shape (4 × 32) runs below half the rate real batches reach.
   */
  async speedProbe(onProgress?: (line: string) => void, choice: EngineChoice = 'auto'): Promise<SpeedFigures> {
    if (activeRun) throw new Error(`An experiment is running in this tab (run ${activeRun}); measure the device when it has finished, so the two do not share the GPU`);
    const { engine, backend } = await engineFor(choice);
    const log = (line: string) => void Promise.resolve(onProgress?.(line)).catch(() => undefined);
    const matmul = await benchMatmul(engine, { sizes: [256, 512], quick: true, log });
    const training = await benchTraining(engine, { log });
    engine.pool.trim();
    return {
      adapter: backendName(backend),
      backend: backend.kind,
      measuredAt: new Date().toISOString(),
      matmul: matmul.map((m) => ({ size: m.size, gflops: m.gflops, peerGflops: m.peerGflops })),
      training: training.map((t) => ({ model: t.model, preset: t.preset, parameters: t.parameters, batch: t.batch, seqLen: t.seqLen, vocabSize: t.vocabSize, tokensPerSecond: t.tokensPerSecond })),
    };
  },
};


export type TrainerApi = typeof api;
Comlink.expose(api);
