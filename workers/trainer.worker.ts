// The trainer worker owns the GPUDevice: every GPU call of the studio goes through it.
import * as Comlink from 'comlink';
import { acquireDevice, BROWSER_HINT, WebGPUUnavailableError, type AcquiredDevice, type AdapterReport } from '../src/engine/gpu.ts';
import { Engine } from '../src/engine/runtime.ts';
import type { CheckResult } from '../src/engine/selftest/check.ts';
import { parseKdReference } from '../src/engine/selftest/kd-reference.ts';
import { runSelfTest, type SelfTestReport } from '../src/engine/selftest/run.ts';
import kdReferenceUrl from '../models/reference/kd-losses.json?url';
import { openStore, type LanternStore, type RunRecord } from '../src/data/store.ts';
import { canonicalJson } from '../src/data/hash.ts';
import { parseExperimentJson, type ExperimentConfig, type ExperimentIssue } from '../src/experiment/schema.ts';
import type { RunEvent } from '../src/experiment/run/host.ts';
import { endStatus } from '../src/experiment/run/stopped.ts';
import { createBrowserHost, indexedDbArtifacts } from '../src/experiment/run/browser-host.ts';
import { runExperiment, type RunResults } from '../src/experiment/run/pipeline.ts';
import { flatMetrics, runSweep, type SweepResults } from '../src/experiment/run/sweep.ts';

export type ProbeResult =
  | { supported: true; report: AdapterReport }
  | { supported: false; reason: string; hint: string };

let acquired: Promise<AcquiredDevice> | undefined;
const engines = new WeakMap<GPUDevice, Engine>();

/** One engine per device (a lost device gets a fresh one with the next device). */
async function engineFor(): Promise<{ engine: Engine; report: AdapterReport }> {
  const d = await device();
  let engine = engines.get(d.device);
  if (!engine) engines.set(d.device, (engine = new Engine(d.device)));
  return { engine, report: d.report };
}

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

export interface ExperimentRun {
  /** The run record in the studio store; its artifacts (results.json, checkpoints) live under it. */
  runId: string;
  /** results.json of `lantern run`: one experiment's results, or a sweep's rows and aggregate. */
  results: RunResults | SweepResults;
}

/** One run (or sweep) with a run record: running → done | failed (a closed tab leaves it running, resumable). */
async function executeRun(config: ExperimentConfig, warnings: ExperimentIssue[], runId: string, onEvent: ((event: RunEvent, runId?: string) => void) | undefined, checkpointEvery: number | undefined, signal: AbortSignal): Promise<ExperimentRun> {
  // Events are fire-and-forget: a page that went away must not fail the run.
  const emit = (event: RunEvent, sweepRun?: string) => void Promise.resolve(onEvent?.(event, sweepRun)).catch(() => undefined);
  for (const w of warnings) emit({ type: 'warning', message: `${w.path}: ${w.message}` });
  const [{ engine, report }, studio] = await Promise.all([engineFor(), store()]);
  const now = () => new Date().toISOString();
  let run: RunRecord;
  const existing = await studio.getRun(runId);
  if (existing && canonicalJson(existing.config) !== canonicalJson(config)) throw new Error(`Run "${existing.id}" holds a different experiment; start a new run (another id) for this one`);
  if (existing) run = { ...existing, status: 'running', updatedAt: now() };
  else {
    run = { id: runId, ...(config.name ? { name: config.name } : {}), createdAt: now(), updatedAt: now(), status: 'running', config, metrics: {}, ...(config.dataset.id ? { datasetId: config.dataset.id } : {}) };
  }
  delete run.error;
  await studio.putRun(run);
  const host = createBrowserHost({ engine, device: report, store: studio, ...(config.dataset.id ? { datasetId: config.dataset.id } : {}), emit: (e) => emit(e) });
  const artifacts = indexedDbArtifacts(studio, run.id);
  const runOpts = { signal, ...(checkpointEvery ? { checkpointEvery } : {}) };
  try {
    let results: RunResults | SweepResults;
    if (config.sweep) results = await runSweep(config, host, artifacts, { ...runOpts, onRunEvent: (id, e) => emit(e, id) });
    else {
      const single = await runExperiment(config, host, artifacts, runOpts);
      const summary = Object.entries(flatMetrics(single)).filter((kv): kv is [string, number] => kv[1] !== null);
      run.summary = Object.fromEntries(summary);
      run.metrics = Object.fromEntries(single.stages.map((s) => [`${s.id}/train/loss`, s.curves.train.map((p): [number, number] => [p.step, p.loss])]));
      results = single;
    }
    await studio.putRun({ ...run, status: 'done', updatedAt: now() });
    return { runId: run.id, results };
  } catch (e) {
    const status = endStatus(e);
    await studio.putRun({ ...run, status, error: (e as Error).message, updatedAt: now() }).catch(() => undefined);
    throw e;
  }
}

const api = {
  async probe(): Promise<ProbeResult> {
    try {
      return { supported: true, report: (await device()).report };
    } catch (e) {
      if (e instanceof WebGPUUnavailableError) return { supported: false, reason: e.reason, hint: e.hint };
      return { supported: false, reason: (e as Error).message, hint: BROWSER_HINT };
    }
  },

  /**
   * The engine self-test on this GPU (the same runner as `lantern selftest`): every op check and
   * every case of the project's KD reference file; `only` is a case-insensitive regular expression
   * over check names. `onCheck` (a Comlink.proxy) hears about each check as it finishes.
   */
  async selftest(opts: { only?: string } = {}, onCheck?: (result: CheckResult, done: number, total: number) => void): Promise<SelfTestReport> {
    let only: RegExp | undefined;
    if (opts.only) {
      try {
        only = new RegExp(opts.only, 'i');
      } catch {
        throw new Error(`"${opts.only}" is not a valid pattern for check names`);
      }
    }
    const response = await fetch(kdReferenceUrl);
    if (!response.ok) throw new Error(`The KD reference file could not be loaded (HTTP ${response.status})`);
    const reference = parseKdReference(await response.text(), 'kd-losses.json');
    const { engine, report } = await engineFor();
    return runSelfTest(engine, { device: report, reference, ...(only ? { only } : {}), ...(onCheck ? { onCheck } : {}) });
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
      return await executeRun(config, warnings, runId, onEvent, opts.checkpointEvery, stopController.signal);
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
};


export type TrainerApi = typeof api;
Comlink.expose(api);
