// The Data page's import flow with the import worker's session in-process (fake-indexeddb): file
// checks, suggested mapping, the bad-row report before any write, cancel, import of the valid rows
// with label columns, the demo button, and reading a file in chunks as strict UTF-8.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { LanternStore } from '../../src/data/store.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { readImportFile } from '../../src/data/import-file.ts';
import { ImportSession } from '../../src/app/lib/import-session.ts';
import { ImportFlow, type ImportBackend } from '../../src/app/state/import-flow.svelte.ts';
import type { StoreChange } from '../../src/app/state/studio.svelte.ts';

let n = 0;
const opened: LanternStore[] = [];
afterEach(() => opened.splice(0).forEach((s) => s.close()));

async function setup() {
  const store = await LanternStore.open({ name: `import-${process.pid}-${++n}`, storage: null });
  opened.push(store);
  const session = new ImportSession(async () => store);
  let cancelled = 0;
  const backend: ImportBackend = {
    read: (file, onProgress, encoding) => session.read(file, (p) => onProgress(p.bytesRead, p.totalBytes), undefined, encoding),
    check: (m, l) => session.check(m, l),
    commit: (o) => session.commit(o),
    loadDemo: (s, k) => session.loadDemo(s, k),
    cancel: () => void cancelled++,
  };
  const changes: StoreChange[] = [];
  const openedIds: string[] = [];
  const flow = new ImportFlow(backend, (c) => changes.push(c), (id) => openedIds.push(id));
  return { store, flow, changes, openedIds, cancelled: () => cancelled };
}

/** 8 pairs as CSV with label columns; row 3 has an unknown remote policy, row 6 an unreadable label. */
function labelledCsv(): string {
  const rows = generateDemoExamples({ seed: 6, n: 8 }).map((e, i) => ({
    id: e.id,
    title: e.job.title,
    remote: i === 2 ? 'on the moon' : e.job.remotePolicy,
    description: e.job.description,
    headline: e.profile.headline,
    skills: e.profile.skills.join(', '),
    fit: i === 5 ? 'excellent' : (['low', 'Medium', 'HIGH', '2'] as const)[i % 4],
    rationale: `because ${i}`,
  }));
  return Papa.unparse(rows, { newline: '\n' });
}

describe('ImportFlow', () => {
  it('suggests a mapping, reports bad rows before writing, and imports the valid rows with their labels', async () => {
    const { store, flow, changes, openedIds } = await setup();
    await flow.chooseFile(new File([labelledCsv()], 'hiring.csv', { type: 'text/csv' }));
    expect(flow.step).toBe('mapping');
    expect(flow.totalBytes).toBeGreaterThan(0);
    expect(flow.bytesRead).toBe(flow.totalBytes);
    expect(flow.source?.rowCount).toBe(8);
    expect([flow.fields['job.title'], flow.fields['job.remotePolicy'], flow.fields['profile.headline'], flow.labelColumn, flow.explanationColumn]).toEqual(['title', 'remote', 'headline', 'fit', 'rationale']);
    expect(flow.missingRequired).toEqual([]);
    expect(flow.name).toBe('hiring');

    await flow.check();
    expect(flow.step).toBe('report');
    expect(flow.report).toMatchObject({ rowCount: 8, valid: 6, invalidRows: 2, labels: 6 });
    expect(flow.report!.errors.map((e) => e.field)).toEqual(['job.remotePolicy (column "remote")', 'label (column "fit")']);
    expect(await store.listDatasets()).toEqual([]);

    await flow.commit();
    expect(flow.step).toBe('idle');
    expect(flow.notice).toMatch(/Imported 6 pairs into "hiring"; 2 invalid rows were left out, with 6 labels from the file/);
    const [dataset] = await store.listDatasets();
    expect(openedIds).toEqual([dataset!.id]);
    expect(changes).toEqual([{ datasetId: dataset!.id, what: 'dataset' }]);
    expect(await store.countExamples(dataset!.id)).toBe(6);
    // Rows 0, 1, 3, 4, 6, 7 are valid; their labels read "low", "Medium", "2", "low", "HIGH", "2".
    const labels = new Map((await store.getLabels(dataset!.id)).map((l) => [l.exampleId, l]));
    const ids = (await store.getExamples(dataset!.id)).map((e) => e.id).sort();
    expect(ids.map((id) => labels.get(id)?.label)).toEqual(['low', 'medium', 'high', 'low', 'high', 'high']);
    expect(labels.get(ids[0]!)!.teacher).toEqual({ provider: 'import', model: 'hiring.csv', templateVersion: 'file' });
    expect([...labels.values()].every((l) => l.explanation.startsWith('because'))).toBe(true);
  });

  it('needs every required field mapped or given a value, and cancelling writes nothing', async () => {
    const { store, flow, cancelled } = await setup();
    const csv = 'title,description,headline\nNurse,Requirements:\n- RN license,Registered nurse\n';
    await flow.chooseFile(new File([csv.replace('Requirements:\n- RN license', '"Requirements:\n- RN license"')], 'x.csv'));
    expect(flow.missingRequired).toEqual(['job.remotePolicy']);
    flow.constants['job.remotePolicy'] = 'On-site';
    expect(flow.missingRequired).toEqual([]);
    await flow.check();
    expect(flow.report).toMatchObject({ valid: 1, invalidRows: 0 });
    flow.cancel();
    expect(flow.step).toBe('idle');
    expect(flow.notice).toMatch(/nothing was written/);
    expect(cancelled()).toBe(0); // nothing was running: no worker to stop
    expect(await store.listDatasets()).toEqual([]);
  });

  it('refuses wrong files in words, and loads the demo once (a second click opens the stored one)', async () => {
    const { flow, store } = await setup();
    await flow.chooseFile(new File(['PK'], 'sheet.xlsx'));
    expect(flow.error).toMatch(/is a \.xlsx file.*CSV UTF-8/);
    await flow.chooseFile(new File(['[{"a":1}]'], 'array.json'));
    expect(flow.error).toMatch(/one JSON array.*JSON Lines/);
    await flow.chooseFile(new File(['id\n'], 'header-only.csv'));
    expect(flow.step).toBe('mapping');

    await flow.loadDemo(3, 12);
    expect(flow.notice).toBe('Loaded "Demo (seed 3, 12 pairs)".');
    await store.updateDataset({ ...(await store.getDataset('demo-3-12'))!, splits: { ...(await store.getDataset('demo-3-12'))!.splits, seed: ['demo-3-00001'] } });
    await flow.loadDemo(3, 12);
    expect(flow.notice).toMatch(/already loaded.*kept/);
    expect((await store.getDataset('demo-3-12'))?.splits.seed).toEqual(['demo-3-00001']);
    await flow.loadDemo(3, 1);
    expect(flow.demoMessage).toMatch(/3 to 100,000 pairs/);
  });
});

