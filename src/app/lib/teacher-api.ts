// The page's client of the teacher proxy (same origin): /api/teacher/info and the NDJSON stream of
// /api/teacher/label, cancellable with an AbortSignal (the server stops at once; answers it already
// paid for stay in its cache).
import type { Example, TeacherRef } from '../../data/schema.ts';
import type { LabelStreamLine } from '../../../server/teacher/batch.ts';
import { errorMessage, readNdjson } from '../../experiment/run/teacher-client.ts';

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
}

export type Provider = TeacherInfo['defaultProvider'];

export async function fetchTeacherInfo(doFetch: typeof fetch = fetch): Promise<TeacherInfo> {
  const res = await doFetch('/api/teacher/info');
  if (!res.ok) throw new Error(`The teacher server answered HTTP ${res.status}: ${await errorMessage(res)}`);
  return (await res.json()) as TeacherInfo;
}

export type LabelStream = (pairs: readonly Example[], provider: Provider, signal: AbortSignal) => AsyncIterable<LabelStreamLine>;

/** Labels `pairs` in one request, yielding the stream's lines as they arrive. */
export const streamLabels: LabelStream = async function* (pairs, provider, signal) {
  const res = await fetch('/api/teacher/label', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pairs, provider }),
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`The teacher refused the request (HTTP ${res.status}): ${await errorMessage(res)}`);
  yield* readNdjson<LabelStreamLine>(res.body);
};
