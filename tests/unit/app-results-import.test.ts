// Opening results files in the studio: a results.json made elsewhere becomes an imported run (or
// is refused, storing nothing), the project's published files are listed and open, and the
// Compare view shows for them the figures docs/results.md reports.
import 'fake-indexeddb/auto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LanternStore } from '../../src/data/store.ts';
import { indexedDbArtifacts } from '../../src/experiment/run/browser-host.ts';
import { importResultsFile } from '../../src/app/lib/results-import.ts';
import { readResults, ResultsError } from '../../src/app/lib/results.ts';
import { loadPublished, PUBLISHED_RESULTS } from '../../src/app/lib/published-results.ts';
import { CompareState } from '../../src/app/state/compare.svelte.ts';
import { cellText } from '../../src/experiment/run/report.ts';
import { explainStages, finalStudents, formatSummary, lossSweepTable, stagedVsDirect } from '../../src/app/lib/paper-views.ts';

const DOCS = new URL('../../docs/results/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, DOCS), 'utf8');
const DEMO = read('demo.json');
const STAGED = read('staged-vs-direct.laptop.json');

let n = 0;
const opened: LanternStore[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  vi.restoreAllMocks();
});
async function freshStore(): Promise<LanternStore> {
  const s = await LanternStore.open({ name: `results-import-${process.pid}-${++n}`, storage: null });
  opened.push(s);
  return s;
}
const decode = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);

async function expectNothingStored(store: LanternStore) {
  expect(await store.listRuns()).toEqual([]);
  expect(await store.listCheckpoints()).toEqual([]);
}

describe('importing a results file', () => {
  it('keeps a single run as a finished, imported run whose one artifact is the file', async () => {
    const store = await freshStore();
    const at = new Date('2026-12-01T10:00:00Z');
    const record = await importResultsFile(store, DEMO, 'demo.json', { id: 'imp-1', now: at });
    const file = JSON.parse(DEMO);
    expect(record).toMatchObject({ id: 'imp-1', name: file.experiment.name, status: 'done', imported: { file: 'demo.json', at: at.toISOString() }, metrics: {} });
    expect(record.device).toBeUndefined();
    // The run list's headline metrics come from the file's own figures.
    const classifier = file.stages.find((s: { id: string }) => s.id === 'classifier');
    expect(record.summary?.['classifier.macroF1']).toBe(classifier.metrics.macroF1);
    expect(await store.getRun('imp-1')).toEqual(record);
    const artifacts = indexedDbArtifacts(store, 'imp-1');
    expect(decode(await artifacts.read('results.json'))).toBe(DEMO);
    // Nothing else: no checkpoints of any stage.
    expect((await store.listCheckpoints('imp-1')).map((c) => c.id)).toEqual(['imp-1/results.json']);
    expect(await artifacts.read('checkpoints/classifier/model.safetensors')).toBeNull();
  });

  it('keeps a sweep, named from its experiment, without a summary (a sweep has none)', async () => {
    const store = await freshStore();
    const record = await importResultsFile(store, STAGED, 'staged.json', { id: 'imp-sweep' });
    expect(record.name).toBe(JSON.parse(STAGED).experiment.name);
    expect(record.summary).toBeUndefined();
    const back = readResults(decode(await indexedDbArtifacts(store, 'imp-sweep').read('results.json'))!);
    expect(back.kind).toBe('sweep');
  });

  it('refuses broken JSON, naming the problem, and stores nothing', async () => {
    const store = await freshStore();
    await expect(importResultsFile(store, DEMO.slice(0, 500), 'cut.json')).rejects.toThrow(ResultsError);
    await expect(importResultsFile(store, '{"format": "lantern-results",', 'cut.json')).rejects.toThrow(/^not a results file: .*JSON/);
    await expectNothingStored(store);
  });

  it('refuses a JSON file that is not a results file (an experiment), naming the format', async () => {
    const store = await freshStore();
    const experiment = readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8');
    await expect(importResultsFile(store, experiment, 'demo-experiment.json')).rejects.toThrow('not a results file: format is undefined, expected "lantern-results" or "lantern-sweep-results"');
    await expectNothingStored(store);
  });

  it('refuses a results file with a bad field, naming the field', async () => {
    const store = await freshStore();
    const bad = JSON.parse(DEMO);
    bad.stages[0].parameters = -3;
    await expect(importResultsFile(store, JSON.stringify(bad), 'bad.json')).rejects.toThrow(/invalid lantern-results file: stages\.0\.parameters: /);
    await expectNothingStored(store);
  });

  it('takes the file back out when the run record cannot be written', async () => {
    const store = await freshStore();
    vi.spyOn(store, 'putRun').mockRejectedValueOnce(new Error('quota exceeded'));
    await expect(importResultsFile(store, DEMO, 'demo.json')).rejects.toThrow('quota exceeded');
    await expectNothingStored(store);
  });
});

