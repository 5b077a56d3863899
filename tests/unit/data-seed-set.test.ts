// The seed set the Review page builds, and the orchestrator reading it for seedSet.policy "reviewed".
import { describe, expect, it } from 'vitest';
import { chooseSeedSet, reviewedAnswer, type SeedAnswer } from '../../src/data/seed-set.ts';
import { selectSeedSet } from '../../src/experiment/run/data.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import type { RunHost } from '../../src/experiment/run/host.ts';
import type { FitLabel, Review, TeacherLabel } from '../../src/data/schema.ts';

const answers = (labels: FitLabel[]): SeedAnswer[] => labels.map((label, i) => ({ exampleId: `e${i}`, label, explanation: `x${i}` }));

describe('seed set choice', () => {
  it('keeps accepted answers, applies fixes and leaves rejected or unreviewed pairs out', () => {
    const label = { exampleId: 'a', label: 'low' as const, explanation: 'teacher says low' };
    expect(reviewedAnswer(label, undefined)).toBeNull();
    expect(reviewedAnswer(label, { exampleId: 'a', decision: 'rejected', reviewedAt: 't' })).toBeNull();
    expect(reviewedAnswer(label, { exampleId: 'a', decision: 'accepted', reviewedAt: 't' })).toEqual({ exampleId: 'a', label: 'low', explanation: 'teacher says low' });
    expect(reviewedAnswer(label, { exampleId: 'a', decision: 'fixed', fixedLabel: 'medium', reviewedAt: 't' })).toEqual({ exampleId: 'a', label: 'medium', explanation: 'teacher says low' });
    expect(reviewedAnswer(label, { exampleId: 'a', decision: 'fixed', fixedExplanation: 'better', reviewedAt: 't' })?.explanation).toBe('better');
  });

  it('takes every candidate, the first N, or a balanced set in the candidates\' order', () => {
    const pool = answers(['high', 'high', 'low', 'medium', 'high', 'low', 'medium', 'medium']);
    expect(chooseSeedSet(pool, { maxSize: 0, balance: false })).toEqual({ ids: pool.map((a) => a.exampleId), counts: { low: 2, medium: 3, high: 3 }, candidates: 8 });
    expect(chooseSeedSet(pool, { maxSize: 3, balance: false }).ids).toEqual(['e0', 'e1', 'e2']);
    const balanced = chooseSeedSet(pool, { maxSize: 0, balance: true });
    expect(balanced.ids).toEqual(['e0', 'e1', 'e2', 'e3', 'e5', 'e6']);
    expect(balanced.counts).toEqual({ low: 2, medium: 2, high: 2 });
    expect(chooseSeedSet(pool, { maxSize: 4, balance: true }).counts).toEqual({ low: 1, medium: 1, high: 1 });
    // A label nobody accepted leaves a balanced set empty rather than unbalanced.
    expect(chooseSeedSet(answers(['high', 'low']), { maxSize: 0, balance: true }).ids).toEqual([]);
    expect(() => chooseSeedSet(pool, { maxSize: -1, balance: false })).toThrow(/whole number/);
  });
});

describe('the orchestrator and the seed split agree', () => {
  const train = generateDemoExamples({ seed: 3, n: 6 });
  const teacher = { provider: 'offline', model: 'm', templateVersion: 't' };
  const labels = new Map<string, TeacherLabel>(train.map((e) => [e.id, { exampleId: e.id, teacher, label: 'low', labelProbs: null, explanation: 'teacher', createdAt: 't' }]));
  const reviews: Review[] = train.map((e, i) => (i === 2 ? { exampleId: e.id, decision: 'rejected', reviewedAt: 't' } : { exampleId: e.id, decision: i === 1 ? 'fixed' : 'accepted', fixedLabel: i === 1 ? 'high' : undefined, reviewedAt: 't' }));
  const host = (seed: string[]) => ({ loadReviews: async () => reviews, loadSeedSplit: async () => seed }) as unknown as RunHost;

  it('trains on the seed split\'s accepted and fixed pairs only', async () => {
    const seed = [train[0]!.id, train[1]!.id, train[2]!.id, 'not-in-train'];
    const chosen = await selectSeedSet(host(seed), { policy: 'reviewed' }, train, labels);
    // train[2] was rejected after the seed set was built: it stays out; train[3..5] are accepted but not in the split.
    expect(chosen.answers.map((a) => [a.exampleId, a.label])).toEqual([
      [train[0]!.id, 'low'],
      [train[1]!.id, 'high'],
    ]);
    await expect(selectSeedSet(host(['elsewhere']), { policy: 'reviewed' }, train, labels)).rejects.toThrow(/none of the 6 training examples is in the dataset's seed set/);
  });
});
