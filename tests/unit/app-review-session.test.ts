// The Review page's session on a real LanternStore (fake-indexeddb): decisions saved at once, keys
// applied in order while saving, undo, bulk decisions, a failed write, and the seed split.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LanternStore } from '../../src/data/store.ts';
import { demoDataset } from '../../src/data/datasets.ts';
import type { Review, TeacherLabel } from '../../src/data/schema.ts';
import { ReviewSession } from '../../src/app/state/review-session.svelte.ts';
import type { StoreChange } from '../../src/app/state/studio.svelte.ts';

let n = 0;
const opened: LanternStore[] = [];
afterEach(() => opened.splice(0).forEach((s) => s.close()));

async function setup(size = 6) {
  const store = await LanternStore.open({ name: `review-${process.pid}-${++n}`, storage: null });
  opened.push(store);
  const { dataset, examples } = await demoDataset(4, size);
  await store.saveDataset(dataset, examples);
  const teacher = { provider: 'offline', model: 'm', templateVersion: 't' };
  const labels: TeacherLabel[] = examples.map((e, i) => ({ exampleId: e.id, teacher, label: (['low', 'medium', 'high'] as const)[i % 3]!, labelProbs: { low: 0.2, medium: 0.2, high: 0.6 }, explanation: `explanation ${i}`, createdAt: 't' }));
  await store.putLabels(dataset.id, labels);
  const changes: StoreChange[] = [];
  let clock = 0;
  const session = new ReviewSession({ store: async () => store, changed: (c) => changes.push(c), now: () => `2026-01-01T00:00:${String(clock++).padStart(2, '0')}Z` });
  session.load(dataset, examples, new Map(labels.map((l) => [l.exampleId, l])), new Map());
  const reviews = async () => new Map((await store.getReviews(dataset.id)).map((r) => [r.exampleId, r]));
  return { store, session, dataset, examples, changes, reviews };
}

