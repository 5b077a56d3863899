// The teacher API as a browser or the CLI sees it: info, the offline default, request validation
// with clear 4xx messages, CORS for the app's own origin only, and the bearer token.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TeacherResult } from '../../server/teacher/steps.ts';
import { teacherOptionsFromEnv } from '../../server/teacher/config.ts';
import { buildServer } from '../../server/app.ts';
import { PAIRS } from './helpers/pairs.ts';
import { ofType, postLabel, startServer, teacherOptions, tempDir, type RunningServer } from './helpers/teacher-server.ts';

let tmp: ReturnType<typeof tempDir>;
let server: RunningServer;

beforeEach(async () => {
  tmp = tempDir();
  server = await startServer(teacherOptions(tmp.dir, undefined, { limits: { maxBodyBytes: 200_000, maxPairs: 20, maxPairBytes: 20_000, maxFieldBytes: 15_000 } }).options);
});

afterEach(async () => {
  await server.close();
  tmp.remove();
});

async function errorOf(res: { status: number; text: string }): Promise<string> {
  return (JSON.parse(res.text) as { error: string }).error;
}

describe('teacher API', () => {
  it('describes the offline default as a rule-based teacher, without secrets, and the openai one as not configured', async () => {
    const res = await fetch(`${server.url}/api/teacher/info`);
    expect(res.status).toBe(200);
    const info = await res.json();
    expect(info.defaultProvider).toBe('offline');
    expect(info.providers.offline).toMatchObject({ provider: 'offline', kind: 'rule-based', network: false, description: expect.stringMatching(/rule-based teacher/) });
    expect(info.providers.openai).toBeNull();
    expect(info.limits).toMatchObject({ maxPairs: 20 });
  });

  it('labels a batch with the offline teacher as an NDJSON stream: start, a result and progress per pair, a summary', async () => {
    const { status, lines } = await postLabel(server.url, { pairs: PAIRS });
    expect(status).toBe(200);
    expect(lines[0]).toMatchObject({ type: 'start', total: PAIRS.length, teacher: { provider: 'offline' } });
    const results = ofType(lines, 'result').map((l) => TeacherResult.parse(l.result));
    expect(results.map((r) => r.exampleId).sort()).toEqual(PAIRS.map((p) => p.id).sort());
    expect(ofType(lines, 'progress').map((p) => p.done)).toEqual(PAIRS.map((_, i) => i + 1));
    expect(lines.at(-1)).toMatchObject({ type: 'summary', total: PAIRS.length, labelled: PAIRS.length, errors: 0, upstreamRequests: 0, stopped: null });
  });

  it('rejects malformed and oversized requests with a 4xx and a clear message', async () => {
    const notJson = await postLabel(server.url, '{"pairs": [');
    expect(notJson.status).toBe(400);
    expect(await errorOf(notJson)).toMatch(/not valid JSON/);

    const noPairs = await postLabel(server.url, { items: [] });
    expect(noPairs.status).toBe(400);
    expect(await errorOf(noPairs)).toMatch(/pairs/);

    const empty = await postLabel(server.url, { pairs: [] });
    expect(empty.status).toBe(400);
    expect(await errorOf(empty)).toMatch(/pairs is empty/);

    const badPair = await postLabel(server.url, { pairs: [PAIRS[0], { ...PAIRS[1], job: { ...PAIRS[1]!.job, title: '  ' } }] });
    expect(badPair.status).toBe(400);
    expect(await errorOf(badPair)).toMatch(/pairs\[1\]\.job\.title: title is empty/);

    const badProvider = await postLabel(server.url, { pairs: [PAIRS[0]], provider: 'anthropic' });
    expect(badProvider.status).toBe(400);
    expect(await errorOf(badProvider)).toMatch(/provider must be one of offline, openai/);

    const unconfigured = await postLabel(server.url, { pairs: [PAIRS[0]], provider: 'openai' });
    expect(unconfigured.status).toBe(400);
    expect(await errorOf(unconfigured)).toMatch(/LANTERN_TEACHER_BASE_URL/);

    const tooMany = await postLabel(server.url, { pairs: Array.from({ length: 21 }, () => PAIRS[0]) });
    expect(tooMany.status).toBe(413);
    expect(await errorOf(tooMany)).toMatch(/Too many pairs.*21.*20/);

    const bigPair = await postLabel(server.url, { pairs: [{ ...PAIRS[0], job: { ...PAIRS[0]!.job, description: 'x'.repeat(30_000) } }] });
    expect(bigPair.status).toBe(413);
    expect(await errorOf(bigPair)).toMatch(/pairs\[0\] is \d+ bytes/);

    const huge = await postLabel(server.url, { pairs: [{ ...PAIRS[0], job: { ...PAIRS[0]!.job, description: 'x'.repeat(300_000) } }] });
    expect(huge.status).toBe(413);
    expect(await errorOf(huge)).toMatch(/larger than 200000 bytes.*smaller batches/);

    const wrongType = await fetch(`${server.url}/api/teacher/label`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).error).toMatch(/JSON body .* content-type application\/json/);
  });

  it('answers the app’s own origin and refuses other browser origins', async () => {
    const host = new URL(server.url).host;
    const own = await fetch(`${server.url}/api/teacher/info`, { headers: { origin: `http://${host}` } });
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe(`http://${host}`);

    const foreign = await fetch(`${server.url}/api/teacher/info`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect((await foreign.json()).error).toMatch(/origin https:\/\/evil\.example are not allowed/);

    const foreignLabel = await postLabel(server.url, { pairs: [PAIRS[0]] }, { headers: { origin: 'https://evil.example' } });
    expect(foreignLabel.status).toBe(403);
  });

  it('refuses other Host names when bound to loopback without a token (DNS rebinding)', async () => {
    const rebound = await server.app.inject({ url: '/api/teacher/info', headers: { host: 'evil.example:5174', origin: 'http://evil.example:5174' } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json().error).toMatch(/only as localhost.*evil\.example/);
    expect((await server.app.inject({ url: '/api/teacher/info', headers: { host: 'localhost:5174' } })).statusCode).toBe(200);
    // With a token (bound beyond loopback) any Host name is served to a caller that has the token.
    const app = await buildServer({ apiToken: 'tok-0123456789abcdef', teacher: teacherOptions(tmp.dir, undefined).options });
    try {
      const res = await app.inject({ url: '/api/teacher/info', headers: { host: '192.168.1.20:5174', authorization: 'Bearer tok-0123456789abcdef' } });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('requires the bearer token on the teacher routes when the server has one', async () => {
    const app = await buildServer({ apiToken: 'tok-0123456789abcdef', teacher: teacherOptions(tmp.dir, undefined).options });
    try {
      expect((await app.inject({ url: '/api/teacher/info' })).statusCode).toBe(401);
      const res = await app.inject({ method: 'POST', url: '/api/teacher/label', payload: { pairs: [PAIRS[0]] } });
      expect(res.statusCode).toBe(401);
      const ok = await app.inject({ url: '/api/teacher/info', headers: { authorization: 'Bearer tok-0123456789abcdef' } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('reads its configuration from the environment, offline by default, and refuses an incomplete openai setup', () => {
    expect(teacherOptionsFromEnv({})).toMatchObject({ provider: 'offline', openai: undefined });
    expect(teacherOptionsFromEnv({ LANTERN_CACHE_DIR: '/tmp/x' }).cachePath).toBe('/tmp/x/teacher-cache.sqlite');
    expect(() => teacherOptionsFromEnv({ LANTERN_TEACHER_PROVIDER: 'openai' })).toThrow(/LANTERN_TEACHER_MODEL is required/);
    expect(() => teacherOptionsFromEnv({ LANTERN_TEACHER_PROVIDER: 'gpt' })).toThrow(/LANTERN_TEACHER_PROVIDER must be one of/);
    const cfg = teacherOptionsFromEnv({ LANTERN_TEACHER_BASE_URL: 'http://127.0.0.1:11434/v1', LANTERN_TEACHER_MODEL: 'qwen2.5:7b', LANTERN_TEACHER_API_KEY: 'k', LANTERN_TEACHER_LOGPROBS: '0' });
    expect(cfg.provider).toBe('offline');
    expect(cfg.openai).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5:7b', apiKey: 'k', logprobs: false });
    expect(() => teacherOptionsFromEnv({ LANTERN_TEACHER_BASE_URL: 'x', LANTERN_TEACHER_MODEL: 'm' })).toThrow(/not a URL/);
    expect(() => teacherOptionsFromEnv({ LANTERN_TEACHER_MAX_REQUESTS: 'lots' })).toThrow(/LANTERN_TEACHER_MAX_REQUESTS/);
  });
});
