// The page's handle on the studio's IndexedDB (the same store the trainer worker writes): run
// records and their artifacts (results.json of a run, of each run of a sweep).
import type { LanternStore, RunRecord } from '../../data/store.ts';
import { studio } from '../state/studio.svelte.ts';
import { indexedDbArtifacts } from '../../experiment/run/browser-host.ts';
import { readResults, type AnyResults, type RunResults } from './results.ts';
import { importResultsFile } from './results-import.ts';

/** The page's one connection (its version-change and blocked banners cover every page). */
export function studioStore(): Promise<LanternStore> {
  return studio.store();
}

const decoder = new TextDecoder();

/** An artifact of a run as text, or null when the run has not written it. */
export async function readArtifactText(runId: string, key: string): Promise<string | null> {
  const bytes = await indexedDbArtifacts(await studioStore(), runId).read(key);
  return bytes ? decoder.decode(bytes) : null;
}

/** results.json of a run (a single run's results or a sweep's), null until the run has finished. */
export async function loadResults(runId: string): Promise<AnyResults | null> {
  const text = await readArtifactText(runId, 'results.json');
  return text === null ? null : readResults(text);
}

/** results.json of one run of a sweep (runs/<id>/results.json under the sweep's run). */
export async function loadSweepRunResults(runId: string, sweepRunId: string): Promise<RunResults | null> {
  const text = await readArtifactText(runId, `runs/${sweepRunId}/results.json`);
  if (text === null) return null;
  const r = readResults(text);
  return r.kind === 'run' ? r.results : null;
}

export async function listRuns(): Promise<RunRecord[]> {
  const runs = await (await studioStore()).listRuns();
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function getRun(id: string): Promise<RunRecord | undefined> {
  return (await studioStore()).getRun(id);
}

export async function deleteRun(id: string): Promise<void> {
  await (await studioStore()).deleteRun(id);
}

/** Opens a results.json made elsewhere as an imported run (results-import.ts); a ResultsError stores nothing. */
export async function importResults(file: File): Promise<RunRecord> {
  return importResultsFile(await studioStore(), await file.text(), file.name);
}
