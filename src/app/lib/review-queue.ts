// The review queue: teacher-labelled pairs with what sorting needs (confidence, label ↔ explanation
// disagreement), counts per decision, and the decision a reviewer's draft stands for.
import { FIT_LABELS, type Example, type FitLabel, type LabelFlag, type Review, type TeacherLabel } from '../../data/schema.ts';
import { flagsOf } from '../../data/label-flags.ts';
import { labelConfidence } from '../../experiment/run/data.ts';
import { readStance } from '../../metrics/consistency.ts';
import type { ReviewState } from './example-rows.ts';

export interface ReviewItem {
  exampleId: string;
  /** Position in the dataset's order. */
  index: number;
  label: TeacherLabel;
  /** The teacher's probability of its own label; null when it gave no probabilities. */
  confidence: number | null;
  /** The fit level the explanation argues for (src/metrics/consistency.ts); null when it takes no side. */
  stance: FitLabel | null;
  /** 0 when the explanation argues for the label, 1 when it takes no side or is one level off, 2 when opposite. */
  disagreement: number;
  /** Doubts about the label (its probabilities favour another level, …), as stored by the teacher proxy. */
  flags: LabelFlag[];
  review: Review | null;
}

export function reviewItems(examples: readonly Example[], labels: ReadonlyMap<string, TeacherLabel>, reviews: ReadonlyMap<string, Review>): ReviewItem[] {
  const out: ReviewItem[] = [];
  examples.forEach((e, index) => {
    const label = labels.get(e.id);
    if (!label) return;
    const stance = readStance(label.explanation).stance;
    const disagreement = stance === null ? 1 : Math.abs(FIT_LABELS.indexOf(stance) - FIT_LABELS.indexOf(label.label));
    out.push({ exampleId: e.id, index, label, confidence: labelConfidence(label), stance, disagreement, flags: flagsOf(label), review: reviews.get(e.id) ?? null });
  });
  return out;
}

export const REVIEW_SORTS = ['confidence', 'disagreement', 'dataset'] as const;
export type ReviewSort = (typeof REVIEW_SORTS)[number];

/**
 * confidence: lowest teacher confidence first (no probabilities counts as least confident);
 * disagreement: the explanation furthest from its label first, then lowest confidence;
 * dataset: the dataset's order. Ties keep the dataset's order.
 */
export function sortItems(items: readonly ReviewItem[], sort: ReviewSort): ReviewItem[] {
  const conf = (i: ReviewItem) => i.confidence ?? -1;
  return [...items].sort((a, b) => {
    if (sort === 'confidence') return conf(a) - conf(b) || a.index - b.index;
    if (sort === 'disagreement') return b.disagreement - a.disagreement || conf(a) - conf(b) || a.index - b.index;
    return a.index - b.index;
  });
}

export function stateOf(item: ReviewItem): ReviewState {
  return item.review?.decision ?? 'pending';
}

export function reviewCounts(items: readonly ReviewItem[]): Record<ReviewState, number> {
  const counts = { pending: 0, accepted: 0, fixed: 0, rejected: 0 };
  for (const i of items) counts[stateOf(i)]++;
  return counts;
}

/** What the reviewer is about to submit for the pair in view. */
export interface Draft {
  label: FitLabel;
  explanation: string;
  note: string;
}

/** The draft a pair opens with: its earlier fix if it has one, else the teacher's answer. */
export function draftFor(item: ReviewItem): Draft {
  const r = item.review;
  return { label: r?.fixedLabel ?? item.label.label, explanation: r?.fixedExplanation ?? item.label.explanation, note: r?.note ?? '' };
}

export function sameDraft(a: Draft, b: Draft): boolean {
  return a.label === b.label && a.explanation === b.explanation && a.note === b.note;
}

/** Whether accepting the draft would be a fix (another label, or a rewritten explanation). */
export function draftIsFix(item: ReviewItem, draft: Draft): boolean {
  return draft.label !== item.label.label || draft.explanation.trim() !== item.label.explanation.trim();
}

/** The review that accepting (with any fix) or rejecting the draft records. */
export function decide(item: ReviewItem, draft: Draft, action: 'accept' | 'reject', reviewedAt: string): Review {
  const note = draft.note.trim() ? { note: draft.note.trim() } : {};
  const base = { exampleId: item.exampleId, reviewedAt, ...note };
  if (action === 'reject') return { ...base, decision: 'rejected' };
  if (!draftIsFix(item, draft)) return { ...base, decision: 'accepted' };
  return {
    ...base,
    decision: 'fixed',
    ...(draft.label !== item.label.label ? { fixedLabel: draft.label } : {}),
    ...(draft.explanation.trim() !== item.label.explanation.trim() ? { fixedExplanation: draft.explanation.trim() } : {}),
  };
}
