// The rule-based ("offline") teacher without the server: when the teacher proxy cannot be reached
// (network off, server stopped) the page and the trainer worker run the same code the server runs
// (server/teacher/offline-teacher.ts, through the same batch runner), so labels are identical.
// The online teachers need the server: it holds their keys and their answer cache.
import type { Example } from '../../data/schema.ts';
import { runBatch, type LabelStreamLine } from '../../../server/teacher/batch.ts';
import { OfflineTeacher } from '../../../server/teacher/offline-teacher.ts';
import { JobBudget } from '../../../server/teacher/upstream.ts';
import { RunError } from './host.ts';

export const localOfflineTeacher = new OfflineTeacher();

/** An answer that means no server is there (a dev proxy or gateway with the API down), not a refusal. */
export const noServerBehind = (res: Response) => res.status === 502 || res.status === 503 || res.status === 504;
/** fetch's own error when nothing answers (network off, connection refused). */
export const nothingAnswered = (error: unknown) => error instanceof TypeError;

/** Why an online teacher cannot run here: the server holds its key and its answer cache. */
export const needsServer = (provider: string) =>
  `the ${provider} teacher needs the studio server (npm start), which cannot be reached: an online teacher's key and answer cache live there; without it only the rule-based teacher ("offline") runs`;

/**
 * POSTs a label request to the proxy. When no server answers, the rule-based teacher's lines come
 * back instead (labelled here); an online provider is refused with needsServer. Any other answer,
 * refusals included, is the caller's to read.
 */
export async function postLabels(doFetch: typeof fetch, url: string, init: RequestInit, pairs: readonly Example[], provider: string): Promise<Response | LabelStreamLine[]> {
  let res: Response;
  try {
    res = await doFetch(url, init);
  } catch (e) {
    if (init.signal?.aborted || !nothingAnswered(e)) throw e;
    return local(pairs, provider, init.signal ?? undefined);
  }
  return noServerBehind(res) ? local(pairs, provider, init.signal ?? undefined) : res;
}

function local(pairs: readonly Example[], provider: string, signal?: AbortSignal): Promise<LabelStreamLine[]> {
  if (provider !== 'offline') throw new RunError(needsServer(provider));
  return labelLocally(pairs, signal);
}

/** Labels `pairs` here, as the lines the proxy's NDJSON stream would carry. */
export async function labelLocally(pairs: readonly Example[], signal?: AbortSignal): Promise<LabelStreamLine[]> {
  const lines: LabelStreamLine[] = [{ type: 'start', total: pairs.length, teacher: localOfflineTeacher.identity }];
  // The rule-based teacher makes no upstream calls, so the budget never binds.
  const budget = new JobBudget(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
  const summary = await runBatch(localOfflineTeacher, [...pairs], { budget, concurrency: 1, signal, onEvent: (e) => lines.push(e) });
  lines.push(summary);
  return lines;
}
