// The orchestrator's pure parts: how pairs become tokens, the seeded split and batch order, the
// seed-set policies and the test references.
import { describe, expect, it } from 'vitest';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import { buildStudentVocab, SPECIAL_IDS, StudentTokenizer } from '../../src/data/vocab.ts';
import type { Review, TeacherLabel } from '../../src/data/schema.ts';
import { decoderLayout, TaskCodec, vocabularyTexts } from '../../src/experiment/task.ts';
import { loadExamples, seedLabelPool, selectSeedSet, splitExamples, testReferences } from '../../src/experiment/run/data.ts';
import { contentHash } from '../../src/data/hash.ts';
import { createRng } from '../../src/data/rng.ts';
import { batchOrder, LENGTH_GROUP_BATCHES } from '../../src/experiment/run/train.ts';
import type { RunHost } from '../../src/experiment/run/host.ts';

const examples = generateDemoExamples({ seed: 4, n: 30 });
const teacherLabel = (exampleId: string, label: TeacherLabel['label'], confidence: number | null): TeacherLabel => ({
  exampleId,
  teacher: { provider: 'offline', model: 'm', templateVersion: 't' },
  label,
  labelProbs: confidence === null ? null : { low: label === 'low' ? confidence : (1 - confidence) / 2, medium: label === 'medium' ? confidence : (1 - confidence) / 2, high: label === 'high' ? confidence : (1 - confidence) / 2 },
  explanation: `The candidate is a ${label} fit.`,
  createdAt: '2026-01-01T00:00:00Z',
});

describe('TaskCodec', () => {
  const answers = examples.map((e) => ({ label: 'high' as const, explanation: `Strong match for ${e.job.title}.` }));
  const codec = new TaskCodec(new StudentTokenizer(buildStudentVocab(loadQwenTokenizer(), vocabularyTexts(examples, answers)), loadQwenTokenizer()));

  it('gives each fit label one token of its own', () => {
    expect(new Set(codec.labelTokenIds).size).toBe(3);
    expect(codec.labelTokenIds.map((id) => codec.tokenizer.decode([id]))).toEqual([' low', ' medium', ' high']);
  });

  it('keeps prompts, sequences and encoder inputs within their budgets, the label first in the response', () => {
    for (const maxLen of [40, 96, 400]) {
      const prompt = codec.prompt(examples[0]!, maxLen);
      expect(prompt.length).toBeLessThanOrEqual(maxLen);
      expect(prompt[0]).toBe(SPECIAL_IDS.imStart);
      expect(codec.tokenizer.decode(prompt.slice(-3))).toMatch(/Fit:$/);
      const response = codec.response('medium', 'Some skills match, others are missing.');
      const layout = decoderLayout(maxLen, 512, 16);
      const { ids, responseStart } = codec.sequence(examples[0]!, response, layout);
      expect(ids.length).toBeLessThanOrEqual(maxLen);
      expect(ids[responseStart]).toBe(codec.labelTokenIds[1]);
      const enc = codec.encoderInput(examples[0]!, maxLen);
      expect(enc.length).toBeLessThanOrEqual(maxLen);
      expect(enc[0]).toBe(SPECIAL_IDS.cls);
      expect(enc).toContain(SPECIAL_IDS.sep);
    }
    // Both sides survive truncation: the profile is not cut away by a long posting.
    const text = codec.tokenizer.decode(codec.prompt(examples[0]!, 60));
    expect(text).toContain('Job:');
    expect(text).toContain('Candidate:');
  });

  it('trains a decoder on exactly the prompts decoding asks, whatever the response length', () => {
    // The bug this guards against: training sequences gave the prompt whatever room a response
    // left, so a short answer came with a longer prompt than decoding used, and a model never saw
    // at training time the prompt it was asked (it then wrote noise).
    for (const maxLen of [64, 128, 512]) {
      const layout = decoderLayout(maxLen, 512, 24);
      expect(layout.promptTokens + layout.responseTokens).toBe(maxLen);
      for (const explanation of ['Short.', 'A much longer explanation that names SQL, Python, statistics, dashboards and many other things the posting asks for, and more.']) {
        const response = codec.response('high', explanation);
        const { ids, responseStart } = codec.sequence(examples[1]!, response, layout);
        expect(ids.slice(0, responseStart)).toEqual(codec.prompt(examples[1]!, layout.promptTokens));
        expect(ids.slice(responseStart)).toEqual(response.slice(0, layout.responseTokens));
        expect(ids.length).toBeLessThanOrEqual(maxLen);
      }
    }
    expect(() => decoderLayout(40, 512, 30)).toThrow(/prompt tokens/);
    // The model's own context bounds the layout.
    expect(decoderLayout(512, 128, 24)).toEqual({ promptTokens: 103, responseTokens: 25 });
  });

  it('reads back the label and explanation of a response', () => {
    const response = codec.response('low', 'The main gaps are SQL and Python.');
    expect(response.at(-1)).toBe(SPECIAL_IDS.eos);
    expect(codec.parseResponse(response)).toEqual({ label: 'low', explanation: 'The main gaps are SQL and Python.' });
    expect(codec.parseResponse(codec.tokenizer.encode('no label here')).label).toBeNull();
  });
});

