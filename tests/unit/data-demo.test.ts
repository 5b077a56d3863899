import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoExamples, toJsonl } from '../../src/data/demo.ts';
import { Example, FIT_LABELS } from '../../src/data/schema.ts';
import { OCCUPATIONS, findCertifications, findSkills, findYearsRequired } from '../../src/data/lexicon.ts';

const run = promisify(execFile);
const CLI = new URL('../../cli/lantern.mjs', import.meta.url).pathname;

describe('demo-data generator', () => {
  it('is deterministic: same seed same bytes, different seed different data', () => {
    const a = toJsonl(generateDemoExamples({ seed: 7, n: 60 }));
    const b = toJsonl(generateDemoExamples({ seed: 7, n: 60 }));
    const c = toJsonl(generateDemoExamples({ seed: 8, n: 60 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    // Example i does not depend on n: a shorter run is a prefix of a longer one.
    expect(a.startsWith(toJsonl(generateDemoExamples({ seed: 7, n: 10 })))).toBe(true);
  });

  it('writes valid examples with unique ids across every occupation', () => {
    const examples = generateDemoExamples({ seed: 1, n: 300 });
    for (const e of examples) expect(() => Example.parse(e)).not.toThrow();
    expect(new Set(examples.map((e) => e.id)).size).toBe(examples.length);
    const occupations = new Set(examples.map((e) => e.meta?.occupation));
    expect(occupations.size).toBe(OCCUPATIONS.length);
    expect(occupations.size).toBeGreaterThanOrEqual(8);
    expect(new Set(examples.map((e) => e.job.remotePolicy))).toEqual(new Set(['onsite', 'hybrid', 'remote']));
  });

  it('balances the intended fit levels and includes near-boundary cases', () => {
    const examples = generateDemoExamples({ seed: 3, n: 301 });
    const counts = Object.fromEntries(FIT_LABELS.map((l) => [l, examples.filter((e) => e.meta?.intendedFit === l).length]));
    for (const l of FIT_LABELS) expect(Math.abs(counts[l]! - 301 / 3)).toBeLessThanOrEqual(1);
    const ambiguous = examples.filter((e) => e.meta?.ambiguous).length / examples.length;
    expect(ambiguous).toBeGreaterThan(0.1);
    expect(ambiguous).toBeLessThan(0.3);
  });

  it('writes postings a reader can check: years, must-have skills, certifications', () => {
    const examples = generateDemoExamples({ seed: 5, n: 90 });
    for (const e of examples) {
      expect(findYearsRequired(e.job.description)).not.toBeNull();
      expect(findSkills(e.job.description).length).toBeGreaterThanOrEqual(4);
    }
    const nursing = examples.filter((e) => e.meta?.occupation === 'nursing');
    expect(nursing.length).toBeGreaterThan(0);
    for (const e of nursing) expect(findCertifications(e.job.description)).toContain('BLS');
  });

  it('varies its phrasing: bullet styles, heading styles, synonyms, typos', () => {
    const text = generateDemoExamples({ seed: 6, n: 200 }).map((e) => e.job.description).join('\n');
    for (const bullet of ['- ', '• ', '* ', '– ', '1. ']) expect(text).toContain(`\n${bullet}`);
    expect(text).toMatch(/^## /m);
    expect(text).toMatch(/^[A-Z' ]{8,}$/m); // an all-caps heading
    // Skills written as synonyms, recognised as the same skill.
    expect(text).toMatch(/\b(k8s|JS|ReactJS|React\.js|Postgres|RESTful)\b/);
    // Filler words with two neighbouring letters swapped.
    const swaps = (w: string) => Array.from({ length: w.length - 1 }, (_, i) => w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2)).filter((x) => x !== w);
    const typos = ['environment', 'excellent', 'collaborative', 'ambitious', 'communities', 'passionate'].flatMap(swaps);
    const allText = text + generateDemoExamples({ seed: 6, n: 200 }).map((e) => e.profile.summary).join('\n');
    expect(typos.filter((t) => new RegExp(`\\b${t}\\b`).test(allText)).length).toBeGreaterThan(0);
    const templates = new Set(text.split('\n').filter((l) => /years/.test(l)).map((l) => l.replace(/\d+|[A-Z][a-z]+ or more/g, 'N').replace(/as an? .* or similar role/, 'as R or similar role').slice(0, 24)));
    expect(templates.size).toBeGreaterThanOrEqual(5);
  });

  it('aims profiles at their fit: high-fit candidates cover more of the posting than low-fit ones', () => {
    const examples = generateDemoExamples({ seed: 11, n: 300 });
    const coverage = (e: Example) => {
      const wanted = findSkills(e.job.description);
      const has = new Set(findSkills([e.profile.headline, e.profile.summary, ...e.profile.skills, ...e.profile.experience.map((x) => x.description)].join('\n')));
      return wanted.filter((s) => has.has(s)).length / wanted.length;
    };
    const mean = (fit: string) => {
      const xs = examples.filter((e) => e.meta?.intendedFit === fit).map(coverage);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean('high')).toBeGreaterThan(mean('medium'));
    expect(mean('medium')).toBeGreaterThan(mean('low'));
  });

  it('lantern demo-data writes the same JSONL as the library, and rejects bad arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-demo-'));
    const out = join(dir, 'demo.jsonl');
    await run('node', [CLI, 'demo-data', '--seed', '2', '--n', '12', '--out', out]);
    const text = readFileSync(out, 'utf8');
    expect(text).toBe(toJsonl(generateDemoExamples({ seed: 2, n: 12 })));
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(12);
    for (const line of lines) expect(Object.keys(JSON.parse(line))).toEqual(expect.arrayContaining(['id', 'job', 'profile']));
    await expect(run('node', [CLI, 'demo-data', '--seed', 'x', '--n', '2'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--seed must be an integer') });
    await expect(run('node', [CLI, 'demo-data', '--n', '2'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--seed is required') });
  });
});
