// The inference worker: exported students run by onnxruntime-web — the WebGPU execution provider
// where the adapter allows, WASM otherwise (its binary served by our own server) — and bundles
// built from the studio's finished runs (the same bytes as `lantern export`). The latency/throughput
// panel's engine column runs our WGSL engine here on a device of its own, acquired for the
// measurement and released after it; the trainer worker keeps its own device.
import * as Comlink from 'comlink';
import { openStore, type LanternStore } from '../src/data/store.ts';
import { indexedDbArtifacts } from '../src/experiment/run/browser-host.ts';
import { buildBundle, readBundle, type Bundle, type BundleManifest } from '../src/export/bundle.ts';
import { bundleSourceFromRun, listExportable, type ExportableRun } from '../src/export/from-run.ts';
import { loadOrt, qwenTokenizerJson } from '../src/export/browser.ts';
import { OnnxStudent, type ExecutionProvider, type OnnxClassifier, type OnnxExplainer, type Ort } from '../src/export/onnx-student.ts';
import type { FitLabel } from '../src/data/schema.ts';
import { acquireDevice, BROWSER_HINT } from '../src/engine/gpu.ts';
import { Engine } from '../src/engine/runtime.ts';
import { benchInference, benchInputs, type InferenceFigure, type InferenceRunner } from '../bench/inference.ts';
import { engineRunner, onnxRunner } from '../bench/inference-runners.ts';
import { generateDemoExamples } from '../src/data/demo.ts';

export type Role = 'classifier' | 'explainer';
export type ProviderChoice = 'auto' | ExecutionProvider;

export interface LoadedStudent {
  role: Role;
  /** Where it came from: "run <id> / stage <id>" or the zip's name. */
  source: string;
  executionProvider: ExecutionProvider;
  /** Why WebGPU was not used, when it was not. */
  fallback: string | null;
  manifest: Pick<BundleManifest, 'task' | 'stage' | 'model' | 'labels' | 'metrics'>;
  loadMs: number;
}

export interface RunEntry extends ExportableRun {
  runId: string;
  name: string;
  finishedAt: string;
}

let ortPromise: Promise<Ort> | undefined;
const ort = () => (ortPromise ??= loadOrt());
let studio: Promise<LanternStore> | undefined;
const store = () => (studio ??= openStore());

const students: Partial<Record<Role, { student: OnnxClassifier | OnnxExplainer; bundle: Bundle; info: LoadedStudent }>> = {};

/** Whether this worker can get a WebGPU adapter (onnxruntime-web's WebGPU provider needs one). */
async function webgpuAvailable(): Promise<string | null> {
  const gpu = (self.navigator as Navigator).gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu)';
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter is available';
  } catch (e) {
    return `WebGPU adapter request failed: ${(e as Error).message}`;
  }
}

async function load(role: Role, bundle: Bundle, source: string, choice: ProviderChoice): Promise<LoadedStudent> {
  const want = role === 'classifier' ? 'classify' : 'explain';
  if (bundle.manifest.task !== want) throw new Error(`${source} is ${bundle.manifest.task === 'classify' ? 'a classifier' : 'an explainer'}; pick ${role === 'classifier' ? 'a classify' : 'an explain'} stage here`);
  const t0 = performance.now();
  let fallback: string | null = null;
  let provider: ExecutionProvider = choice === 'wasm' ? 'wasm' : 'webgpu';
  if (provider === 'webgpu') {
    fallback = await webgpuAvailable();
    if (fallback && choice === 'webgpu') throw new Error(`WebGPU was asked for, but ${fallback}`);
    if (fallback) provider = 'wasm';
  }
  let student: OnnxClassifier | OnnxExplainer;
  try {
    student = await OnnxStudent.load(await ort(), bundle, { executionProvider: provider });
  } catch (e) {
    if (provider !== 'webgpu' || choice === 'webgpu') throw e;
    fallback = `onnxruntime-web's WebGPU provider failed (${(e as Error).message})`;
    provider = 'wasm';
    student = await OnnxStudent.load(await ort(), bundle, { executionProvider: provider });
  }
  await students[role]?.student.release();
  const { task, stage, model, labels, metrics } = bundle.manifest;
  const info: LoadedStudent = { role, source, executionProvider: provider, fallback, manifest: { task, stage, model, labels, metrics }, loadMs: performance.now() - t0 };
  students[role] = { student, bundle, info };
  return info;
}

function loaded<R extends Role>(role: R): R extends 'classifier' ? OnnxClassifier : OnnxExplainer {
  const s = students[role];
  if (!s) throw new Error(`No ${role} is loaded: pick a stage of a finished run or open a bundle zip`);
  return s.student as never;
}

