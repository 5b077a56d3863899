// The teacher proxy against a hostile upstream, over real HTTP on 127.0.0.1: no piece of the key
// reaches a response, a log line or the cache; credentials in the base URL are a start-up error;
// answers are bounded in bytes and in length per step; a rating must be exactly one label word;
// label probabilities that contradict the label are flagged with the label.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { TeacherLabel } from '../../src/data/schema.ts';
import { buildServer } from '../../server/app.ts';
import { teacherOptionsFromEnv } from '../../server/teacher/config.ts';
import { UpstreamClient, JobBudget, UpstreamError } from '../../server/teacher/upstream.ts';
import { FakeUpstream } from './helpers/fake-upstream.ts';
import { PAIRS } from './helpers/pairs.ts';
import { ofType, postLabel, startServer, teacherOptions, tempDir, TEST_KEY, type RunningServer } from './helpers/teacher-server.ts';

let upstream: FakeUpstream;
let tmp: ReturnType<typeof tempDir>;
let server: RunningServer | undefined;

beforeEach(async () => {
  tmp = tempDir();
  upstream = await new FakeUpstream().start();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await upstream.stop();
  tmp.remove();
});

/** Every 8-character piece of the key: none may appear anywhere. */
function keyFragments(key = TEST_KEY): string[] {
  return Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8));
}
function expectNoKeyFragment(text: string, where: string) {
  const found = keyFragments().filter((f) => text.includes(f));
  expect({ where, found }).toEqual({ where, found: [] });
}
function cacheText(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return JSON.stringify(db.prepare('SELECT * FROM answers').all());
  } finally {
    db.close();
  }
}

describe('secrets', () => {
  it('redacts the key before cutting a long upstream error body, so no half of it leaks', async () => {
    upstream.failNext('echo-key-long-error', 1, 'requirements');
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const res = await postLabel(server.url, { pairs: [PAIRS[0]] });
    const errors = ofType(res.lines, 'error');
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!.error)).toMatch(/HTTP 400: Your request could not be processed.*Key used: \[redacted\]/);
    expectNoKeyFragment(res.text, 'NDJSON');
    expectNoKeyFragment(server.logs.join(''), 'server log');
  });

  it('treats credentials in the base URL as a start-up error, and never prints them', async () => {
    const env = { LANTERN_TEACHER_PROVIDER: 'openai', LANTERN_TEACHER_MODEL: 'm' };
    for (const baseUrl of ['http://alice:hunter2-secret@127.0.0.1:9/v1', 'https://api.example.com/v1?api-key=hunter2-secret', 'https://api.example.com/v1?access_token=hunter2-secret']) {
      let message = '';
      try {
        teacherOptionsFromEnv({ ...env, LANTERN_TEACHER_BASE_URL: baseUrl });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/LANTERN_TEACHER_BASE_URL must not hold credentials.*LANTERN_TEACHER_API_KEY/);
      expect(message).not.toContain('hunter2');
      // Options built in code (not from the environment) fail when the server is built, not pair by pair.
      const t = teacherOptions(tmp.dir, baseUrl);
      await expect(buildServer({ teacher: t.options })).rejects.toThrow(/must not hold credentials/);
    }
    expect(() => teacherOptionsFromEnv({ ...env, LANTERN_TEACHER_BASE_URL: 'not a url at all: alice:hunter2@' })).toThrow(/not a URL/);
  });

  it('prints the upstream URL without its query when it cannot be reached', async () => {
    const client = new UpstreamClient({ ...teacherOptions(tmp.dir, 'http://127.0.0.1:9/v1?api-version=2024-01-01').options.openai!, maxRetries: 0 });
    const error = await client.chat([{ role: 'user', content: 'x' }], { temperature: 0, max_tokens: 5, topLogprobs: 0 }, { budget: new JobBudget(10, 1e6) }, (a) => a).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(/could not reach the upstream at http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions \(/);
    expect((error as Error).message).not.toContain('api-version');
  });

  it('scrubs a key echoed in good answers from the results, the cache and the explanation tokens', async () => {
    upstream.failNext('echo-key-answer', 1, 'requirements');
    upstream.failNext('echo-key-answer', 1, 'explain');
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const res = await postLabel(server.url, { pairs: [PAIRS[0]] });
    const [result] = ofType(res.lines, 'result').map((l) => TeacherLabel.parse(l.result));
    expect(result!.explanation).toMatch(/Reference: \[redacted\]\./);
    // The key was split across tokens, which cannot be redacted one by one: they are dropped.
    expect(result!.explanationTopLogprobs).toBeUndefined();
    expect(JSON.stringify(result!.steps)).toMatch(/\(\[redacted\]\)/);
    expectNoKeyFragment(res.text, 'NDJSON');
    expectNoKeyFragment(cacheText(t.options.cachePath), 'cache');
    expectNoKeyFragment(server.logs.join(''), 'server log');
  });
});

describe('teacher answers', () => {
  it('bounds the response body: a multi-megabyte answer is a failed attempt, retried, never stored', async () => {
    upstream.failNext('huge-body', 1, 'explain');
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const res = await postLabel(server.url, { pairs: [PAIRS[0]] });
    const [result] = ofType(res.lines, 'result').map((l) => TeacherLabel.parse(l.result));
    expect(result!.explanation.length).toBeLessThan(2000);
    expect(server.logs.join('')).toMatch(/larger than 2097152 bytes; retry 1/);
    expect(cacheText(t.options.cachePath).length).toBeLessThan(100_000);
  });

  it('bounds each answer by its step’s max_tokens: an over-long answer is retried, then reported, never a label', async () => {
    upstream.failNext('long-answer', 4, 'explain');
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const res = await postLabel(server.url, { pairs: [PAIRS[0]] });
    expect(ofType(res.lines, 'result')).toHaveLength(0);
    expect(String(ofType(res.lines, 'error')[0]!.error)).toMatch(/characters long, more than 3520 \(16 per token of the 220 asked for\).*gave up after 4 attempts/);
    expect(cacheText(t.options.cachePath)).not.toMatch(/"explain@/);
  });

  it('requires a rating to be exactly one label word, retrying an ambiguous one', async () => {
    upstream.failNext('ambiguous-rating', 1, 'rate');
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const [result] = ofType((await postLabel(server.url, { pairs: [PAIRS[0]] })).lines, 'result').map((l) => TeacherLabel.parse(l.result));
    expect(result!.label).toBe('high');
    expect(upstream.callsTo('rate')).toBe(2);
    expect(server.logs.join('')).toMatch(/the rating is \\"High\? No\. Low\.\\", not exactly one of high, medium or low/);

    upstream.failNext('ambiguous-rating', 4, 'rate');
    const again = await postLabel(server.url, { pairs: [PAIRS[1]] });
    expect(ofType(again.lines, 'result')).toHaveLength(0);
    expect(ofType(again.lines, 'error')).toHaveLength(1);
  });

  it('flags label probabilities that contradict the label, and the flag survives the label schema', async () => {
    upstream.failNext('contradicting-probs', 1, 'rate');
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const res = await postLabel(server.url, { pairs: [PAIRS[0], PAIRS[1]] });
    const labels = ofType(res.lines, 'result').map((l) => TeacherLabel.parse(l.result));
    const flagged = labels.filter((l) => l.flags?.length);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.label).toBe('high');
    expect(flagged[0]!.flags).toEqual([{ code: 'soft-label-disagrees', message: 'the rating is high, but its label probabilities put 0.90 on low (0.05 on high)' }]);
    expect(labels.find((l) => l !== flagged[0])!.flags).toBeUndefined();
  });
});
