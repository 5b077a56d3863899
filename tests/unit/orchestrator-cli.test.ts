// `lantern run` on bad input: a clear message naming the field, a non-zero exit, nothing written.
// And the Node host's files: atomic artifacts, datasets and review files checked line by line.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore, readExamplesFile, readReviewsFile } from '../../src/experiment/run/node-host.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';

const lantern = (...args: string[]) => spawnSync(process.execPath, ['cli/lantern.mjs', 'run', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('lantern run: invalid input', () => {
  it('lists every invalid field of the experiment and exits 2 without creating the output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-run-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 1, seed: -1, stages: [{ id: 'x', task: 'explain', loss: { divergence: 'jsd', param: 1 } }], extra: true }));
    const r = lantern(file, '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/seed: /);
    expect(r.stderr).toMatch(/stages\.0\.loss\.param: .*β/);
    expect(r.stderr).toMatch(/warning: extra: unknown key/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('reports JSON syntax errors and usage errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-run-cli-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"version": 1,');
    const r = lantern(file, '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(lantern(file).stderr).toMatch(/--out is required/);
    expect(lantern(join(dir, 'missing.json'), '--out', dir).stderr).toMatch(/cannot read/);
  });
});

describe('Node host files', () => {
  it('writes artifacts atomically under scoped keys and never outside the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-store-'));
    const store = fileStore(dir).scoped('runs/a');
    await store.write('checkpoints/x/config.json', '{"a":1}');
    expect(new TextDecoder().decode((await store.read('checkpoints/x/config.json'))!)).toBe('{"a":1}');
    expect(readdirSync(join(dir, 'runs/a/checkpoints/x'))).toEqual(['config.json']);
    expect(await store.read('nothing.json')).toBeNull();
    await store.remove('checkpoints');
    expect(await store.read('checkpoints/x/config.json')).toBeNull();
    await expect(store.write('../../../escape.json', 'x')).rejects.toThrow(/leaves the output folder/);
  });

  it('reads a dataset file and names every bad line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-data-'));
    const [a, b] = generateDemoExamples({ seed: 1, n: 2 });
    writeFileSync(join(dir, 'good.jsonl'), `${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n`);
    expect((await readExamplesFile(join(dir, 'good.jsonl'))).map((e) => e.id)).toEqual([a!.id, b!.id]);
    writeFileSync(join(dir, 'bad.jsonl'), `${JSON.stringify(a)}\nnot json\n${JSON.stringify({ ...b, job: { ...b!.job, title: '' } })}\n`);
    await expect(readExamplesFile(join(dir, 'bad.jsonl'))).rejects.toThrow(/2 invalid entries:\n  line 2: not JSON[^\n]*\n  line 3: job\.title/);
    writeFileSync(join(dir, 'reviews.json'), JSON.stringify([{ exampleId: a!.id, decision: 'fixed', fixedLabel: 'high', reviewedAt: 'now' }, { exampleId: b!.id, decision: 'maybe', reviewedAt: 'now' }]));
    await expect(readReviewsFile(join(dir, 'reviews.json'))).rejects.toThrow(/item 2: decision/);
  });
});
