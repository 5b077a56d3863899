// The seed set D_seed from human review: an accepted pair keeps the teacher's answer, a fixed pair
// takes the reviewer's fix, rejected and unreviewed pairs stay out. The Review page writes the
// chosen ids as the dataset's `seed` split; experiments with seedSet.policy "reviewed" train the
// in-house teacher on the seed split's pairs (those in their training split), with these answers.
import { FIT_LABELS, type FitLabel, type Review, type TeacherLabel } from './schema.ts';

export interface SeedAnswer {
  exampleId: string;
  label: FitLabel;
  explanation: string;
}

/** The answer a review decision stands for; null when the pair is rejected or not reviewed. */
export function reviewedAnswer(label: Pick<TeacherLabel, 'exampleId' | 'label' | 'explanation'>, review: Review | undefined): SeedAnswer | null {
  if (!review || review.decision === 'rejected') return null;
  return { exampleId: label.exampleId, label: review.fixedLabel ?? label.label, explanation: review.fixedExplanation ?? label.explanation };
}

export interface SeedSetOptions {
  /** At most this many pairs (0 = no cap). */
  maxSize: number;
  /** As many low as medium as high pairs: every label gets the count of the rarest one. */
  balance: boolean;
}

export interface SeedSetChoice {
  /** Chosen example ids, in the order the candidates came. */
  ids: string[];
  counts: Record<FitLabel, number>;
  /** Accepted + fixed pairs there were to choose from. */
  candidates: number;
}

export function labelCounts(items: readonly { label: FitLabel }[]): Record<FitLabel, number> {
  const counts = { low: 0, medium: 0, high: 0 };
  for (const i of items) counts[i.label]++;
  return counts;
}

/**
 * Picks the seed set from the reviewed answers, in their order. With `balance`, each label keeps
 * its first k pairs, k = the rarest label's count (capped at ⌊maxSize / 3⌋); otherwise the first
 * `maxSize` pairs (all when 0).
 */
export function chooseSeedSet(answers: readonly SeedAnswer[], opts: SeedSetOptions): SeedSetChoice {
  if (!Number.isInteger(opts.maxSize) || opts.maxSize < 0) throw new RangeError(`the seed set's maximum size must be a whole number ≥ 0 (0 = no cap), got ${opts.maxSize}`);
  let chosen: SeedAnswer[];
  if (opts.balance) {
    const available = labelCounts(answers);
    let perLabel = Math.min(...FIT_LABELS.map((l) => available[l]));
    if (opts.maxSize > 0) perLabel = Math.min(perLabel, Math.floor(opts.maxSize / FIT_LABELS.length));
    const taken = { low: 0, medium: 0, high: 0 };
    chosen = answers.filter((a) => taken[a.label]++ < perLabel);
  } else {
    chosen = opts.maxSize > 0 ? answers.slice(0, opts.maxSize) : [...answers];
  }
  return { ids: chosen.map((a) => a.exampleId), counts: labelCounts(chosen), candidates: answers.length };
}
