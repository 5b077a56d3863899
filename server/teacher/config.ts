// Teacher settings, all from the environment (the API key never lives in a file the browser sees).
import { join } from 'node:path';
import type { UpstreamConfig, UpstreamDeps } from './upstream.ts';
import { MAX_FIELD_BYTES, MAX_PAIR_BYTES } from '../../src/data/limits.ts';
import { checkBaseUrl } from './secrets.ts';

import { TEACHER_PROVIDERS } from '../../src/experiment/schema.ts';
export { TEACHER_PROVIDERS };
export type TeacherProvider = (typeof TEACHER_PROVIDERS)[number];

export interface TeacherOptions {
  /** The provider a request gets when it names none. */
  provider: TeacherProvider;
  /** The OpenAI-compatible upstream; absent when not configured. */
  openai?: UpstreamConfig;
  /** Test hooks for the upstream client (fetch, sleep, random). */
  upstreamDeps?: UpstreamDeps;
  /** SQLite file for the answer cache (':memory:' for none on disk). */
  cachePath: string;
  /** What one labelling job (one request) may spend upstream. */
  budget: { maxRequests: number; maxTokens: number };
  /** Pairs labelled at once within a job (upstream requests are bounded by openai.concurrency). */
  pairConcurrency: number;
  /** Per request; maxPairBytes / maxFieldBytes default to the importer's limits (src/data/limits.ts). */
  limits: { maxBodyBytes: number; maxPairs: number; maxPairBytes: number; maxFieldBytes: number };
  /** Origins besides the server's own that may call the teacher API from a browser. */
  allowedOrigins: string[];
}

const PROJECT_ROOT = new URL('../../', import.meta.url).pathname;

export const DEFAULT_LIMITS: TeacherOptions['limits'] = { maxBodyBytes: 32 * 1024 * 1024, maxPairs: 5000, maxPairBytes: MAX_PAIR_BYTES, maxFieldBytes: MAX_FIELD_BYTES };

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function teacherOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TeacherOptions {
  const provider = (env.LANTERN_TEACHER_PROVIDER || 'offline') as TeacherProvider;
  if (!TEACHER_PROVIDERS.includes(provider)) throw new Error(`LANTERN_TEACHER_PROVIDER must be one of ${TEACHER_PROVIDERS.join(', ')}, got "${provider}"`);

  let openai: UpstreamConfig | undefined;
  const baseUrl = env.LANTERN_TEACHER_BASE_URL || (provider === 'openai' ? 'https://api.openai.com/v1' : undefined);
  if (baseUrl) {
    checkBaseUrl(baseUrl);
    const model = env.LANTERN_TEACHER_MODEL;
    if (!model) throw new Error('LANTERN_TEACHER_MODEL is required with an OpenAI-compatible teacher (e.g. gpt-4o, or the model name your server serves).');
    openai = {
      baseUrl,
      model,
      apiKey: env.LANTERN_TEACHER_API_KEY || undefined,
      timeoutMs: intFrom(env, 'LANTERN_TEACHER_TIMEOUT_MS', 60_000, 1),
      maxRetries: intFrom(env, 'LANTERN_TEACHER_RETRIES', 5),
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      retryAfterMaxMs: 120_000,
      concurrency: intFrom(env, 'LANTERN_TEACHER_CONCURRENCY', 4, 1),
      logprobs: env.LANTERN_TEACHER_LOGPROBS !== '0',
    };
  }

  const cacheDir = env.LANTERN_CACHE_DIR || join(PROJECT_ROOT, '.lantern');
  return {
    provider,
    openai,
    cachePath: join(cacheDir, 'teacher-cache.sqlite'),
    budget: {
      maxRequests: intFrom(env, 'LANTERN_TEACHER_MAX_REQUESTS', 50_000, 1),
      maxTokens: intFrom(env, 'LANTERN_TEACHER_MAX_TOKENS', 50_000_000, 1),
    },
    pairConcurrency: intFrom(env, 'LANTERN_TEACHER_CONCURRENCY', 4, 1),
    limits: DEFAULT_LIMITS,
    allowedOrigins: [],
  };
}
