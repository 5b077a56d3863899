// `lantern label` end to end: JSONL in, labels out, through the same API (in-process or remote).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TeacherLabel } from '../../src/data/schema.ts';
import { FakeUpstream } from './helpers/fake-upstream.ts';
import { PAIRS } from './helpers/pairs.ts';
import { startServer, teacherOptions, tempDir, TEST_KEY } from './helpers/teacher-server.ts';

const run = promisify(execFile);
const CLI = new URL('../../cli/lantern.mjs', import.meta.url).pathname;

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
  writeFileSync(join(tmp.dir, 'pairs.jsonl'), PAIRS.map((p) => JSON.stringify(p)).join('\n') + '\n');
});
afterEach(() => tmp.remove());

function lantern(args: string[]) {
  const env = { ...process.env, LANTERN_CACHE_DIR: tmp.dir, LANTERN_TEACHER_PROVIDER: '', LANTERN_TEACHER_BASE_URL: '' };
  return run('node', [CLI, 'label', ...args], { env, cwd: tmp.dir });
}

function readLabels(path: string) {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => TeacherLabel.parse(JSON.parse(l)));
}

describe('lantern label', () => {
  it('labels a JSONL file offline with an in-process server, in input order, with progress on stderr', async () => {
    const out = join(tmp.dir, 'labels.jsonl');
    const { stderr } = await lantern(['--in', 'pairs.jsonl', '--out', out]);
    const labels = readLabels(out);
    expect(labels.map((l) => l.exampleId)).toEqual(PAIRS.map((p) => p.id));
    expect(labels.every((l) => l.teacher.provider === 'offline')).toBe(true);
    expect(stderr).toMatch(/5\/5 pairs/);
    expect(stderr).toMatch(/5 of 5 pairs labelled/);
  });

  it('labels through a running server with the openai provider, and the second run costs no upstream call', async () => {
    const upstream = await new FakeUpstream().start();
    const server = await startServer(teacherOptions(tmp.dir, upstream.url, { provider: 'offline' }).options);
    try {
      const out = join(tmp.dir, 'labels.jsonl');
      await lantern(['--in', 'pairs.jsonl', '--out', out, '--server', server.url, '--provider', 'openai']);
      const first = readLabels(out);
      expect(first.map((l) => l.exampleId)).toEqual(PAIRS.map((p) => p.id));
      expect(first.every((l) => l.teacher.provider === 'openai' && l.labelProbs !== null)).toBe(true);
      const calls = upstream.requests.length;
      expect(calls).toBeGreaterThan(0);
      const { stderr } = await lantern(['--in', 'pairs.jsonl', '--out', out, '--server', server.url, '--provider', 'openai']);
      expect(upstream.requests.length).toBe(calls);
      expect(stderr).toMatch(/5 from cache/);
    } finally {
      await server.close();
      await upstream.stop();
    }
  });

  it('reports the pairs the teacher could not label and exits 1, keeping the labels it got', async () => {
    const upstream = await new FakeUpstream().start();
    const server = await startServer(teacherOptions(tmp.dir, upstream.url).options);
    try {
      upstream.failNext('echo-key-401', 1, 'qualifications');
      const out = join(tmp.dir, 'labels.jsonl');
      const failed = await lantern(['--in', 'pairs.jsonl', '--out', out, '--server', server.url]).catch((e) => e as { code: number; stderr: string });
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toMatch(/pair \S+: .*HTTP 401/);
      expect((failed as { stderr: string }).stderr).not.toContain(TEST_KEY);
      // A refused key fails every pair alike, so the job stops; the pairs already under way finish.
      const failedPairs = (failed as { stderr: string }).stderr.match(/^pair \S+:/gm) ?? [];
      expect(failedPairs.length).toBeGreaterThanOrEqual(1);
      expect(readLabels(out)).toHaveLength(PAIRS.length - failedPairs.length);
    } finally {
      await server.close();
      await upstream.stop();
    }
  });

  it('refuses an invalid input file with the line numbers, writing nothing', async () => {
    writeFileSync(join(tmp.dir, 'bad.jsonl'), [JSON.stringify(PAIRS[0]), '{"id": "x"', JSON.stringify({ ...PAIRS[1], job: { ...PAIRS[1]!.job, remotePolicy: 'mars' } })].join('\n'));
    const out = join(tmp.dir, 'labels.jsonl');
    const err = await lantern(['--in', 'bad.jsonl', '--out', out]).catch((e) => e as { code: number; stderr: string });
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/2 invalid line\(s\)[\s\S]*line 2: not JSON[\s\S]*line 3: job\.remotePolicy/);
    expect(existsSync(out)).toBe(false);

    const usage = await lantern(['--in', 'pairs.jsonl']).catch((e) => e as { code: number; stderr: string });
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--out is required') });
  });
});