describe('ReviewSession', () => {
  it('saves each decision at once, advances, and applies keys pressed during a save to the next pair', async () => {
    const { session, changes, reviews } = await setup();
    const order = [...session.queue];
    expect(order).toHaveLength(6);
    // Three keys in a row, without waiting: accept, then "3" and reject belong to the second pair.
    void session.perform({ type: 'accept' });
    void session.perform({ type: 'label', label: 'high' });
    await session.perform({ type: 'reject' });
    const saved = await reviews();
    expect(saved.get(order[0]!)?.decision).toBe('accepted');
    expect(saved.get(order[1]!)?.decision).toBe('rejected');
    expect(session.current?.exampleId).toBe(order[2]);
    expect(session.counts).toEqual({ pending: 4, accepted: 1, fixed: 0, rejected: 1 });
    expect(changes.every((c) => c.what === 'reviews')).toBe(true);
  });

  it('records fixes, undoes back to the earlier state, and keeps the queue order', async () => {
    const { session, reviews } = await setup();
    const order = [...session.queue];
    const first = session.current!;
    const other = first.label.label === 'high' ? 'low' : 'high';
    await session.perform({ type: 'label', label: other });
    expect(session.currentIsFix).toBe(true);
    await session.perform({ type: 'accept' });
    await session.perform({ type: 'edit' });
    expect(session.editing).toBe(true);
    session.draft!.explanation = 'Rewritten.';
    session.draft!.note = 'checked the years';
    await session.perform({ type: 'accept' });
    let saved = await reviews();
    expect(saved.get(order[0]!)).toMatchObject({ decision: 'fixed', fixedLabel: other });
    expect(saved.get(order[1]!)).toMatchObject({ decision: 'fixed', fixedExplanation: 'Rewritten.', note: 'checked the years' });
    expect(saved.get(order[1]!)?.fixedLabel).toBeUndefined();

    // Undo twice: the second pair goes back to pending (deleted), then the first; the view follows.
    await session.perform({ type: 'undo' });
    expect(session.current?.exampleId).toBe(order[1]);
    expect(session.draft?.explanation).toBe(session.current!.label.explanation);
    await session.perform({ type: 'undo' });
    expect(session.current?.exampleId).toBe(order[0]);
    saved = await reviews();
    expect(saved.size).toBe(0);
    expect(session.queue).toEqual(order);
    await session.perform({ type: 'undo' }); // nothing left: no change
    expect(session.counts.pending).toBe(6);
  });

  it('skips and goes back without deciding, and stops at the end of the queue', async () => {
    const { session } = await setup(3);
    await session.perform({ type: 'next' });
    await session.perform({ type: 'next' });
    await session.perform({ type: 'next' });
    expect(session.current).toBeNull();
    await session.perform({ type: 'next' });
    expect(session.cursor).toBe(3);
    await session.perform({ type: 'back' });
    expect(session.current?.exampleId).toBe(session.queue[2]);
    expect(session.counts.pending).toBe(3);
  });

  it('accepts and rejects in bulk (keeping earlier fixes), each undoable', async () => {
    const { session, reviews } = await setup();
    const ids = [...session.queue];
    await session.perform({ type: 'label', label: session.current!.label.label === 'low' ? 'high' : 'low' });
    await session.perform({ type: 'accept' });
    await session.bulk(ids.slice(0, 4), 'accept');
    let saved = await reviews();
    expect(saved.get(ids[0]!)?.decision).toBe('fixed');
    expect([1, 2, 3].map((i) => saved.get(ids[i]!)?.decision)).toEqual(['accepted', 'accepted', 'accepted']);
    await session.bulk(ids.slice(4), 'reject');
    expect(session.counts).toEqual({ pending: 0, accepted: 3, fixed: 1, rejected: 2 });
    await session.undo();
    saved = await reviews();
    expect(saved.has(ids[5]!)).toBe(false);
  });

  it('says a write failed, in words, and does not move on', async () => {
    const { session, store } = await setup();
    const before = session.current!.exampleId;
    store.close();
    await session.perform({ type: 'accept' });
    expect(session.message).toMatch(/^Not saved: /);
    expect(session.current?.exampleId).toBe(before);
    expect(session.counts.accepted).toBe(0);
  });

  it('builds the seed split from accepted and fixed pairs, capped or balanced, and flags a stale one', async () => {
    const { session, store, dataset } = await setup(9);
    const ids = [...session.queue];
    await session.bulk(ids.slice(0, 7), 'accept');
    await session.bulk(ids.slice(7), 'reject');
    expect(session.seedPreview.ids).toHaveLength(7);
    await session.buildSeedSet();
    expect((await store.getDataset(dataset.id))?.splits.seed).toHaveLength(7);
    expect(session.storedSeed).toMatchObject({ size: 7, stale: 0 });
    session.seedOptions = { maxSize: 0, balance: true };
    const counts = session.seedPreview.counts;
    expect(counts.low).toBe(counts.medium);
    expect(counts.medium).toBe(counts.high);
    await session.buildSeedSet();
    expect((await store.getDataset(dataset.id))?.splits.seed).toEqual(session.seedPreview.ids);
    // A pair of the stored split rejected later is counted as stale.
    const inSeed = session.seedPreview.ids[0]!;
    await session.bulk([inSeed], 'reject');
    expect(session.storedSeed?.stale).toBe(1);
    // Nothing accepted: building says so instead of writing an empty split.
    session.seedOptions = { maxSize: 0, balance: false };
    await session.bulk(ids, 'reject');
    await session.buildSeedSet();
    expect(session.message).toMatch(/would be empty/);
  });

  it('keeps a label picked for the pair in view when the reload after its own save arrives late', async () => {
    const { session, reviews } = await setup();
    await session.perform({ type: 'accept' });
    const picked = session.current!.label.label === 'low' ? 'high' : 'low';
    await session.perform({ type: 'label', label: picked });
    session.refreshReviews(await reviews());
    expect(session.draft?.label).toBe(picked);
    await session.perform({ type: 'accept' });
    expect(session.counts).toMatchObject({ accepted: 1, fixed: 1 });
  });

  it('takes decisions made in another tab without reordering the queue', async () => {
    const { session, dataset } = await setup();
    const order = [...session.queue];
    const elsewhere: Review = { exampleId: order[3]!, decision: 'rejected', reviewedAt: 'x' };
    session.refreshReviews(new Map([[elsewhere.exampleId, elsewhere]]));
    expect(session.queue).toEqual(order);
    expect(session.counts.rejected).toBe(1);
    expect(session.dataset?.id).toBe(dataset.id);
  });
});
