// The IndexedDB store in Node on fake-indexeddb (the same code runs in Chromium: tests/e2e/store.test.ts).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import { DB_VERSION, LanternStore, StorageQuotaError, StoreClosedError, type StorageManagerLike } from '../../src/data/store.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { emptySplits, type Dataset, type Review, type TeacherLabel } from '../../src/data/schema.ts';
import { contentHash } from '../../src/data/hash.ts';

let dbCounter = 0;
const freshName = () => `lantern-test-${process.pid}-${++dbCounter}`;
const opened: LanternStore[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  vi.restoreAllMocks();
});

async function open(opts: Parameters<typeof LanternStore.open>[0] = {}): Promise<LanternStore> {
  const s = await LanternStore.open({ storage: null, ...opts });
  opened.push(s);
  return s;
}

async function demoDataset(id: string, n = 6) {
  const examples = generateDemoExamples({ seed: 4, n });
  const dataset: Dataset = { id, name: `demo ${id}`, createdAt: '2026-01-01T00:00:00Z', splits: { ...emptySplits(), raw: examples.map((e) => e.id) }, contentHash: await contentHash(examples) };
  return { dataset, examples };
}

const teacher = { provider: 'offline', model: 'rules-v1', templateVersion: 't1' };
function label(exampleId: string, fit: TeacherLabel['label'], t = teacher): TeacherLabel {
  return { exampleId, teacher: t, label: fit, labelProbs: null, explanation: `fit is ${fit}`, createdAt: '2026-01-02T00:00:00Z' };
}