describe('published results', () => {
  const files = readdirSync(DOCS).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();

  it('lists every docs/results file by its experiment name, with the example and command that wrote it', () => {
    expect(PUBLISHED_RESULTS.map((p) => p.id)).toEqual(files);
    for (const p of PUBLISHED_RESULTS) {
      expect(p.name).toBe(JSON.parse(read(`${p.id}.json`)).experiment.name);
      expect(existsSync(new URL(`../../examples/${p.id}.json`, import.meta.url))).toBe(true);
      // docs/results.md gives the same command for the same example.
      expect(readFileSync(new URL('../../docs/results.md', import.meta.url), 'utf8')).toContain(`npx lantern run examples/${p.id}.json --out`);
    }
  });

  it('reads a published file when opened, and names the published ones for an unknown id', async () => {
    const demo = await loadPublished('demo');
    expect(demo.kind).toBe('run');
    expect(demo.results.experiment.name).toBe(JSON.parse(DEMO).experiment.name);
    await expect(loadPublished('nope')).rejects.toThrow(/No published results "nope" \(published: demo, /);
  });
});

/** Every table cell of docs/results.md's section on a file that holds an interval ("0.425 [0.351, 0.502]"). */
function docsFigures(id: string): string[] {
  const md = readFileSync(new URL('../../docs/results.md', import.meta.url), 'utf8');
  const section = md.split(/\n(?=## )/).find((s) => s.includes(`docs/results/${id}.json`));
  if (!section) throw new Error(`docs/results.md has no section on docs/results/${id}.json`);
  const cells = section.split('\n').filter((l) => l.startsWith('|')).flatMap((l) => l.split('|').map((c) => c.trim()));
  // docs write signs with − and +; the studio writes "-" and no plus.
  return cells.filter((c) => /^[−+-]?\d\.\d{3} \[/.test(c)).map((c) => c.replace(/−/g, '-').replace(/\+/g, ''));
}

describe('the Compare view of the published files', () => {
  it.each(PUBLISHED_RESULTS.map((p) => p.id))('%s: shows every figure docs/results.md reports for it', async (id) => {
    const page = new CompareState(null, [], id);
    await page.load();
    expect(page.error).toBeNull();
    const sweep = page.sweep!;
    const shown = new Set(page.metricTables.flatMap((t) => t.rows.flatMap((r) => r.cells.map(cellText))));
    // The paper views the page draws (a loss sweep of more than one group; staged vs direct with two chains or more).
    for (const stage of explainStages(sweep.experiment)) {
      const table = lossSweepTable(sweep, stage.id);
      if (table.rows.length > 1) for (const r of table.rows) for (const c of r.cells) shown.add(formatSummary(c));
    }
    if (finalStudents(sweep.experiment).length >= 2) {
      const chains = stagedVsDirect(sweep);
      for (const c of [...chains.chains.flatMap((r) => r.cells), ...(chains.difference?.cells ?? [])]) shown.add(formatSummary(c));
    }
    const reported = docsFigures(id);
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.filter((f) => !shown.has(f))).toEqual([]);
  });

  it('staged vs direct names each final student with its parameter count, and pairs the two small ones', async () => {
    const page = new CompareState(null, [], 'staged-vs-direct.laptop');
    await page.load();
    const chains = stagedVsDirect(page.sweep!);
    const file = JSON.parse(STAGED);
    expect(chains.chains.map((c) => [c.stageId, c.parameters])).toEqual(['small-staged', 'small-direct'].map((id) => [id, file.rows[0].parameters[id]]));
    expect(chains.difference).toMatchObject({ a: 'small-staged', b: 'small-direct' });
    // docs/results.md: "staged and direct cannot be told apart" — so the view marks neither.
    expect(chains.chains.flatMap((c) => c.cells.map((cell) => cell.best))).not.toContain(true);
  });
});
