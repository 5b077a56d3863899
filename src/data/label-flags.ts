// Doubts about a teacher label that a reviewer should see. The proxy stores them with the label;
// the Review page shows the stored ones, or these for labels that came without (imported files).
import { FIT_LABELS, type FitLabel, type LabelFlag, type LabelProbs, type TeacherLabel } from './schema.ts';

/**
 * Flags for a label whose own probabilities favour another label (label high, 0.9 on low): the
 * pair is kept with the flag, for a reviewer to decide, rather than trained on as if consistent.
 */
export function labelFlags(label: FitLabel, probs: LabelProbs | null): LabelFlag[] {
  if (!probs) return [];
  const top = FIT_LABELS.reduce((a, b) => (probs[b] > probs[a] ? b : a));
  if (probs[label] >= probs[top]) return [];
  return [{ code: 'soft-label-disagrees', message: `the rating is ${label}, but its label probabilities put ${probs[top].toFixed(2)} on ${top} (${probs[label].toFixed(2)} on ${label})` }];
}

/** The flags a stored label carries, or the ones its probabilities imply when it was stored without. */
export function flagsOf(label: TeacherLabel): LabelFlag[] {
  return label.flags ?? labelFlags(label.label, label.labelProbs);
}
