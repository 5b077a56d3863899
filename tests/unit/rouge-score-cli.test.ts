import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = new URL('../../cli/lantern.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lantern-score-'));

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('lantern score', () => {
  it('prints one ROUGE object per line, matching rouge-score', async () => {
    const path = file('pairs.jsonl', [
      JSON.stringify({ reference: 'The quick brown fox jumps over the lazy dog', prediction: 'The quick brown dog jumps on the log.' }),
      JSON.stringify({ id: 'x', reference: 'w1 w2 w3 w4 w5', prediction: 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5' }),
    ]);
    const { stdout, stderr } = await run('node', [CLI, 'score', '--in', path, '--stem']);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0])).toEqual(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
    expect(rows[0].rouge1.precision).toBeCloseTo(0.75, 12);
    expect(rows[0].rougeL.fmeasure).toBeCloseTo(0.58823529, 8);
    expect(rows[1].rougeLsum).toEqual({ precision: 0.4, recall: 0.8, fmeasure: expect.closeTo(0.5333, 3) });
    expect(stderr).toMatch(/scored 2 pairs \(stemmed\)/);
  });

  it('stems only with --stem', async () => {
    const path = file('stem.jsonl', [JSON.stringify({ reference: 'running dogs', prediction: 'runs dog' })]);
    const plain = JSON.parse((await run('node', [CLI, 'score', '--in', path])).stdout);
    const stemmed = JSON.parse((await run('node', [CLI, 'score', '--in', path, '--stem'])).stdout);
    expect(plain.rouge1.fmeasure).toBe(0);
    expect(stemmed.rouge1.fmeasure).toBe(1);
  });

  it('reports every bad line by number, prints no scores and exits 1', async () => {
    const path = file('bad.jsonl', [JSON.stringify({ reference: 'a', prediction: 'a' }), 'not json', JSON.stringify({ reference: 'a' }), JSON.stringify({ reference: 'a', prediction: 3 })]);
    const failure = await run('node', [CLI, 'score', '--in', path]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr).toMatch(/3 bad lines/);
    expect(stderr).toMatch(/line 2: not valid JSON/);
    expect(stderr).toMatch(/line 3: missing "prediction"/);
    expect(stderr).toMatch(/line 4: "prediction" must be a string/);
    expect(stderr).not.toMatch(/line 1:/);
  });

  it('needs --in (usage error, exit 2) and an existing file (exit 1)', async () => {
    await expect(run('node', [CLI, 'score'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--in is required') });
    await expect(run('node', [CLI, 'score', '--in', join(dir, 'missing.jsonl')])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no such file') });
  });
});