async function stageBundleBytes(runId: string, runPath: string, stageId: string): Promise<Uint8Array> {
  const root = indexedDbArtifacts(await store(), runId);
  return buildBundle(await bundleSourceFromRun(root, stageId, await qwenTokenizerJson(), runPath));
}

const api = {
  /** Finished runs in the studio store with their stages (a sweep's finished runs one by one). */
  async exportableRuns(): Promise<RunEntry[]> {
    const s = await store();
    const out: RunEntry[] = [];
    for (const run of await s.listRuns()) {
      // An imported results file has no checkpoints to export (src/app/lib/results-import.ts).
      if (run.status !== 'done' || run.imported) continue;
      try {
        for (const entry of await listExportable(indexedDbArtifacts(s, run.id))) out.push({ ...entry, runId: run.id, name: run.name ?? run.id, finishedAt: run.updatedAt });
      } catch {
        // A run whose results cannot be read is not offered.
      }
    }
    return out.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
  },

  /** The bundle zip of a stage: the same bytes as `lantern export` for the same run. */
  async exportStage(runId: string, runPath: string, stageId: string): Promise<Uint8Array> {
    const zip = await stageBundleBytes(runId, runPath, stageId);
    return Comlink.transfer(zip, [zip.buffer]);
  },

  async loadStage(role: Role, runId: string, runPath: string, stageId: string, provider: ProviderChoice = 'auto'): Promise<LoadedStudent> {
    return load(role, await readBundle(await stageBundleBytes(runId, runPath, stageId)), `run ${runId}${runPath ? ` (${runPath})` : ''}, stage ${stageId}`, provider);
  },

  async loadZip(role: Role, name: string, zip: Uint8Array, provider: ProviderChoice = 'auto'): Promise<LoadedStudent> {
    return load(role, await readBundle(zip), name, provider);
  },

  loadedStudents(): LoadedStudent[] {
    return Object.values(students).map((s) => s.info);
  },

  async classify(job: string, profile: string): Promise<{ label: FitLabel; probabilities: Record<FitLabel, number>; ms: number; inputTokens: number }> {
    const c = loaded('classifier');
    const t0 = performance.now();
    const ids = c.codec.encodeTexts(job, profile);
    const result = await c.classify(ids);
    return { ...result, ms: performance.now() - t0, inputTokens: Math.min(c.maxLength, 2 + ids.job.length + ids.profile.length) };
  },

  /** The explainer's label and explanation; `onText` (a Comlink.proxy) hears the text as it grows. */
  async explain(job: string, profile: string, onText?: (text: string) => void): Promise<{ label: FitLabel; probabilities: Record<FitLabel, number>; explanation: string; newTokens: number; ms: number; firstTokenMs: number | null }> {
    const e = loaded('explainer');
    const t0 = performance.now();
    let firstTokenMs: number | null = null;
    const [result] = await e.explain([e.codec.encodeTexts(job, profile)], {
      onText: (_row, text) => {
        firstTokenMs ??= performance.now() - t0;
        void Promise.resolve(onText?.(text)).catch(() => undefined);
      },
    });
    return { ...result!, ms: performance.now() - t0, firstTokenMs };
  },

  /**
   * The latency/throughput table for the loaded classifier and explainer on the chosen runtimes
   * (the same cases as `lantern bench --inference`), on demo requests. `onLine` hears each case.
   */
  async bench(opts: { runtimes: ('engine' | ExecutionProvider)[]; batches: number[]; calls: number; maxNewTokens: number; examples?: number }, onLine?: (line: string) => void): Promise<InferenceFigure[]> {
    const c = students.classifier;
    const e = students.explainer;
    if (!c || !e) throw new Error('Load a classifier and an explainer first');
    const bundles = { classifier: c.bundle, explainer: e.bundle };
    const runners: (InferenceRunner & { release(): unknown })[] = [];
    let engine: { engine: Engine; destroy(): void } | null = null;
    try {
      for (const r of opts.runtimes) {
        if (r === 'engine') {
          const d = await acquireDevice((self.navigator as Navigator).gpu, BROWSER_HINT);
          const en = new Engine(d.device);
          engine = { engine: en, destroy: () => (en.destroy(), d.device.destroy()) };
          runners.push(engineRunner(en, bundles));
        } else {
          if (r === 'webgpu' && (await webgpuAvailable())) continue;
          runners.push(await onnxRunner(await ort(), bundles, r));
        }
      }
      const examples = generateDemoExamples({ seed: 1, n: opts.examples ?? 32 });
      return await benchInference(runners, benchInputs(c.student.codec, examples), { batches: opts.batches, calls: opts.calls, maxNewTokens: opts.maxNewTokens, now: () => performance.now(), log: (l) => void Promise.resolve(onLine?.(l)).catch(() => undefined) });
    } finally {
      for (const r of runners) await r.release();
      engine?.destroy();
    }
  },
};

export type InferenceApi = typeof api;
Comlink.expose(api);
