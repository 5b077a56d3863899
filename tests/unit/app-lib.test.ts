// The studio pages' pure helpers: table rows, filters and sorts, chart numbers, job progress, the
// review queue and its keys, multi-select, errors in words.
import { describe, expect, it } from 'vitest';
import { generateDemoExamples } from '../../src/data/demo.ts';
import type { Review, TeacherLabel } from '../../src/data/schema.ts';
import { buildRows, filterFromQuery, filterRows, filterToQuery, NO_FILTER, sortRows } from '../../src/app/lib/example-rows.ts';
import { labelBalance, lengthStats, reviewBalance } from '../../src/app/lib/dataset-stats.ts';
import { etaSeconds, fractionDone, throughput } from '../../src/app/lib/job-progress.ts';
import { keyAction } from '../../src/app/lib/review-keys.ts';
import { decide, draftFor, reviewCounts, reviewItems, sortItems } from '../../src/app/lib/review-queue.ts';
import { clickSelect, toggleAll } from '../../src/app/lib/selection.ts';
import { describeError } from '../../src/app/lib/errors.ts';
import { formatDuration } from '../../src/app/lib/format.ts';
import { teachersOf } from '../../src/app/lib/teachers.ts';
import { StorageQuotaError } from '../../src/data/store.ts';

const examples = generateDemoExamples({ seed: 2, n: 9 });
const teacher = { provider: 'offline', model: 'm', templateVersion: 't' };
const label = (i: number, l: 'low' | 'medium' | 'high', p: number | null, explanation = 'A strong fit: the profile checks every box.'): TeacherLabel => ({
  exampleId: examples[i]!.id,
  teacher,
  label: l,
  labelProbs: p === null ? null : { low: l === 'low' ? p : (1 - p) / 2, medium: l === 'medium' ? p : (1 - p) / 2, high: l === 'high' ? p : (1 - p) / 2 },
  explanation,
  createdAt: 't',
});
const labels = new Map([label(0, 'high', 0.9), label(1, 'low', 0.55, 'Falls short: missing SQL.'), label(2, 'medium', null, 'No opinion here.'), label(3, 'high', 0.7, 'Poor fit: lacks every skill.')].map((l) => [l.exampleId, l]));
const reviews = new Map<string, Review>([[examples[1]!.id, { exampleId: examples[1]!.id, decision: 'rejected', reviewedAt: 't' }]]);

describe('examples table rows', () => {
  const rows = buildRows(examples, labels, reviews);

  it('carries label, confidence, review state and occupation per pair', () => {
    expect(rows[0]).toMatchObject({ id: examples[0]!.id, label: 'high', confidence: 0.9, review: 'pending', occupation: examples[0]!.meta!.occupation });
    expect(rows[1]).toMatchObject({ label: 'low', review: 'rejected' });
    expect(rows[5]).toMatchObject({ label: null, confidence: null });
  });

  it('filters by text terms, label, occupation and review state, and round-trips filters through the URL', () => {
    expect(filterRows(rows, { ...NO_FILTER, label: 'unlabelled' })).toHaveLength(5);
    expect(filterRows(rows, { ...NO_FILTER, review: 'rejected' }).map((r) => r.id)).toEqual([examples[1]!.id]);
    const title = examples[4]!.job.title;
    expect(filterRows(rows, { ...NO_FILTER, text: `${title.split(' ').at(-1)} ${examples[4]!.id}` }).map((r) => r.id)).toEqual([examples[4]!.id]);
    const occupation = rows[2]!.occupation!;
    expect(filterRows(rows, { ...NO_FILTER, occupation }).every((r) => r.occupation === occupation)).toBe(true);
    const f = { text: 'nurse', label: 'high' as const, occupation: 'nursing', review: 'fixed' as const };
    expect(filterFromQuery(new URLSearchParams(filterToQuery(f)))).toEqual(f);
    expect(filterFromQuery(new URLSearchParams('label=huge&review=maybe'))).toEqual(NO_FILTER);
  });

  it('sorts by confidence either way with unlabelled pairs last, ties in dataset order', () => {
    expect(sortRows(rows, 'confidence').slice(0, 3).map((r) => r.confidence)).toEqual([0.55, 0.7, 0.9]);
    expect(sortRows(rows, 'confidence', true).slice(0, 3).map((r) => r.confidence)).toEqual([0.9, 0.7, 0.55]);
    expect(sortRows(rows, 'confidence', true).at(-1)!.confidence).toBeNull();
    expect(sortRows(rows, 'dataset', true)[0]!.index).toBe(8);
  });

  it('gives chart bars with counts and fractions of the largest', () => {
    expect(labelBalance(rows).map((b) => [b.key, b.count, b.fraction])).toEqual([['low', 1, 0.2], ['medium', 1, 0.2], ['high', 2, 0.4], ['unlabelled', 5, 1]]);
    expect(reviewBalance(rows).map((b) => b.count)).toEqual([8, 0, 0, 1]);
    const l = lengthStats([10, 20, 30, 40], 2)!;
    expect(l).toMatchObject({ min: 10, max: 40, median: 25, mean: 25 });
    expect(l.histogram.map((b) => [b.label, b.count])).toEqual([['10–25', 2], ['26–41', 2]]);
    expect(lengthStats([])).toBeNull();
  });
});

