// The results files docs/results.md reports (docs/results/*.json, written by `lantern run`) are
// real results files: they parse with the one results reader the studio and the CLI use.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResultsJson } from '../../src/experiment/results.ts';

const DIR = new URL('../../docs/results/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('docs/results', () => {
  it('holds the results files docs/results.md cites', () => {
    const cited = [...readFileSync(new URL('../../docs/results.md', import.meta.url), 'utf8').matchAll(/docs\/results\/([\w.-]+\.json)/g)].map((m) => m[1]!);
    expect(cited.length).toBeGreaterThan(0);
    expect(FILES.sort()).toEqual([...new Set(cited)].sort());
  });

  it.each(FILES)('%s parses as a results file', (file) => {
    const parsed = parseResultsJson(readFileSync(new URL(file, DIR), 'utf8'));
    expect(['run', 'sweep']).toContain(parsed.kind);
  });
});
