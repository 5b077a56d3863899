// The OpenAI-compatible teacher end to end over real HTTP: the server on 127.0.0.1 talks to a fake
// chat-completions upstream on 127.0.0.1, through the decomposed chain, the cache and the retries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { TeacherLabel } from '../../src/data/schema.ts';
import { TeacherResult } from '../../server/teacher/steps.ts';
import { FakeUpstream, type Fault } from './helpers/fake-upstream.ts';
import { PAIRS } from './helpers/pairs.ts';
import { ofType, postLabel, startServer, teacherOptions, tempDir, TEST_KEY, type Line, type RunningServer } from './helpers/teacher-server.ts';

let upstream: FakeUpstream;
let tmp: ReturnType<typeof tempDir>;
let server: RunningServer | undefined;

beforeEach(async () => {
  tmp = tempDir();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await upstream?.stop();
  tmp.remove();
});

function results(lines: Line[]) {
  return ofType(lines, 'result').map((l) => TeacherResult.parse(l.result));
}

function summary(lines: Line[]) {
  const s = ofType(lines, 'summary');
  expect(s).toHaveLength(1);
  return s[0]!;
}

/** Every cached answer must be one a step would accept: a label, JSON steps, a non-empty explanation. */
function cachedRows(path: string): { template: string; value: unknown }[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT template, value FROM answers').all() as { template: string; value: string }[]).map((r) => ({ template: r.template, value: JSON.parse(r.value) }));
  } finally {
    db.close();
  }
}

function expectCacheHoldsOnlyGoodAnswers(path: string) {
  for (const row of cachedRows(path)) {
    const v = row.value as Record<string, unknown>;
    if (row.template.startsWith('requirements')) expect((v.requirements as unknown[]).length).toBeGreaterThan(0);
    else if (row.template.startsWith('qualifications')) expect(Array.isArray(v.qualifications)).toBe(true);
    else if (row.template.startsWith('evaluate')) expect(Array.isArray(v)).toBe(true);
    else if (row.template.startsWith('rate')) expect(['high', 'medium', 'low']).toContain(v.label);
    else if (row.template.startsWith('explain')) expect(String(v.text).trim().length).toBeGreaterThan(0);
    else throw new Error(`unexpected cache row ${row.template}`);
  }
}

