// The orchestrator's browser host (the studio's trainer worker): the engine over the worker's
// GPUDevice, the teacher through the page's own origin (/api/teacher/label; the rule-based one in
// the worker when no server answers), datasets and review
// decisions from the studio's IndexedDB store, and artifacts in that store too — each artifact is a
// checkpoint record of the run (id "<runId>/<key>", chunked bytes, written in one transaction),
// so deleting the run deletes its artifacts and a reader never sees half of one.
import type { Engine } from '../../engine/runtime.ts';
import type { AdapterReport } from '../../engine/gpu.ts';
import type { BackendReport } from '../../engine/backend.ts';
import type { LanternStore } from '../../data/store.ts';
import { loadQwenTokenizer } from '../../data/tokenizer-browser.ts';
import { RunError, type ArtifactStore, type RunEvent, type RunHost } from './host.ts';
import { httpTeacher } from './teacher-client.ts';
import { storedModelFolder } from '../../data/model-store.ts';

/** What the checkpoint records holding artifacts say they are. */
export const ARTIFACT_FORMAT = 'lantern-run-artifact';

const encoder = new TextEncoder();

/** A run's artifacts in the studio store; keys are "/"-separated paths under the run. */
export function indexedDbArtifacts(store: LanternStore, runId: string, prefix = ''): ArtifactStore {
  const id = (key: string) => {
    const parts = key.split('/');
    if (!key || parts.some((p) => p === '' || p === '.' || p === '..')) throw new RunError(`artifact key "${key}" is not a plain relative path`);
    return `${runId}/${prefix}${key}`;
  };
  return {
    async read(key) {
      const full = id(key);
      if (!(await store.getCheckpointMeta(full))) return null;
      return store.getCheckpointBytes(full);
    },
    async write(key, data) {
      await store.putCheckpoint({ id: id(key), runId, step: 0, createdAt: new Date().toISOString(), format: ARTIFACT_FORMAT }, typeof data === 'string' ? encoder.encode(data) : data);
    },
    async remove(key) {
      const full = id(key);
      for (const c of await store.listCheckpoints(runId)) if (c.id === full || c.id.startsWith(`${full}/`)) await store.deleteCheckpoint(c.id);
    },
    scoped(sub) {
      id(sub);
      return indexedDbArtifacts(store, runId, `${prefix}${sub}/`);
    },
  };
}

export interface BrowserHostOptions {
  engine: Engine;
  device: AdapterReport | null;
  backend: BackendReport | null;
  store: LanternStore;
  /** The dataset whose review decisions seedSet "reviewed" uses (the experiment's dataset.id). */
  datasetId?: string;
  emit?: (event: RunEvent) => void;
}

export function createBrowserHost(opts: BrowserHostOptions): RunHost {
  const { store } = opts;
  return {
    engine: opts.engine,
    device: opts.device,
    backend: opts.backend,
    teacher: httpTeacher('', { localFallback: true }),
    qwenTokenizer: loadQwenTokenizer,
    async loadDataset(ref) {
      if (!ref.id) throw new RunError(`dataset.path "${ref.path}" names a file, which only headless runs read; in the studio use a stored dataset (dataset.id) or dataset.demo`);
      if (!(await store.getDataset(ref.id))) throw new RunError(`no dataset "${ref.id}" is stored in this browser; import it into the studio first (or use dataset.demo)`);
      return store.getExamples(ref.id);
    },
    async loadReviews(policy) {
      if (policy.policy === 'review-file') throw new RunError(`seedSet.policy "review-file" reads ${policy.path}, which only headless runs can; in the studio use "reviewed" (the review decisions stored here) or "auto-accept"`);
      if (!opts.datasetId) throw new RunError('seedSet.policy "reviewed" uses the review decisions of a stored dataset: set dataset.id');
      return store.getReviews(opts.datasetId);
    },
    async loadSeedSplit() {
      const dataset = opts.datasetId ? await store.getDataset(opts.datasetId) : undefined;
      if (!dataset) throw new RunError('seedSet.policy "reviewed" trains on the seed split of a stored dataset: set dataset.id');
      if (dataset.splits.seed.length === 0) throw new RunError(`dataset "${dataset.name}" has no seed set yet: review its teacher labels and press "Build seed set" on the Review page`);
      return dataset.splits.seed;
    },
    async modelFolder(source) {
      try {
        return await storedModelFolder(source);
      } catch (e) {
        throw new RunError(`pretrained.source "${source}": ${(e as Error).message}`);
      }
    },
    now: () => performance.now(),
    emit: opts.emit ?? (() => undefined),
  };
}
