// A results file made elsewhere (`lantern run`, a colleague, docs/results/) opened in the studio: it
// is checked by the results schema, then kept as a finished run record marked imported whose only
// artifact is the file itself (results.json), so the run list, Compare and Evaluate read it as they
// read a run trained here. It has no checkpoints: Export and Try it do not offer it.
import type { LanternStore, RunRecord } from '../../data/store.ts';
import { indexedDbArtifacts } from '../../experiment/run/browser-host.ts';
import { flatMetrics } from '../../experiment/run/sweep.ts';
import { readResults, type AnyResults } from './results.ts';

/** The run record an imported results file is kept as (status done, no device, no live curves). */
export function importedRunRecord(results: AnyResults, file: string, id: string, at: string): RunRecord {
  const experiment = results.results.experiment;
  const summary = results.kind === 'run' ? Object.fromEntries(Object.entries(flatMetrics(results.results)).filter((kv): kv is [string, number] => kv[1] !== null)) : undefined;
  return {
    id,
    name: experiment.name ?? file,
    createdAt: at,
    updatedAt: at,
    status: 'done',
    config: experiment,
    metrics: {},
    ...(summary ? { summary } : {}),
    imported: { file, at },
  };
}

/**
 * Checks `text` as a results.json (a ResultsError names what is wrong, and nothing is stored), then
 * stores it as an imported run. Returns the new record.
 */
export async function importResultsFile(store: LanternStore, text: string, file: string, opts: { id?: string; now?: Date } = {}): Promise<RunRecord> {
  const results = readResults(text);
  const record = importedRunRecord(results, file, opts.id ?? crypto.randomUUID(), (opts.now ?? new Date()).toISOString());
  // The file first, then the record: a listed run always has its results. A failed record write
  // takes the file back out (deleteRun removes a run's artifacts).
  await indexedDbArtifacts(store, record.id).write('results.json', text);
  try {
    await store.putRun(record);
  } catch (e) {
    await store.deleteRun(record.id).catch(() => undefined);
    throw e;
  }
  return record;
}
