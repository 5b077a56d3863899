// The data phases: the examples an experiment names, their seeded train/val/test split, and the
// seed set D_seed chosen from the black-box teacher's labels (auto-accept by confidence, or
// review decisions).
import { FIT_LABELS, type Example, type FitLabel, type Review, type TeacherLabel } from '../../data/schema.ts';
import { generateDemoExamples } from '../../data/demo.ts';
import { contentHash } from '../../data/hash.ts';
import { reviewedAnswer } from '../../data/seed-set.ts';
import { createRng, deriveSeed } from '../../data/rng.ts';
import type { ExperimentConfig } from '../schema.ts';
import { RunError, type RunHost } from './host.ts';

/** Seeds of the pipeline's random streams, derived from the experiment seed (one stream per use). */
export const STREAMS = { split: 1, teacherInit: 2, teacherBatches: 3, stageInit: 100, stageBatches: 200 } as const;

export async function loadExamples(host: RunHost, ref: ExperimentConfig['dataset']): Promise<Example[]> {
  const examples = ref.demo ? generateDemoExamples({ seed: ref.demo.seed, n: ref.demo.n }) : await host.loadDataset({ ...(ref.id ? { id: ref.id } : {}), ...(ref.path ? { path: ref.path } : {}) });
  const ids = new Set<string>();
  for (const e of examples) {
    if (ids.has(e.id)) throw new RunError(`the dataset holds example id "${e.id}" twice`);
    ids.add(e.id);
  }
  if (ref.contentHash) {
    const hash = await contentHash(examples);
    if (hash !== ref.contentHash) throw new RunError(`the dataset's content hash is ${hash}, the experiment expects ${ref.contentHash}: this is not the same data`);
  }
  return examples;
}

export interface DataSplit {
  train: Example[];
  val: Example[];
  test: Example[];
}

/** A seeded shuffle cut by the configured fractions; test and train always get at least one example. */
export function splitExamples(examples: readonly Example[], fractions: ExperimentConfig['dataset']['split'], seed: number): DataSplit {
  const n = examples.length;
  if (n < 3) throw new RunError(`the dataset has ${n} examples; a run needs at least 3 (train, test and some to learn from)`);
  const shuffled = createRng(deriveSeed(seed, STREAMS.split)).shuffle(examples);
  const nTest = Math.max(1, Math.round(fractions.test * n));
  const nVal = Math.min(n - nTest - 1, Math.round(fractions.val * n));
  return { test: shuffled.slice(0, nTest), val: shuffled.slice(nTest, nTest + nVal), train: shuffled.slice(nTest + nVal) };
}

/** One answer the models learn from or are judged against: a label and its explanation. */
export interface Answer {
  exampleId: string;
  label: FitLabel;
  explanation: string;
}

export const labelConfidence = (l: TeacherLabel): number | null => (l.labelProbs ? Math.max(...FIT_LABELS.map((k) => l.labelProbs![k])) : null);

export interface SeedSet {
  answers: Answer[];
  /** How it was chosen, for results.json. */
  policy: string;
  candidates: number;
}

/** D_seed from the training split's teacher labels. */
export async function selectSeedSet(host: RunHost, policy: ExperimentConfig['seedSet'], train: readonly Example[], labels: ReadonlyMap<string, TeacherLabel>): Promise<SeedSet> {
  const candidates = train.map((e) => labels.get(e.id)!);
  let answers: Answer[];
  if (policy.policy === 'auto-accept') {
    const ranked = candidates
      .map((l) => ({ l, c: labelConfidence(l) }))
      // A label without probabilities has no confidence to judge: accepted only when any confidence is.
      .filter(({ c }) => (c === null ? policy.minConfidence === 0 : c >= policy.minConfidence))
      .sort((a, b) => (b.c ?? 0) - (a.c ?? 0));
    const kept = policy.maxExamples > 0 ? ranked.slice(0, policy.maxExamples) : ranked;
    answers = kept.map(({ l }) => ({ exampleId: l.exampleId, label: l.label, explanation: l.explanation }));
    if (answers.length === 0) throw new RunError(`no teacher label of the ${candidates.length} training examples reaches seedSet.minConfidence ${policy.minConfidence}; lower it`);
  } else {
    const reviews = reviewsById(await host.loadReviews(policy));
    // "reviewed": only the seed split the Review page built (its size and balance are the user's choice).
    const seedSplit = policy.policy === 'reviewed' ? new Set(await host.loadSeedSplit()) : null;
    answers = [];
    for (const l of candidates) {
      if (seedSplit && !seedSplit.has(l.exampleId)) continue;
      const answer = reviewedAnswer(l, reviews.get(l.exampleId));
      if (answer) answers.push(answer);
    }
    if (answers.length === 0) {
      throw new RunError(
        seedSplit
          ? `none of the ${candidates.length} training examples is in the dataset's seed set (${seedSplit.size} pairs, the rest fell in the validation or test split): build a larger seed set on the Review page`
          : `the review decisions accept none of the ${candidates.length} training examples: nothing to train the in-house teacher on`,
      );
    }
  }
  return { answers, policy: policy.policy, candidates: candidates.length };
}

export function reviewsById(reviews: readonly Review[]): Map<string, Review> {
  return new Map(reviews.map((r) => [r.exampleId, r]));
}

/**
 * References of the test split: the reviewed answer where a review exists (fixed → the fix,
 * rejected → left out: no correct answer is known), else the black-box teacher's.
 */
export function testReferences(test: readonly Example[], labels: ReadonlyMap<string, TeacherLabel>, reviews: ReadonlyMap<string, Review>): Answer[] {
  const out: Answer[] = [];
  for (const e of test) {
    const l = labels.get(e.id)!;
    const r = reviews.get(e.id);
    if (r?.decision === 'rejected') continue;
    out.push({ exampleId: e.id, label: r?.fixedLabel ?? l.label, explanation: r?.fixedExplanation ?? l.explanation });
  }
  return out;
}

/** What a classify stage learns from: pairs and, per pair, its source's label distribution (FIT_LABELS order). */
export interface LabelPool {
  examples: Example[];
  probs: number[][];
}

/**
 * The seed set as a classifier's pool: the black-box teacher's label distribution where the seed
 * answer keeps the teacher's label and the teacher gave one, else the answer's label one-hot (a
 * reviewer's fix, or a teacher without label probabilities).
 */
export function seedLabelPool(answers: readonly Answer[], teacherLabels: readonly TeacherLabel[], byId: ReadonlyMap<string, Example>): LabelPool {
  const teacher = new Map(teacherLabels.map((l) => [l.exampleId, l]));
  const pool: LabelPool = { examples: [], probs: [] };
  for (const a of answers) {
    const t = teacher.get(a.exampleId);
    pool.examples.push(byId.get(a.exampleId)!);
    pool.probs.push(t?.labelProbs && t.label === a.label ? FIT_LABELS.map((k) => t.labelProbs![k]) : FIT_LABELS.map((k) => (k === a.label ? 1 : 0)));
  }
  return pool;
}
