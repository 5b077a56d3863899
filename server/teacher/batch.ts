// A labelling job: pairs through a teacher with bounded concurrency, one event per finished pair
// (a result or an error, never both) and progress events, until done, cancelled or out of budget.
import type { Pair, TeacherRef } from '../../src/data/schema.ts';
import type { TeacherResult } from './steps.ts';
import { labelFlags } from '../../src/data/label-flags.ts';
import { BudgetExhaustedError, JobStopped, UpstreamError, type JobBudget } from './upstream.ts';

export interface Teacher {
  label(pair: Pair, ctx: { budget: JobBudget; signal?: AbortSignal }): Promise<TeacherResult>;
}

export type ErrorCode = 'upstream' | 'budget' | 'internal';

export type BatchEvent =
  | { type: 'result'; index: number; result: TeacherResult }
  | { type: 'error'; index: number; exampleId: string; code: ErrorCode; error: string }
  | { type: 'progress'; done: number; total: number; labelled: number; errors: number; cachedPairs: number; upstreamRequests: number; tokens: number };

export interface BatchSummary {
  type: 'summary';
  total: number;
  labelled: number;
  errors: number;
  cachedPairs: number;
  upstreamRequests: number;
  tokens: number;
  /** Why the job ended before every pair was tried, if it did. */
  stopped: 'budget' | 'upstream' | 'cancelled' | null;
}

/** Every line of the POST /api/teacher/label NDJSON stream (for clients: `import type`). */
export type LabelStreamLine =
  | { type: 'start'; total: number; teacher: TeacherRef }
  | BatchEvent
  | BatchSummary
  | { type: 'fatal'; error: string };

export interface BatchOptions {
  budget: JobBudget;
  concurrency: number;
  signal?: AbortSignal;
  onEvent: (event: BatchEvent) => void;
  /** Errors the client may see are already free of secrets; this hears the unexpected ones. */
  onInternalError?: (error: unknown) => void;
}

export async function runBatch(teacher: Teacher, pairs: Pair[], opts: BatchOptions): Promise<BatchSummary> {
  const { budget, signal, onEvent } = opts;
  let next = 0;
  let done = 0;
  let labelled = 0;
  let errors = 0;
  let cachedPairs = 0;
  /** Once set, the remaining pairs are not tried: the budget is spent or the upstream is unusable. */
  let stop = null as { why: 'budget' | 'upstream'; message: string } | null;

  const progress = () =>
    onEvent({ type: 'progress', done, total: pairs.length, labelled, errors, cachedPairs, upstreamRequests: budget.requests, tokens: budget.tokens });
  const fail = (index: number, code: ErrorCode, error: string) => {
    errors++;
    done++;
    onEvent({ type: 'error', index, exampleId: pairs[index]!.id, code, error });
  };

  async function worker(): Promise<void> {
    while (next < pairs.length && !signal?.aborted) {
      const index = next++;
      if (stop) {
        fail(index, stop.why, stop.why === 'budget' ? stop.message : `not tried: ${stop.message}`);
        progress();
        continue;
      }
      try {
        const labelledPair = await teacher.label(pairs[index]!, { budget, signal });
        const flags = labelFlags(labelledPair.label, labelledPair.labelProbs);
        const result = flags.length ? { ...labelledPair, flags } : labelledPair;
        labelled++;
        done++;
        if (result.cached) cachedPairs++;
        onEvent({ type: 'result', index, result });
      } catch (e) {
        if (e instanceof JobStopped || signal?.aborted) return;
        if (e instanceof BudgetExhaustedError) {
          stop ??= { why: 'budget', message: e.message };
          fail(index, 'budget', e.message);
        } else if (e instanceof UpstreamError) {
          if (e.jobFatal) stop ??= { why: 'upstream', message: e.message };
          fail(index, 'upstream', e.message);
        } else {
          opts.onInternalError?.(e);
          fail(index, 'internal', 'The teacher failed on this pair for an unexpected reason (see the server log).');
        }
      }
      progress();
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, pairs.length)) }, worker));
  return {
    type: 'summary',
    total: pairs.length,
    labelled,
    errors,
    cachedPairs,
    upstreamRequests: budget.requests,
    tokens: budget.tokens,
    stopped: signal?.aborted ? 'cancelled' : (stop?.why ?? null),
  };
}