describe('LanternStore (fake-indexeddb)', () => {
  it('saves and reads datasets, examples, labels, reviews, runs and sweeps', async () => {
    const store = await open({ name: freshName() });
    expect(store.version).toBe(DB_VERSION);
    const a = await demoDataset('a');
    const b = await demoDataset('b', 3);
    await store.saveDataset(a.dataset, a.examples);
    await store.saveDataset(b.dataset, b.examples);
    expect((await store.listDatasets()).map((d) => d.id).sort()).toEqual(['a', 'b']);
    // The same example ids live independently in two datasets.
    expect(await store.countExamples('a')).toBe(6);
    expect(await store.countExamples('b')).toBe(3);
    expect((await store.getExamples('a')).map((e) => e.id).sort()).toEqual(a.examples.map((e) => e.id).sort());
    expect(await store.getExample('a', a.examples[0]!.id)).toEqual(a.examples[0]);
    // Read in steps: batches of 4 after the last id read, in id order, only this dataset's.
    const first = await store.getExamplesAfter('a', null, 4);
    const rest = await store.getExamplesAfter('a', first.at(-1)!.id, 4);
    expect([...first, ...rest].map((e) => e.id)).toEqual(a.examples.map((e) => e.id).sort());
    expect(await store.getExamplesAfter('a', rest.at(-1)!.id, 4)).toEqual([]);

    const other = { ...teacher, model: 'gpt-x' };
    await store.putLabels('a', [label(a.examples[0]!.id, 'high'), label(a.examples[1]!.id, 'low'), label(a.examples[0]!.id, 'medium', other)]);
    await store.putLabels('a', [label(a.examples[0]!.id, 'low')]); // replaces the first one
    expect((await store.getLabels('a', a.examples[0]!.id)).map((l) => `${l.teacher.model}:${l.label}`).sort()).toEqual(['gpt-x:medium', 'rules-v1:low']);
    expect((await store.getLabelsByTeacher('a', teacher)).length).toBe(2);
    expect(await store.getLabels('b')).toEqual([]);

    const review: Review = { exampleId: a.examples[0]!.id, decision: 'fixed', fixedLabel: 'medium', note: 'years short', reviewedAt: '2026-01-03T00:00:00Z' };
    await store.putReview('a', review);
    expect(await store.getReviews('a')).toEqual([review]);
    // Bulk decisions in one write; removing one takes the example back to pending.
    const bulk: Review[] = [1, 2].map((i) => ({ exampleId: a.examples[i]!.id, decision: 'accepted', reviewedAt: 'later' }));
    await store.putReviews('a', bulk);
    expect((await store.getReviews('a')).map((r) => r.exampleId).sort()).toEqual([review, ...bulk].map((r) => r.exampleId).sort());
    await store.deleteReview('a', a.examples[1]!.id);
    expect((await store.getReviews('a')).map((r) => r.exampleId).sort()).toEqual([review, bulk[1]!].map((r) => r.exampleId).sort());

    await store.putSweep({ id: 'sw1', createdAt: 'now', config: { paths: ['loss.kind'] }, runIds: ['r1'] });
    await store.putRun({ id: 'r1', createdAt: 'now', updatedAt: 'now', status: 'running', config: { seed: 1 }, metrics: { 'train/loss': [[0, 2.3], [10, 1.9]] }, sweepId: 'sw1' });
    expect((await store.listRuns('sw1')).map((r) => r.id)).toEqual(['r1']);
    expect((await store.getRun('r1'))?.metrics['train/loss']).toEqual([[0, 2.3], [10, 1.9]]);
    expect((await store.getSweep('sw1'))?.runIds).toEqual(['r1']);

    // The pruned vocabulary is saved with the dataset; examples are untouched.
    await store.updateDataset({ ...a.dataset, vocab: { maxVocab: 300 }, splits: { ...a.dataset.splits, eval: [a.examples[5]!.id] } });
    expect((await store.getDataset('a'))?.vocab).toEqual({ maxVocab: 300 });
    expect((await store.getDataset('a'))?.splits.eval).toEqual([a.examples[5]!.id]);
    expect(await store.countExamples('a')).toBe(6);
    await expect(store.updateDataset({ ...a.dataset, id: 'nope' })).rejects.toThrow(/No dataset with id "nope"/);

    await store.deleteDataset('a');
    expect(await store.getDataset('a')).toBeUndefined();
    expect(await store.countExamples('a')).toBe(0);
    expect(await store.getLabels('a')).toEqual([]);
    expect(await store.getReviews('a')).toEqual([]);
    expect(await store.countExamples('b')).toBe(3);
  });

  it('stores checkpoints as chunks and reads back the exact bytes', async () => {
    const store = await open({ name: freshName(), chunkBytes: 1000 });
    const bytes = new Uint8Array(3500).map((_, i) => (i * 7) & 255);
    const record = await store.putCheckpoint({ id: 'c1', runId: 'r1', step: 100, createdAt: 'now', format: 'safetensors' }, bytes);
    expect(record).toMatchObject({ chunkCount: 4, byteLength: 3500, chunkBytes: 1000 });
    expect(await store.getCheckpointBytes('c1')).toEqual(bytes);
    // Replacing with a smaller checkpoint leaves no stale chunks behind.
    const smaller = new Uint8Array(1200).fill(9);
    await store.putCheckpoint({ id: 'c1', runId: 'r1', step: 200, createdAt: 'now', format: 'safetensors' }, smaller);
    expect(await store.getCheckpointBytes('c1')).toEqual(smaller);
    await store.putRun({ id: 'r1', createdAt: 'now', updatedAt: 'now', status: 'done', config: {}, metrics: {} });
    await store.deleteRun('r1');
    expect(await store.listCheckpoints('r1')).toEqual([]);
    await expect(store.getCheckpointBytes('c1')).rejects.toThrow(/No checkpoint/);
  });

  it('upgrades a version-1 database to the latest version and keeps its data', async () => {
    const name = freshName();
    const old = await LanternStore.open({ name, version: 1, storage: null });
    expect(old.objectStoreNames.sort()).toEqual(['datasets', 'examples', 'labels', 'reviews']);
    const a = await demoDataset('a', 4);
    await old.saveDataset(a.dataset, a.examples);
    await old.putLabels('a', [label(a.examples[2]!.id, 'medium')]);
    await old.putReview('a', { exampleId: a.examples[2]!.id, decision: 'accepted', reviewedAt: 'then' });
    old.close();

    const store = await open({ name });
    expect(store.version).toBe(DB_VERSION);
    expect(store.objectStoreNames).toEqual(expect.arrayContaining(['runs', 'sweeps', 'checkpoints', 'checkpointChunks']));
    expect(await store.getDataset('a')).toEqual(a.dataset);
    expect(await store.getExamples('a')).toHaveLength(4);
    // The index added in version 2 covers labels written under version 1.
    expect((await store.getLabelsByTeacher('a', teacher)).map((l) => l.label)).toEqual(['medium']);
    expect(await store.getReviews('a')).toHaveLength(1);
  });

  it('refuses a large write when storage.estimate() shows too little room, and writes nothing', async () => {
    const storage: StorageManagerLike = { estimate: async () => ({ usage: 9_900_000, quota: 10_000_000 }), persist: vi.fn(async () => true) };
    const store = await open({ name: freshName(), storage });
    const err = await store.putCheckpoint({ id: 'big', runId: 'r', step: 1, createdAt: 'now', format: 'x' }, new Uint8Array(500_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect((err as Error).message).toMatch(/Not enough browser storage to save checkpoint big.*0\.1 MB of 9\.5 MB is free\. Nothing was saved/);
    expect(await store.listCheckpoints()).toEqual([]);
    expect(storage.persist).not.toHaveBeenCalled();
  });

  it('turns a QuotaExceededError during a write into a clear error and leaves nothing half-written', async () => {
    const store = await open({ name: freshName() });
    const { dataset, examples } = await demoDataset('q', 8);
    const realPut = IDBObjectStore.prototype.put;
    let puts = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++puts === 5) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, args);
    });
    const err = await store.saveDataset(dataset, examples).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(puts).toBe(5);
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect((err as Error).message).toMatch(/ran out of storage while saving dataset "demo q"; nothing was saved/);
    expect(await store.getDataset('q')).toBeUndefined();
    expect(await store.countExamples('q')).toBe(0);
    // The store still works afterwards.
    await store.saveDataset(dataset, examples);
    expect(await store.countExamples('q')).toBe(8);
  });

  it('asks for persistent storage once, after the first save of user work', async () => {
    const storage: StorageManagerLike = { estimate: async () => ({ usage: 0, quota: 1e9 }), persist: vi.fn(async () => true) };
    const store = await open({ name: freshName(), storage });
    await store.listDatasets();
    expect(storage.persist).not.toHaveBeenCalled();
    const { dataset, examples } = await demoDataset('p', 2);
    await store.saveDataset(dataset, examples);
    await store.putLabels('p', [label(examples[0]!.id, 'high')]);
    expect(storage.persist).toHaveBeenCalledTimes(1);
    expect(store.persisted).toBe(true);
  });

  it('closes an old connection when another tab upgrades, with a message, and says so on the next call', async () => {
    const name = freshName();
    const onVersionChange = vi.fn();
    const old = await open({ name, version: 1, onVersionChange });
    const newer = await open({ name });
    expect(newer.version).toBe(DB_VERSION);
    expect(onVersionChange).toHaveBeenCalledTimes(1);
    expect(onVersionChange.mock.calls[0]![0]).toMatch(/updated in another tab.*reload/);
    await expect(old.listDatasets()).rejects.toBeInstanceOf(StoreClosedError);
    await expect(old.listDatasets()).rejects.toThrow(/reload/);
  });

  it('reports an upgrade blocked by a connection that does not let go, and finishes once it closes', async () => {
    const name = freshName();
    (await LanternStore.open({ name, version: 1, storage: null })).close();
    // A connection from code that ignores versionchange events (an old build of the studio).
    const stubborn = await openDB(name, 1);
    const onBlocked = vi.fn();
    const pending = LanternStore.open({ name, storage: null, onBlocked });
    await vi.waitFor(() => expect(onBlocked).toHaveBeenCalled());
    expect(onBlocked.mock.calls[0]![0]).toMatch(/another Lantern Studio tab.*Close or reload/);
    stubborn.close();
    const store = await pending;
    opened.push(store);
    expect(store.version).toBe(DB_VERSION);
  });
});