describe('a file that is not UTF-8', () => {
  // "Café" and "Müller" as Excel on Windows writes them (é = 0xE9, ü = 0xFC): not UTF-8.
  const cp1252 = (text: string) => Uint8Array.from(text, (ch) => ({ é: 0xe9, ü: 0xfc })[ch as 'é'] ?? ch.charCodeAt(0));
  const csv = () => {
    const [a, b] = generateDemoExamples({ seed: 9, n: 2 });
    const row = (e: typeof a, title: string) => [e!.id, title, 'remote', JSON.stringify(e!.job.description), e!.profile.headline].join(',');
    return ['id,title,remote,description,headline', row(a, 'Data engineer'), row(b, 'Café manager at Müller')].join('\n');
  };

  it('reports the rows whose bytes are not UTF-8, then reads the file as windows-1252 on request and imports every row intact', async () => {
    const { store, flow } = await setup();
    const file = new File([cp1252(csv())], 'excel.csv', { type: 'text/csv' });
    await flow.chooseFile(file);
    expect(flow.step).toBe('mapping');
    expect(flow.source).toMatchObject({ encoding: 'utf-8', rowCount: 2, unreadable: 1, notUtf8: 1 });
    expect(flow.encodingMayHelp).toBe(true);
    await flow.check();
    expect(flow.report?.valid).toBe(1);
    expect(flow.report?.errors[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/not UTF-8 text \(byte 0xE9.*windows-1252/) });

    await flow.readAs('windows-1252');
    expect(flow.source).toMatchObject({ encoding: 'windows-1252', rowCount: 2, unreadable: 0, notUtf8: 0 });
    await flow.check();
    expect(flow.report).toMatchObject({ valid: 2, invalidRows: 0 });
    expect(flow.encodingMayHelp).toBe(false);
    await flow.commit();
    const [dataset] = await store.listDatasets();
    const titles = (await store.getExamples(dataset!.id)).map((e) => e.job.title);
    expect(titles).toContain('Café manager at Müller');
  });
});

describe('readImportFile', () => {
  it('reads a file\'s bytes in chunks with progress, refusing binary files', async () => {
    const text = 'id,title\n' + Array.from({ length: 2000 }, (_, i) => `r${i},Café ${i}`).join('\n');
    const bytes = new TextEncoder().encode(text);
    // Chunks of 1000 bytes split some "é" (2 bytes) across two chunks.
    const chunked = Object.assign(new Blob([bytes]), {
      name: 'big.csv',
      stream: () => new ReadableStream<Uint8Array>({ start(c) { for (let at = 0; at < bytes.length; at += 1000) c.enqueue(bytes.slice(at, at + 1000)); c.close(); } }),
    });
    const progress: number[] = [];
    expect(new TextDecoder().decode(await readImportFile(chunked, { onProgress: (p) => progress.push(p.bytesRead) }))).toBe(text);
    expect(progress).toHaveLength(Math.ceil(bytes.length / 1000));
    expect(progress.at(-1)).toBe(bytes.length);
    await expect(readImportFile(new File(['  [{"id": 1}]'], 'rows.json'))).rejects.toThrow(/one JSON array.*JSON Lines/);
    await expect(readImportFile(new File([new Uint8Array([0x50, 0x4b, 0, 0, 1])], 'data.csv'))).rejects.toThrow(/not a text file/);
    await expect(readImportFile(new File([], 'empty.csv'))).rejects.toThrow(/is empty/);
  });
});