describe('job progress', () => {
  it('measures throughput and time left once there is something to measure', () => {
    expect(throughput(0, 5000)).toBeNull();
    expect(throughput(10, 100)).toBeNull();
    expect(throughput(10, 5000)).toBe(2);
    expect(etaSeconds(10, 30, 5000)).toBe(10);
    expect(fractionDone(3, 0)).toBe(0);
    expect(fractionDone(15, 30)).toBe(0.5);
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(0.26)).toBe('0.3 s');
    expect(formatDuration(0.01)).toBe('< 0.1 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(7800)).toBe('2 h 10 min');
  });
});

describe('review queue', () => {
  const items = reviewItems(examples, labels, reviews);

  it('reads each explanation\'s stance against its label and counts decisions', () => {
    expect(items.map((i) => [i.stance, i.disagreement])).toEqual([['high', 0], ['low', 0], [null, 1], ['low', 2]]);
    expect(reviewCounts(items)).toEqual({ pending: 3, accepted: 0, fixed: 0, rejected: 1 });
    const contradicted = reviewItems(examples, new Map([[examples[0]!.id, { ...label(0, 'high', 0.9), labelProbs: { low: 0.1, medium: 0.6, high: 0.3 } }]]), new Map());
    expect(contradicted[0]!.flags.map((f) => f.code)).toEqual(['soft-label-disagrees']);
    expect(items[0]!.flags).toEqual([]);
    // A flag the teacher proxy stored is shown as stored (not recomputed).
    const stored = { code: 'soft-label-disagrees' as const, message: 'stored by the proxy' };
    const flagged = reviewItems(examples, new Map([[examples[0]!.id, { ...label(0, 'high', 0.9), flags: [stored] }]]), new Map());
    expect(flagged[0]!.flags).toEqual([stored]);
  });

  it('orders lowest confidence first (no probabilities first of all), or the widest disagreement first', () => {
    expect(sortItems(items, 'confidence').map((i) => i.confidence)).toEqual([null, 0.55, 0.7, 0.9]);
    expect(sortItems(items, 'disagreement').map((i) => i.disagreement)).toEqual([2, 1, 0, 0]);
    expect(sortItems(items, 'disagreement').slice(2).map((i) => i.confidence)).toEqual([0.55, 0.9]);
  });

  it('records accept, fix (label and/or explanation) and reject from the draft', () => {
    const item = items[0]!;
    const draft = draftFor(item);
    expect(decide(item, draft, 'accept', 'now')).toEqual({ exampleId: item.exampleId, decision: 'accepted', reviewedAt: 'now' });
    expect(decide(item, { ...draft, label: 'low', note: ' check years ' }, 'accept', 'now')).toEqual({ exampleId: item.exampleId, decision: 'fixed', fixedLabel: 'low', note: 'check years', reviewedAt: 'now' });
    expect(decide(item, { ...draft, explanation: ' Better text. ' }, 'accept', 'now')).toMatchObject({ decision: 'fixed', fixedExplanation: 'Better text.' });
    expect(decide(item, { ...draft, label: 'low' }, 'reject', 'now')).toEqual({ exampleId: item.exampleId, decision: 'rejected', reviewedAt: 'now' });
    // A fixed pair reopens with its fix.
    const fixed = { ...item, review: { exampleId: item.exampleId, decision: 'fixed' as const, fixedLabel: 'medium' as const, reviewedAt: 't' } };
    expect(draftFor(fixed).label).toBe('medium');
  });

  it('maps the review keys, leaving text fields and browser shortcuts alone', () => {
    const k = (key: string, extra = {}) => keyAction({ key, inTextField: false, ...extra });
    expect(['1', '2', '3'].map((key) => k(key))).toEqual([{ type: 'label', label: 'low' }, { type: 'label', label: 'medium' }, { type: 'label', label: 'high' }]);
    expect(['Enter', 'e', 'X', 'u', ' ', 'ArrowRight', 'ArrowLeft'].map((key) => k(key)?.type)).toEqual(['accept', 'edit', 'reject', 'undo', 'next', 'next', 'back']);
    expect(k('r')).toBeNull();
    expect(k('x', { ctrlKey: true })).toBeNull();
    expect(keyAction({ key: 'x', inTextField: true })).toBeNull();
    expect(keyAction({ key: 'Enter', inTextField: true })).toBeNull();
    expect(keyAction({ key: 'Enter', inTextField: true, ctrlKey: true })).toEqual({ type: 'accept' });
    expect(keyAction({ key: 'Escape', inTextField: true })).toEqual({ type: 'leave-field' });
  });
});

