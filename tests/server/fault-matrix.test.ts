// The fault matrix: one labelling job through the real server on 127.0.0.1 against a local fake
// upstream that injects every fault class it knows (FAULTS), each aimed at one pair's step, once
// where a retry should recover and past the retries where the pair must fail. Then the counts a
// user relies on: 0 garbage labels stored, 0 pairs lost without an error, 0 key fragments in the
// stream, the logs, the cache files or any response.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { TeacherLabel, type Pair } from '../../src/data/schema.ts';
import { parseLabel } from '../../server/teacher/llm-teacher.ts';
import { CHAIN } from '../../server/teacher/templates.ts';
import { MAX_CHARS_PER_TOKEN } from '../../server/teacher/upstream.ts';
import { FAULTS, FakeUpstream, type Fault, type StepName } from './helpers/fake-upstream.ts';
import { ofType, postLabel, startServer, teacherOptions, tempDir, TEST_KEY, type LabelResponse, type RunningServer } from './helpers/teacher-server.ts';

const RETRIES = 3;
const PAST_RETRIES = RETRIES + 1;

/** [fault, step, how many times in a row, what must become of the pair]. */
const SCHEDULE: [Fault, StepName, number, 'labelled' | 'error'][] = [
  ['timeout', 'qualifications', 1, 'labelled'],
  ['timeout', 'explain', PAST_RETRIES, 'error'],
  ['429', 'requirements', 2, 'labelled'],
  ['500', 'rate', PAST_RETRIES, 'error'],
  ['malformed-json', 'requirements', 1, 'labelled'],
  ['truncated', 'explain', 1, 'labelled'],
  ['missing-fields', 'qualifications', PAST_RETRIES, 'error'],
  ['bad-answer', 'rate', 1, 'labelled'],
  ['slow-drip', 'rate', 1, 'labelled'],
  ['slow-drip', 'qualifications', PAST_RETRIES, 'error'],
  ['huge-body', 'explain', 1, 'labelled'],
  ['huge-body', 'requirements', PAST_RETRIES, 'error'],
  ['long-answer', 'explain', PAST_RETRIES, 'error'],
  ['long-answer', 'rate', 1, 'labelled'],
  ['ambiguous-rating', 'rate', PAST_RETRIES, 'error'],
  ['ambiguous-rating', 'rate', 1, 'labelled'],
  ['contradicting-probs', 'rate', 1, 'labelled'],
  ['echo-key-answer', 'explain', 1, 'labelled'],
  ['echo-key-answer', 'requirements', 1, 'labelled'],
  ['echo-key-long-error', 'qualifications', 1, 'error'],
  // A refused key fails every pair alike and stops the job: the last pair, so all others have started.
  ['echo-key-401', 'requirements', 1, 'error'],
];
const CLEAN_PAIRS = 3;

/** Demo pairs made distinct per pair: its marker is in the job title and the headline, so every step's prompt but "evaluate" names it. */
function batch(): Pair[] {
  const n = CLEAN_PAIRS + SCHEDULE.length;
  return generateDemoExamples({ seed: 12, n }).map((p, i) => ({
    ...p,
    id: `pair-${i}`,
    job: { ...p.job, title: `${p.job.title} [#${i}]` },
    profile: { ...p.profile, headline: `${p.profile.headline} [#${i}]` },
  }));
}

const fragments = Array.from({ length: TEST_KEY.length - 7 }, (_, i) => TEST_KEY.slice(i, i + 8));
const fragmentsIn = (text: string) => fragments.filter((f) => text.includes(f)).length;

let tmp: ReturnType<typeof tempDir>;
let upstream: FakeUpstream;
let server: RunningServer;
let pairs: Pair[];
let res: LabelResponse;
let info: string;

beforeAll(async () => {
  tmp = tempDir();
  upstream = await new FakeUpstream({ hugeBodyBytes: 3_000_000 }).start();
  pairs = batch();
  SCHEDULE.forEach(([fault, step, count], k) => upstream.failNext(fault, count, step, `[#${CLEAN_PAIRS + k}]`));
  const t = teacherOptions(tmp.dir, upstream.url, {}, { timeoutMs: 300, maxRetries: RETRIES });
  server = await startServer(t.options);
  res = await postLabel(server.url, { pairs });
  info = await (await fetch(`${server.url}/api/teacher/info`)).text();
});

afterAll(async () => {
  await server.close();
  await upstream.stop();
  tmp.remove();
});

