// A bundle's sources read from a finished run's artifacts — the same ArtifactStore interface over
// files (`lantern export`) or the studio's IndexedDB (the Export page), so both give the same bytes.
// A run of a sweep lives under `runs/<id>/` of the sweep's store, with its vocabulary under
// `shared/<key>/` (see src/experiment/run/sweep.ts).
import type { ArtifactStore } from '../experiment/run/host.ts';
import { sharedKey, type RunResults } from '../experiment/run/pipeline.ts';
import { flatMetrics } from '../experiment/run/sweep.ts';
import { RESULTS_FORMAT, SWEEP_RESULTS_FORMAT } from '../experiment/results.ts';
import { BundleError, type BundleSource } from './bundle.ts';
import type { QwenTokenizerJson } from './tokenizer-json.ts';

const text = new TextDecoder();

async function readJson<T>(store: ArtifactStore, key: string, what: string): Promise<T> {
  const bytes = await store.read(key);
  if (!bytes) throw new BundleError(`${what} (${key}) is missing`);
  try {
    return JSON.parse(text.decode(bytes)) as T;
  } catch (e) {
    throw new BundleError(`${key} is not valid JSON (${(e as Error).message})`);
  }
}

/** The stages a finished run can export (its stage ids), or a BundleError saying why none. */
export async function exportableStages(root: ArtifactStore, runPath = ''): Promise<{ results: RunResults; stages: { id: string; task: 'classify' | 'explain' }[] }> {
  const run = runPath ? root.scoped(runPath) : root;
  const results = await readJson<Omit<RunResults, "format"> & { format: string }>(run, 'results.json', "the run's results");
  if (results.format === SWEEP_RESULTS_FORMAT) throw new BundleError('this is a sweep: name one of its runs (runs/<id>) to export a stage of it');
  if (results.format !== RESULTS_FORMAT) throw new BundleError(`results.json is not a Lantern run's results (format "${results.format}")`);
  return { results: results as RunResults, stages: results.stages.map((s) => ({ id: s.id, task: s.task })) };
}

export interface ExportableRun {
  /** '' for a single experiment, 'runs/<id>' for one run of a sweep. */
  runPath: string;
  /** The sweep group's assignments ("stages.0.loss.divergence=tvd"), for a sweep's run. */
  label: string;
  stages: { id: string; task: 'classify' | 'explain' }[];
}

/** Every finished run under a store (one, or each finished run of a sweep) with its stages. */
export async function listExportable(root: ArtifactStore): Promise<ExportableRun[]> {
  const bytes = await root.read('results.json');
  if (!bytes) return [];
  const results = JSON.parse(text.decode(bytes)) as { format: string; rows?: { id: string; group: string; status: string }[] };
  if (results.format === RESULTS_FORMAT) return [{ runPath: '', label: '', stages: (await exportableStages(root)).stages }];
  if (results.format !== SWEEP_RESULTS_FORMAT) return [];
  const out: ExportableRun[] = [];
  for (const row of results.rows ?? []) {
    if (row.status !== 'done') continue;
    const runPath = `runs/${row.id}`;
    out.push({ runPath, label: row.group, stages: (await exportableStages(root, runPath)).stages });
  }
  return out;
}

export async function bundleSourceFromRun(root: ArtifactStore, stageId: string, qwenTokenizer: QwenTokenizerJson, runPath = ''): Promise<BundleSource> {
  const run = runPath ? root.scoped(runPath) : root;
  const { results } = await exportableStages(root, runPath);
  const stage = results.stages.find((s) => s.id === stageId);
  if (!stage) throw new BundleError(`the run has no finished stage "${stageId}" (finished: ${results.stages.map((s) => s.id).join(', ') || 'none'})`);
  const weights = await run.read(`checkpoints/${stageId}/model.safetensors`);
  if (!weights) throw new BundleError(`the checkpoint of stage ${stageId} (checkpoints/${stageId}/model.safetensors) is missing`);
  const config = await readJson<Record<string, unknown>>(run, `checkpoints/${stageId}/config.json`, `the config of stage ${stageId}`);
  const vocabBytes = (await run.read('vocab.json')) ?? (runPath ? await root.read(`shared/${await sharedKey(results.experiment)}/vocab.json`) : null);
  if (!vocabBytes) throw new BundleError("the run's student vocabulary (vocab.json) is missing");
  const metrics = Object.fromEntries(Object.entries(flatMetrics(results)).filter(([k]) => k.startsWith(`${stageId}.`)));
  return {
    stageId,
    weights,
    config,
    vocab: JSON.parse(text.decode(vocabBytes)),
    qwenTokenizer,
    experiment: results.experiment,
    metrics,
    finishedAt: results.finishedAt,
    parameters: stage.parameters,
  };
}
