// Starts the real server (buildServer) on 127.0.0.1 with teacher options for tests, and reads the
// NDJSON stream of /api/teacher/label.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../server/app.ts';
import { DEFAULT_LIMITS, type TeacherOptions } from '../../../server/teacher/config.ts';
import type { UpstreamConfig } from '../../../server/teacher/upstream.ts';

export const TEST_KEY = 'sk-test-DO-NOT-LEAK-0123456789abcdef';

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-teacher-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestTeacher {
  options: TeacherOptions;
  /** Delays the upstream client asked to wait before retries (it does not actually wait). */
  sleeps: number[];
}

export function teacherOptions(cacheDir: string, upstreamUrl: string | undefined, overrides: Partial<TeacherOptions> = {}, upstream: Partial<UpstreamConfig> = {}): TestTeacher {
  const sleeps: number[] = [];
  const options: TeacherOptions = {
    provider: upstreamUrl ? 'openai' : 'offline',
    openai: upstreamUrl
      ? {
          baseUrl: upstreamUrl,
          model: 'fake-model',
          apiKey: TEST_KEY,
          timeoutMs: 2000,
          maxRetries: 3,
          backoffBaseMs: 1,
          backoffMaxMs: 5,
          retryAfterMaxMs: 60_000,
          concurrency: 4,
          logprobs: true,
          ...upstream,
        }
      : undefined,
    upstreamDeps: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    cachePath: join(cacheDir, 'teacher-cache.sqlite'),
    budget: { maxRequests: 10_000, maxTokens: 10_000_000 },
    pairConcurrency: 4,
    limits: DEFAULT_LIMITS,
    allowedOrigins: [],
    ...overrides,
  };
  return { options, sleeps };
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  logs: string[];
  close: () => Promise<void>;
}

/** The real server with a logger whose every line is captured (to scan for secrets). */
export async function startServer(teacher: TeacherOptions): Promise<RunningServer> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildServer({ teacher, logger: { level: 'debug', stream } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, logs, close: () => app.close() };
}

export type Line = { type: string; [key: string]: unknown };

export interface LabelResponse {
  status: number;
  lines: Line[];
  text: string;
}

export async function postLabel(url: string, body: unknown, init: RequestInit = {}): Promise<LabelResponse> {
  const res = await fetch(`${url}/api/teacher/label`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  const lines = res.headers.get('content-type')?.includes('ndjson')
    ? text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
    : [];
  return { status: res.status, lines, text };
}

export function ofType(lines: Line[], type: string): Line[] {
  return lines.filter((l) => l.type === type);
}