describe('fault matrix', () => {
  it('served every fault class the fake upstream knows', () => {
    const served = new Set(upstream.requests.map((r) => r.fault).filter(Boolean));
    expect([...FAULTS].filter((f) => !served.has(f))).toEqual([]);
  });

  it('loses no pair without an error: each pair is exactly one result or one error, as scheduled', () => {
    const results = ofType(res.lines, 'result');
    const errors = ofType(res.lines, 'error');
    const outcome = new Map<string, string[]>();
    for (const r of results) outcome.set(String((r.result as { exampleId: string }).exampleId), [...(outcome.get(String((r.result as { exampleId: string }).exampleId)) ?? []), 'labelled']);
    for (const e of errors) outcome.set(String(e.exampleId), [...(outcome.get(String(e.exampleId)) ?? []), 'error']);
    const expected = pairs.map((p, i) => [p.id, [i < CLEAN_PAIRS ? 'labelled' : SCHEDULE[i - CLEAN_PAIRS]![3]]]);
    expect(pairs.map((p) => [p.id, outcome.get(p.id) ?? []])).toEqual(expected);
    const summary = ofType(res.lines, 'summary')[0]!;
    expect(summary).toMatchObject({ total: pairs.length, labelled: results.length, errors: errors.length });
    for (const e of errors) expect(String(e.error).length).toBeGreaterThan(10);

    const byFault = SCHEDULE.map(([fault, step, count, want]) => `${fault}@${step}×${count}→${want}`).join(', ');
    console.log(
      `fault matrix: ${pairs.length} pairs, ${results.length} labelled, ${errors.length} errors, 0 lost; ` +
        `${upstream.requests.length} upstream requests, ${upstream.requests.filter((r) => r.fault).length} faults served (${new Set(upstream.requests.map((r) => r.fault).filter(Boolean)).size} classes); ` +
        `flagged ${results.filter((r) => (r.result as { flags?: unknown[] }).flags?.length).length}; schedule: ${byFault}`,
    );
  });

  it('stores no garbage: every label and every cached answer is one a step accepts, within its bounds', () => {
    const maxChars = (name: string) => CHAIN.find((s) => s.name === name)!.params.max_tokens * MAX_CHARS_PER_TOKEN;
    for (const line of ofType(res.lines, 'result')) {
      const label = TeacherLabel.parse(line.result);
      const steps = label.steps as { rating: { label: string; answer: string } };
      expect(parseLabel(steps.rating.answer)).toBe(label.label);
      expect(label.explanation.trim().length).toBeGreaterThan(0);
      expect(label.explanation.length).toBeLessThanOrEqual(maxChars('explain'));
      if (label.labelProbs) {
        const top = (['low', 'medium', 'high'] as const).reduce((a, b) => (label.labelProbs![b] > label.labelProbs![a] ? b : a));
        if (label.labelProbs[top] > label.labelProbs[label.label]) expect(label.flags?.map((f) => f.code)).toEqual(['soft-label-disagrees']);
      }
    }
    const db = new Database(join(tmp.dir, 'teacher-cache.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT template, value FROM answers').all() as { template: string; value: string }[];
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const v = JSON.parse(row.value) as Record<string, unknown>;
      const step = row.template.split('@')[0]!;
      expect(row.value.length).toBeLessThan(20 * maxChars(step) + 10_000);
      if (step === 'rate') expect(parseLabel(String(v.answer))).toBe(v.label);
      if (step === 'explain') expect(String(v.text).length).toBeLessThanOrEqual(maxChars('explain'));
      if (step === 'requirements') expect((v.requirements as unknown[]).length).toBeGreaterThan(0);
    }
  });

  it('leaves no 8-character piece of the key in the stream, the logs, the cache files or the info response', () => {
    const cacheFiles = readdirSync(dirname(join(tmp.dir, 'teacher-cache.sqlite'))).filter((f) => f.startsWith('teacher-cache.sqlite'));
    const cacheBytes = cacheFiles.map((f) => readFileSync(join(tmp.dir, f)).toString('latin1')).join('');
    expect(cacheFiles.length).toBeGreaterThan(0);
    const counts = { stream: fragmentsIn(res.text), logs: fragmentsIn(server.logs.join('')), cache: fragmentsIn(cacheBytes), info: fragmentsIn(info) };
    console.log(`fault matrix key fragments: ${JSON.stringify(counts)} (over ${fragments.length} 8-character pieces of the key)`);
    expect(counts).toEqual({ stream: 0, logs: 0, cache: 0, info: 0 });
    // The key was really sent and really echoed: the zero above is the proxy's doing.
    expect(upstream.requests.every((r) => r.authorization === `Bearer ${TEST_KEY}`)).toBe(true);
  });
});
