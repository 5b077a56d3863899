import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoExamples, toJsonl } from '../../src/data/demo.ts';
import { StudentTokenizer } from '../../src/data/vocab.ts';
import { demoDataset, newDataset, withVocab } from '../../src/data/datasets.ts';
import { contentHash } from '../../src/data/hash.ts';

const run = promisify(execFile);
const CLI = new URL('../../cli/lantern.mjs', import.meta.url).pathname;

describe('lantern vocab', () => {
  it('builds the pruned vocabulary of a JSONL dataset, writes it, and reports sizes and compression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-vocab-'));
    const data = join(dir, 'demo.jsonl');
    const out = join(dir, 'vocab.json');
    writeFileSync(data, toJsonl(generateDemoExamples({ seed: 1, n: 25 })));
    const { stdout } = await run('node', [CLI, 'vocab', '--in', data, '--max-vocab', '700', '--out', out]);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ examples: 25, qwenVocabSize: 151669, maxVocab: 700, studentVocabSize: 700 });
    // Capped below what the data uses: more student tokens than Qwen tokens, never fewer.
    expect(report.tokens.student).toBeGreaterThan(report.tokens.qwen);
    expect(report.compression.charReduction).toBeGreaterThan(0.4);
    expect(report.compression.tokensAfter).toBeLessThan(report.compression.tokensBefore);
    const vocab = new StudentTokenizer(JSON.parse(readFileSync(out, 'utf8')), null);
    expect(vocab.size).toBe(700);
    await expect(run('node', [CLI, 'vocab', '--in', data, '--max-vocab', '10'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--max-vocab must be an integer ≥ 262') });
    await expect(run('node', [CLI, 'vocab'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--in is required') });
  });
});

describe('dataset records', () => {
  it('fill in splits and the content hash, and refuse splits naming unknown examples', async () => {
    const examples = generateDemoExamples({ seed: 1, n: 4 });
    const d = await newDataset({ name: ' mine ', examples, splits: { eval: [examples[3]!.id] } });
    expect(d.name).toBe('mine');
    expect(d.splits).toEqual({ raw: examples.map((e) => e.id), seed: [], synthetic: [], eval: [examples[3]!.id] });
    expect(d.contentHash).toBe(await contentHash(examples));
    // Order of examples and of object keys does not change the hash; content does.
    expect(await contentHash([...examples].reverse())).toBe(d.contentHash);
    expect(await contentHash([{ ...examples[0]!, job: { ...examples[0]!.job, title: 'Other' } }, ...examples.slice(1)])).not.toBe(d.contentHash);
    await expect(newDataset({ name: 'x', examples, splits: { seed: ['nope'] } })).rejects.toThrow(/names example "nope"/);
    await expect(newDataset({ name: 'x', examples: [examples[0]!, examples[0]!] })).rejects.toThrow(/unique/);
    const demo = await demoDataset(1, 4);
    expect(demo.dataset.contentHash).toBe(d.contentHash);
    expect(withVocab(demo.dataset, { format: 'lantern-student-vocab', version: 1, base: { name: 'Qwen3', vocabSize: 151669 }, specials: [], tokens: [], qwenIds: [], counts: [], maxVocab: 262 }).vocab).toMatchObject({ maxVocab: 262 });
  });
});