describe('split and batch order', () => {
  it('splits deterministically per seed into disjoint parts covering every example', () => {
    const a = splitExamples(examples, { train: 0.7, val: 0.1, test: 0.2 }, 1);
    const b = splitExamples(examples, { train: 0.7, val: 0.1, test: 0.2 }, 1);
    const c = splitExamples(examples, { train: 0.7, val: 0.1, test: 0.2 }, 2);
    expect(a).toEqual(b);
    expect(c.test.map((e) => e.id)).not.toEqual(a.test.map((e) => e.id));
    expect([a.test.length, a.val.length, a.train.length]).toEqual([6, 3, 21]);
    const ids = [...a.train, ...a.val, ...a.test].map((e) => e.id);
    expect(new Set(ids).size).toBe(30);
  });

  it('visits every example once per epoch, and a step\'s batch depends only on the step (resumable)', () => {
    const order = batchOrder(10, 4, 9);
    const firstEpoch = [0, 1].flatMap((s) => order(s)).concat(order(2).slice(0, 2));
    expect([...firstEpoch].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchOrder(10, 4, 9)(7)).toEqual(order(7));
    expect(batchOrder(10, 4, 10)(0)).not.toEqual(order(0));
  });

  it('batching by length: each batch holds neighbours in length, each epoch draws whole batches once, and the order is still a pure function of the step', () => {
    // One window of LENGTH_GROUP_BATCHES batches of 4; lengths are a permutation of 0..63.
    const n = 4 * LENGTH_GROUP_BATCHES;
    const lengths = createRng(3).shuffle(Array.from({ length: n }, (_, i) => i));
    const order = batchOrder(n, 4, 9, lengths);
    const epoch = Array.from({ length: LENGTH_GROUP_BATCHES }, (_, s) => order(s));
    expect(epoch.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const batch of epoch) {
      const ls = batch.map((i) => lengths[i]!).sort((x, y) => x - y);
      expect(ls[0]! % 4).toBe(0); // the window sorted, then cut: four consecutive lengths
      expect(ls).toEqual([ls[0]!, ls[0]! + 1, ls[0]! + 2, ls[0]! + 3]);
    }
    // Batches come shuffled, not longest first.
    expect(epoch.map((b) => Math.max(...b.map((i) => lengths[i]!)))).not.toEqual([...Array(LENGTH_GROUP_BATCHES).keys()].map((k) => n - 1 - 4 * k));
    expect(batchOrder(n, 4, 9, lengths)(LENGTH_GROUP_BATCHES + 5)).toEqual(order(LENGTH_GROUP_BATCHES + 5));
    expect(order(LENGTH_GROUP_BATCHES)).not.toEqual(order(0));
    // A pool that is not whole batches: an epoch is ⌊10 / 4⌋ = 2 batches of distinct examples.
    const small = batchOrder(10, 4, 9, [5, 1, 9, 3, 7, 2, 8, 4, 6, 0]);
    for (const e of [0, 1, 2]) expect(new Set([...small(2 * e), ...small(2 * e + 1)]).size).toBe(8);
    expect(() => batchOrder(10, 4, 9, [1, 2])).toThrow(/2 lengths for a pool of 10/);
  });

  it('batching by length pads less than shuffled batches of the same pool', () => {
    const random = createRng(5);
    const lengths = Array.from({ length: 2000 }, () => 100 + Math.floor(random.next() * 200));
    const padded = (order: (s: number) => number[]) => Array.from({ length: 62 }, (_, s) => Math.max(...order(s).map((i) => lengths[i]!)) * 32).reduce((a, b) => a + b, 0);
    expect(padded(batchOrder(2000, 32, 1, lengths))).toBeLessThan(0.8 * padded(batchOrder(2000, 32, 1)));
  });
});