describe('multi-select', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  it('toggles one row, or a shift-click range to the clicked row\'s new state', () => {
    const one = clickSelect(new Set(), ids, 1, null, false);
    expect([...one]).toEqual(['b']);
    const range = clickSelect(one, ids, 3, 1, true);
    expect([...range].sort()).toEqual(['b', 'c', 'd']);
    expect([...clickSelect(range, ids, 2, 3, true)].sort()).toEqual(['b']);
    expect([...toggleAll(new Set(['a']), ids)].sort()).toEqual(ids);
    expect([...toggleAll(new Set(ids), ids)]).toEqual([]);
  });
});

describe('errors in words', () => {
  it('keeps the data layer\'s messages, names network and quota failures, never a stack', () => {
    const quota = new StorageQuotaError('Not enough browser storage to save x.', 1, 0);
    expect(describeError(quota)).toBe('Not enough browser storage to save x.');
    // Errors from a worker keep only name and message.
    expect(describeError({ name: 'StorageQuotaError', message: 'Not enough browser storage.' })).toBe('Not enough browser storage.');
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/server cannot be reached/);
    expect(describeError({ name: 'QuotaExceededError' })).toMatch(/ran out of storage/);
    expect(describeError(new DOMException('x', 'AbortError'))).toBe('Cancelled.');
    expect(describeError(undefined)).toMatch(/Reload/);
  });

  it('lists teachers by how many labels they gave', () => {
    const other = { ...teacher, model: 'gpt' };
    const t = teachersOf([...labels.values(), { ...label(5, 'low', 0.9), teacher: other }]);
    expect(t.map((x) => [x.teacher.model, x.count])).toEqual([['m', 4], ['gpt', 1]]);
  });
});
