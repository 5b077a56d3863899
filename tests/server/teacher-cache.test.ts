// The answer cache: one computation per key however many ask at once, nothing stored on failure,
// and answers that survive a restart and a process killed mid-batch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AnswerCache, cacheKey } from '../../server/teacher/cache.ts';
import { BudgetExhaustedError } from '../../server/teacher/upstream.ts';
import { FakeUpstream } from './helpers/fake-upstream.ts';
import { PAIRS } from './helpers/pairs.ts';
import { ofType, postLabel, startServer, teacherOptions, tempDir } from './helpers/teacher-server.ts';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const parts = { provider: 'openai:http://x/v1/chat/completions', model: 'm', template: 'rate@1', params: { temperature: 0 }, input: { a: 1, b: [2, 3] } };

describe('answer cache', () => {
  it('keys on provider, model, template version, parameters and input, not on key order', () => {
    const base = cacheKey(parts);
    expect(cacheKey({ ...parts, input: { b: [2, 3], a: 1 } })).toBe(base);
    for (const changed of [{ provider: 'openai:http://y/v1/chat/completions' }, { model: 'm2' }, { template: 'rate@2' }, { params: { temperature: 0.5 } }, { input: { a: 1, b: [3, 2] } }]) {
      expect(cacheKey({ ...parts, ...changed })).not.toBe(base);
    }
  });

  it('computes once for concurrent identical requests and serves the stored value after a reopen', async () => {
    const path = join(tmp.dir, 'c.sqlite');
    const cache = new AnswerCache(path);
    let computed = 0;
    const compute = async () => {
      computed++;
      await new Promise((r) => setTimeout(r, 20));
      return { label: 'high' };
    };
    const answers = await Promise.all([1, 2, 3, 4].map(() => cache.getOrCompute('k', 'rate@1', compute)));
    expect(computed).toBe(1);
    expect(answers.map((a) => a.cached)).toEqual([false, true, true, true]);
    expect(answers.every((a) => a.value.label === 'high')).toBe(true);
    cache.close();

    const reopened = new AnswerCache(path);
    expect(await reopened.getOrCompute('k', 'rate@1', compute)).toEqual({ value: { label: 'high' }, cached: true });
    expect(computed).toBe(1);
    expect(reopened.stats().entries).toBe(1);
    reopened.close();
  });

  it('stores nothing when the computation fails, and lets the next caller try again', async () => {
    const cache = new AnswerCache(join(tmp.dir, 'c.sqlite'));
    const failing = Promise.all([1, 2].map(() => cache.getOrCompute('k', 'rate@1', () => Promise.reject(new Error('upstream down')))));
    await expect(failing).rejects.toThrow('upstream down');
    expect(cache.get('k')).toBeUndefined();
    expect(await cache.getOrCompute('k', 'rate@1', async () => 'ok')).toEqual({ value: 'ok', cached: false });
    cache.close();
  });

  it("does not hand one job's budget error to another job waiting on the same answer", async () => {
    const cache = new AnswerCache(join(tmp.dir, 'c.sqlite'));
    const first = cache.getOrCompute('k', 'rate@1', async () => {
      await new Promise((r) => setTimeout(r, 10));
      throw new BudgetExhaustedError('Request budget exhausted');
    });
    const second = cache.getOrCompute('k', 'rate@1', async () => 'computed by the second job');
    await expect(first).rejects.toThrow('budget');
    expect(await second).toEqual({ value: 'computed by the second job', cached: false });
    cache.close();
  });

  it('keeps every answer that arrived when the server process is killed mid-batch', async () => {
    const upstream = await new FakeUpstream({ delayMs: 10 }).start();
    const pairs = Array.from({ length: 10 }, (_, i) => ({ ...PAIRS[i % PAIRS.length]!, id: `k${i}`, profile: { ...PAIRS[i % PAIRS.length]!.profile, headline: `Person ${i}` } }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/server/helpers/teacher-child.ts'], {
      env: { ...process.env, TEACHER_TEST_UPSTREAM: upstream.url, TEACHER_TEST_CACHE_DIR: tmp.dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          const m = String(d).match(/http:\/\/127\.0\.0\.1:\d+/);
          if (m) resolve(m[0]);
        });
        child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
      });
      const res = await fetch(`${url}/api/teacher/label`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pairs }) });
      const reader = res.body!.getReader();
      let text = '';
      const finished: string[] = [];
      while (finished.length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        finished.splice(0, finished.length, ...[...text.matchAll(/"exampleId":"(k\d+)"/g)].map((m) => m[1]!));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await reader.cancel().catch(() => {});
      expect(finished.length).toBeGreaterThanOrEqual(3);

      const db = new Database(join(tmp.dir, 'teacher-cache.sqlite'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      // A fresh server labels the pairs that finished without a single upstream call.
      const server = await startServer(teacherOptions(tmp.dir, upstream.url).options);
      try {
        const callsBefore = upstream.requests.length;
        const again = await postLabel(server.url, { pairs: pairs.filter((p) => finished.includes(p.id)) });
        const results = ofType(again.lines, 'result');
        expect(results).toHaveLength(finished.length);
        expect(results.every((l) => (l.result as { cached: boolean }).cached)).toBe(true);
        expect(upstream.requests.length).toBe(callsBefore);
      } finally {
        await server.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await upstream.stop();
    }
  });
});
