// The rule-based ("offline") teacher without the server: when the teacher proxy cannot be reached
// (network off, server stopped) the page and the trainer worker run the same code the server runs
// (server/teacher/offline-teacher.ts, through the same batch runner), so labels are identical.
// The online teachers need the server: it holds their keys and their answer cache.
import type { Example } from '../../data/schema.ts';
import { runBatch, type LabelStreamLine } from '../../../server/teacher/batch.ts';
import { OfflineTeacher } from '../../../server/teacher/offline-teacher.ts';
import { JobBudget } from '../../../server/teacher/upstream.ts';

export const localOfflineTeacher = new OfflineTeacher();

/** True when a fetch to the teacher proxy failed for want of a server, not because the server refused. */
export function serverUnreachable(error: unknown, res?: Response): boolean {
  if (res) return res.status === 502 || res.status === 503 || res.status === 504;
  return error instanceof TypeError;
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
