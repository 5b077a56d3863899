// The page's client of the teacher proxy (same origin): /api/teacher/info and the NDJSON stream of
// /api/teacher/label, cancellable with an AbortSignal (the server stops at once; answers it already
// paid for stay in its cache). Without a server (offline, or `npm start` stopped) the rule-based
// teacher runs in this page instead (src/experiment/run/local-teacher.ts); the online one cannot.
import type { Example, TeacherRef } from '../../data/schema.ts';
import type { LabelStreamLine } from '../../../server/teacher/batch.ts';
import { errorMessage, readNdjson } from '../../experiment/run/teacher-client.ts';
import { localOfflineTeacher, noServerBehind, nothingAnswered, postLabels } from '../../experiment/run/local-teacher.ts';

export type { LabelStreamLine };

export interface TeacherDescription extends TeacherRef {
  kind: 'rule-based' | 'llm';
  description: string;
  network: boolean;
  labelProbs?: string;
  baseUrl?: string;
  apiKeyConfigured?: boolean;
  logprobs?: boolean;
  concurrency?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

export interface TeacherInfo {
  defaultProvider: 'offline' | 'openai';
  providers: { offline: TeacherDescription; openai: TeacherDescription | null };
  budgetPerJob: { maxRequests: number; maxTokens: number };
  limits: { maxBodyBytes: number; maxPairs: number; maxPairBytes: number };
  cache: { kind: string; entries: number | null };
  /** Who answers: the studio server, or this page because the server cannot be reached. */
  answeredBy: 'server' | 'this browser';
}

export type Provider = TeacherInfo['defaultProvider'];

/** What the page offers when the server cannot be reached: the rule-based teacher only. */
export function localTeacherInfo(): TeacherInfo {
  return {
    defaultProvider: 'offline',
    providers: { offline: localOfflineTeacher.describe(), openai: null },
    budgetPerJob: { maxRequests: 0, maxTokens: 0 },
    limits: { maxBodyBytes: 0, maxPairs: 0, maxPairBytes: 0 },
    cache: { kind: 'none', entries: null },
    answeredBy: 'this browser',
  };
}

export async function fetchTeacherInfo(doFetch: typeof fetch = fetch): Promise<TeacherInfo> {
  let res: Response;
  try {
    res = await doFetch('/api/teacher/info');
  } catch (e) {
    if (nothingAnswered(e)) return localTeacherInfo();
    throw e;
  }
  if (noServerBehind(res)) return localTeacherInfo();
  if (!res.ok) throw new Error(`The teacher server answered HTTP ${res.status}: ${await errorMessage(res)}`);
  return { ...((await res.json()) as Omit<TeacherInfo, 'answeredBy'>), answeredBy: 'server' };
}

export type LabelStream = (pairs: readonly Example[], provider: Provider, signal: AbortSignal) => AsyncIterable<LabelStreamLine>;

/** Labels `pairs` in one request, yielding the stream's lines as they arrive. */
export const streamLabels: LabelStream = async function* (pairs, provider, signal) {
  const res = await postLabels(fetch, '/api/teacher/label', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pairs, provider }), signal }, pairs, provider);
  if (Array.isArray(res)) return yield* res;
  if (!res.ok || !res.body) throw new Error(`The teacher refused the request (HTTP ${res.status}): ${await errorMessage(res)}`);
  yield* readNdjson<LabelStreamLine>(res.body);
};