describe('seed set and references', () => {
  const train = examples.slice(0, 6);
  const labels = new Map(train.map((e, i) => [e.id, teacherLabel(e.id, (['low', 'medium', 'high'] as const)[i % 3]!, [0.9, 0.4, 0.8, 0.95, 0.3, null][i]!)]));
  const host = (reviews: Review[]) => ({ loadReviews: async () => reviews }) as unknown as RunHost;

  it('auto-accepts labels at or above the confidence, most confident first, up to the cap', async () => {
    const all = await selectSeedSet(host([]), { policy: 'auto-accept', minConfidence: 0.8, maxExamples: 0 }, train, labels);
    expect(all.answers.map((a) => a.exampleId)).toEqual([train[3]!.id, train[0]!.id, train[2]!.id]);
    const capped = await selectSeedSet(host([]), { policy: 'auto-accept', minConfidence: 0.8, maxExamples: 2 }, train, labels);
    expect(capped.answers).toHaveLength(2);
    await expect(selectSeedSet(host([]), { policy: 'auto-accept', minConfidence: 0.99, maxExamples: 0 }, train, labels)).rejects.toThrow(/minConfidence 0.99/);
  });

  it('takes accepted and fixed reviews, never rejected ones', async () => {
    const reviews: Review[] = [
      { exampleId: train[0]!.id, decision: 'accepted', reviewedAt: 'x' },
      { exampleId: train[1]!.id, decision: 'fixed', fixedLabel: 'high', reviewedAt: 'x' },
      { exampleId: train[2]!.id, decision: 'rejected', reviewedAt: 'x' },
    ];
    const seed = await selectSeedSet(host(reviews), { policy: 'review-file', path: 'r.jsonl' }, train, labels);
    expect(seed.answers.map((a) => [a.exampleId, a.label])).toEqual([
      [train[0]!.id, 'low'],
      [train[1]!.id, 'high'],
    ]);
    const refs = testReferences(train.slice(0, 3), labels, new Map(reviews.map((r) => [r.exampleId, r])));
    expect(refs.map((r) => r.label)).toEqual(['low', 'high']);
  });
});

describe('dataset reference', () => {
  const split = { train: 0.8, val: 0.1, test: 0.1 };
  const host = { loadDataset: async () => examples.slice(0, 5) } as unknown as RunHost;

  it('checks the content hash the experiment names', async () => {
    const demo = { seed: 4, n: 30 };
    const hash = await contentHash(examples);
    expect(await loadExamples(host, { demo, split, contentHash: hash })).toEqual(examples);
    await expect(loadExamples(host, { demo: { seed: 5, n: 30 }, split, contentHash: hash })).rejects.toThrow(/not the same data/);
  });

  it('reads a referenced dataset through the host and refuses repeated ids', async () => {
    expect(await loadExamples(host, { path: 'pairs.jsonl', split })).toHaveLength(5);
    const twice = { loadDataset: async () => [examples[0]!, examples[0]!] } as unknown as RunHost;
    await expect(loadExamples(twice, { path: 'pairs.jsonl', split })).rejects.toThrow(/twice/);
  });
});

describe('seedLabelPool (a classifier that learns from the seed set)', () => {
  it("takes the black-box teacher's label distribution where the answer keeps its label, else the answer's label one-hot", () => {
    const [a, b, c] = examples;
    const labels = [teacherLabel(a!.id, 'high', 0.8), teacherLabel(b!.id, 'low', 0.9), teacherLabel(c!.id, 'medium', null)];
    const answers = [
      { exampleId: a!.id, label: 'high' as const, explanation: 'kept' },
      // A reviewer fixed the teacher's "low" to "medium": the teacher's probabilities no longer describe it.
      { exampleId: b!.id, label: 'medium' as const, explanation: 'fixed' },
      { exampleId: c!.id, label: 'medium' as const, explanation: 'no probabilities' },
    ];
    const pool = seedLabelPool(answers, labels, new Map(examples.map((e) => [e.id, e])));
    expect(pool.examples.map((e) => e.id)).toEqual([a!.id, b!.id, c!.id]);
    expect(pool.probs[0]).toEqual([0.1, 0.1, 0.8].map((x) => expect.closeTo(x, 12)));
    expect(pool.probs[1]).toEqual([0, 1, 0]);
    expect(pool.probs[2]).toEqual([0, 1, 0]);
  });
});