describe('openai teacher through the proxy', () => {
  it('runs the five-step chain with logprobs: label probabilities from the label token, explanation top-k logprobs', async () => {
    upstream = await new FakeUpstream().start();
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const { status, lines } = await postLabel(server.url, { pairs: PAIRS.slice(0, 3) });
    expect(status).toBe(200);
    expect(lines[0]).toMatchObject({ type: 'start', total: 3, teacher: { provider: 'openai', model: 'fake-model' } });
    const out = results(lines);
    expect(out.map((r) => r.exampleId).sort()).toEqual(PAIRS.slice(0, 3).map((p) => p.id).sort());
    const byId = new Map(out.map((r) => [r.exampleId, r]));
    // The fake rates by share of requirements met: the strong profile is high, the nurse low.
    expect(byId.get('data-strong')!.label).toBe('high');
    expect(byId.get('nurse-for-data')!.label).toBe('low');
    for (const r of out) {
      expect(TeacherLabel.safeParse(r).success).toBe(true);
      expect(r.labelProbsSource).toBe('logprobs');
      const p = r.labelProbs!;
      expect(p.low + p.medium + p.high).toBeCloseTo(1, 10);
      // 0.7 on the label and 0.05 on its capitalised variant, 0.15 and 0.06 on the others.
      expect(p[r.label]).toBeCloseTo(0.75 / 0.96, 6);
      expect(r.explanationTopLogprobs!.length).toBeGreaterThan(2);
      expect(r.explanationTopLogprobs!.map((t) => t.token).join('')).toBe(r.explanation);
      expect(r.explanationTopLogprobs![0]!.top.length).toBe(2);
      expect(r.steps.requirements.length).toBeGreaterThan(0);
      expect(r.steps.evaluations.map((e) => e.requirementId)).toEqual(r.steps.requirements.map((q) => q.id));
      expect(r.teacher).toEqual({ provider: 'openai', model: 'fake-model', templateVersion: expect.stringMatching(/^chain-/) });
    }
    // The rating and explanation steps asked for logprobs; the JSON steps did not.
    for (const req of upstream.requests) {
      expect(req.body.model).toBe('fake-model');
      expect(req.authorization).toBe(`Bearer ${TEST_KEY}`);
      expect(req.body.logprobs === true).toBe(req.step === 'rate' || req.step === 'explain');
    }
    // Three pairs share one job: its requirements were extracted once.
    expect(upstream.callsTo('requirements')).toBe(1);
    expect(upstream.callsTo('rate')).toBe(3);
    expect(summary(lines)).toMatchObject({ total: 3, labelled: 3, errors: 0, stopped: null });
    const progress = ofType(lines, 'progress');
    expect(progress.at(-1)).toMatchObject({ done: 3, total: 3 });
  });

  it('tolerates an upstream without logprobs and records that the label probabilities are missing', async () => {
    upstream = await new FakeUpstream({ logprobs: false }).start();
    server = await startServer(teacherOptions(tmp.dir, upstream.url).options);
    const out = results((await postLabel(server.url, { pairs: PAIRS.slice(0, 2) })).lines);
    expect(out).toHaveLength(2);
    for (const r of out) {
      expect(r.labelProbs).toBeNull();
      expect(r.labelProbsSource).toBe('none');
      expect(r.explanationTopLogprobs).toBeUndefined();
      expect(['high', 'medium', 'low']).toContain(r.label);
    }
  });

  it('makes zero upstream calls for the same batch a second time, also after a restart', async () => {
    upstream = await new FakeUpstream().start();
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const first = results((await postLabel(server.url, { pairs: PAIRS })).lines);
    const calls = upstream.requests.length;
    expect(calls).toBeGreaterThan(0);
    expect(first.every((r) => !r.cached || r.usage.upstreamCalls === 0)).toBe(true);

    // Whitespace differences normalise to the same input, hence the same cache keys.
    const respaced = PAIRS.map((p) => ({ ...p, job: { ...p.job, description: `  ${p.job.description.replace(/ /g, '  ')}\n\n\n` } }));
    const second = await postLabel(server.url, { pairs: respaced });
    expect(upstream.requests.length).toBe(calls);
    const again = results(second.lines);
    expect(again.every((r) => r.cached && r.usage.upstreamCalls === 0)).toBe(true);
    expect(summary(second.lines)).toMatchObject({ upstreamRequests: 0, cachedPairs: PAIRS.length });
    const strip = (rs: typeof first) => rs.map(({ createdAt: _c, cached: _k, usage: _u, ...rest }) => rest).sort((a, b) => a.exampleId.localeCompare(b.exampleId));
    expect(strip(again)).toEqual(strip(first));

    await server.close();
    server = await startServer(teacherOptions(tmp.dir, upstream.url).options);
    const afterRestart = results((await postLabel(server.url, { pairs: PAIRS })).lines);
    expect(upstream.requests.length).toBe(calls);
    expect(strip(afterRestart)).toEqual(strip(first));
  });

  it('makes one upstream call per step when identical batches arrive at the same time', async () => {
    upstream = await new FakeUpstream({ delayMs: 20 }).start();
    server = await startServer(teacherOptions(tmp.dir, upstream.url).options);
    const pairs = [PAIRS[3]!, PAIRS[4]!];
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => postLabel(server!.url, { pairs })));
    for (const r of [a!, b!, c!]) expect(results(r.lines)).toHaveLength(2);
    // Two pairs, two different jobs and profiles: 5 steps each, asked once however many clients asked.
    expect(upstream.requests.length).toBe(10);
  });

  const transient: Fault[] = ['timeout', '429', '500', 'malformed-json', 'truncated', 'missing-fields', 'bad-answer'];
  for (const fault of transient) {
    it(`retries after a ${fault} and stores only the good answer`, async () => {
      upstream = await new FakeUpstream({ retryAfterSeconds: 7 }).start();
      const t = teacherOptions(tmp.dir, upstream.url, {}, { timeoutMs: 300 });
      server = await startServer(t.options);
      upstream.failNext(fault, 2, 'rate');
      const { lines } = await postLabel(server.url, { pairs: [PAIRS[0]] });
      const [r] = results(lines);
      expect(r?.label).toBe('high');
      expect(upstream.requests.filter((q) => q.step === 'rate').map((q) => q.fault)).toEqual([fault, fault, undefined]);
      // 429 honours Retry-After (7 s); the others back off exponentially (tiny in tests).
      if (fault === '429') expect(t.sleeps).toEqual([7000, 7000]);
      else expect(t.sleeps.length).toBe(2);
      expectCacheHoldsOnlyGoodAnswers(t.options.cachePath);
      expect(cachedRows(t.options.cachePath).filter((row) => row.template.startsWith('rate'))).toHaveLength(1);
    });
  }

  it('reports a pair whose upstream keeps failing as an error, stores nothing for it, and labels it once the upstream recovers', async () => {
    upstream = await new FakeUpstream().start();
    const t = teacherOptions(tmp.dir, upstream.url, { pairConcurrency: 1 });
    server = await startServer(t.options);
    upstream.failNext('bad-answer', 4, 'explain'); // 1 try + 3 retries for the first pair
    const { lines } = await postLabel(server.url, { pairs: [PAIRS[0], PAIRS[3]] });
    const errors = ofType(lines, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ index: 0, exampleId: 'data-strong', code: 'upstream' });
    expect(String(errors[0]!.error)).toMatch(/expected form.*explanation is empty.*gave up after 4 attempts/);
    expect(results(lines).map((r) => r.exampleId)).toEqual(['accountant']);
    expect(summary(lines)).toMatchObject({ labelled: 1, errors: 1 });
    expect(cachedRows(t.options.cachePath).filter((r) => r.template.startsWith('explain'))).toHaveLength(1);
    expectCacheHoldsOnlyGoodAnswers(t.options.cachePath);

    const before = upstream.requests.length;
    const retry = results((await postLabel(server.url, { pairs: [PAIRS[0], PAIRS[3]] })).lines);
    expect(retry).toHaveLength(2);
    // Only the missing explanation was asked again: the earlier steps came from the cache.
    expect(upstream.requests.slice(before).map((q) => q.step)).toEqual(['explain']);
  });

  it('stops at the job budget and says so for every pair it did not label', async () => {
    upstream = await new FakeUpstream().start();
    const t = teacherOptions(tmp.dir, upstream.url, { budget: { maxRequests: 7, maxTokens: 1_000_000 }, pairConcurrency: 1 });
    server = await startServer(t.options);
    const { lines } = await postLabel(server.url, { pairs: PAIRS });
    expect(upstream.requests.length).toBe(7);
    const s = summary(lines);
    expect(s).toMatchObject({ stopped: 'budget', upstreamRequests: 7, total: PAIRS.length });
    expect((s.labelled as number) + (s.errors as number)).toBe(PAIRS.length);
    const budgetErrors = ofType(lines, 'error');
    expect(budgetErrors.length).toBeGreaterThan(0);
    for (const e of budgetErrors) expect(e).toMatchObject({ code: 'budget', error: expect.stringMatching(/Request budget exhausted: 7 of 7/) });
  });

  it('stops the job when the upstream cannot be reached, instead of retrying every pair', async () => {
    upstream = await new FakeUpstream().start();
    const deadUrl = upstream.url;
    await upstream.stop();
    const t = teacherOptions(tmp.dir, deadUrl, { pairConcurrency: 1 });
    server = await startServer(t.options);
    const { lines } = await postLabel(server.url, { pairs: PAIRS });
    const errors = ofType(lines, 'error');
    expect(errors).toHaveLength(PAIRS.length);
    expect(errors[0]!.error).toMatch(/could not reach the upstream at .*ECONNREFUSED.*gave up after 4 attempts/);
    for (const e of errors.slice(1)) expect(e.error).toMatch(/^not tried: could not reach the upstream/);
    expect(summary(lines)).toMatchObject({ stopped: 'upstream', labelled: 0, errors: PAIRS.length });
    expect(t.sleeps).toHaveLength(3); // only the first pair was retried
    upstream = await new FakeUpstream().start(); // for afterEach
  });

  it('keeps what finished when the client disconnects mid-batch, and stops calling the upstream', async () => {
    upstream = await new FakeUpstream({ delayMs: 15 }).start();
    const t = teacherOptions(tmp.dir, upstream.url, { pairConcurrency: 1 }, { concurrency: 1 });
    server = await startServer(t.options);
    const pairs = Array.from({ length: 12 }, (_, i) => ({ ...PAIRS[i % PAIRS.length]!, id: `p${i}`, profile: { ...PAIRS[i % PAIRS.length]!.profile, headline: `Candidate ${i}` } }));

    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/teacher/label`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pairs }), signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const finished: string[] = [];
    while (finished.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      for (const line of buffered.split('\n').slice(0, -1)) {
        const parsed = JSON.parse(line) as Line;
        if (parsed.type === 'result') finished.push((parsed.result as { exampleId: string }).exampleId);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    }
    controller.abort();
    expect(finished).toEqual(['p0', 'p1']);

    // The server notices the disconnect; at most the call in flight then completes.
    await expect.poll(() => server!.logs.some((l) => l.includes('cancelled by the client')), { timeout: 5000 }).toBe(true);
    const callsAtStop = upstream.requests.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(upstream.requests.length).toBe(callsAtStop);
    expect(callsAtStop).toBeLessThan(12 * 4);

    // What finished was kept: labelling those pairs again costs nothing.
    const again = await postLabel(server.url, { pairs: pairs.slice(0, 2) });
    expect(results(again.lines).every((r) => r.cached)).toBe(true);
    expect(upstream.requests.length).toBe(callsAtStop);
  });

  it('never lets the API key reach a response or a log line, even when the upstream echoes it', async () => {
    upstream = await new FakeUpstream().start();
    const t = teacherOptions(tmp.dir, upstream.url);
    server = await startServer(t.options);
    const bodies: string[] = [];
    bodies.push(await (await fetch(`${server.url}/api/teacher/info`)).text());
    bodies.push((await postLabel(server.url, { pairs: [PAIRS[0]] })).text);
    upstream.failNext('echo-key-401', 1);
    const refused = await postLabel(server.url, { pairs: [PAIRS[3]] });
    bodies.push(refused.text);
    expect(ofType(refused.lines, 'error')[0]).toMatchObject({ error: expect.stringMatching(/refused the request \(HTTP 401\).*LANTERN_TEACHER_API_KEY/) });
    upstream.failNext('500', 1);
    bodies.push((await postLabel(server.url, { pairs: [PAIRS[4]] })).text);
    bodies.push((await postLabel(server.url, '{"pairs": [')).text);
    bodies.push((await postLabel(server.url, { pairs: [{ id: 'x' }] })).text);

    expect(upstream.requests.some((r) => r.authorization === `Bearer ${TEST_KEY}`)).toBe(true);
    expect(server.logs.length).toBeGreaterThan(5);
    expect(server.logs.some((l) => l.includes('retry 1 of 3'))).toBe(true);
    for (const text of [...bodies, ...server.logs]) {
      expect(text).not.toContain(TEST_KEY);
      expect(text).not.toContain(TEST_KEY.slice(3, 20));
    }
    const info = JSON.parse(bodies[0]!);
    expect(info.providers.openai).toMatchObject({ provider: 'openai', kind: 'llm', apiKeyConfigured: true, baseUrl: upstream.url });
  });
});
