// Classification metrics for the fit classifier (or any K-class task), as scikit-learn defines
// them with zero_division=0: a class never predicted has precision 0, a class never true has
// recall 0, and F1 is 0 whenever precision + recall is 0 — no NaN anywhere. Macro-F1 averages
// over the classes that occur in the truth or the predictions (sklearn's default label set), so a
// class absent from a small test split does not drag the average down. Empty input gives n = 0
// and zeros.

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of true examples of this class. */
  support: number;
}

export interface ClassificationReport {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[t][p]: examples of true class t predicted as p. */
  confusion: number[][];
  labels: string[];
}

function checkIndices(values: readonly number[], k: number, what: string): void {
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= k) throw new RangeError(`${what}[${i}] = ${v} is not a class index in [0, ${k})`);
  });
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/**
 * Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.
 * `truth` and `predicted` hold class indices into `labels`.
 */
export function classificationReport(truth: readonly number[], predicted: readonly number[], labels: readonly string[]): ClassificationReport {
  const k = labels.length;
  if (k === 0) throw new RangeError('at least one class label is needed');
  if (truth.length !== predicted.length) throw new RangeError(`truth has ${truth.length} examples but predictions ${predicted.length}`);
  checkIndices(truth, k, 'truth');
  checkIndices(predicted, k, 'predicted');

  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]!]![predicted[i]!]!++;

  const n = truth.length;
  let correct = 0;
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    correct += tp;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = ratio(tp, predictedCount);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: f1Of(precision, recall), support };
  });
  const present = perClass.filter((m, c) => m.support > 0 || confusion.some((row) => row[c]! > 0));
  const macroF1 = present.length > 0 ? present.reduce((a, m) => a + m.f1, 0) / present.length : 0;
  return { n, accuracy: ratio(correct, n), macroF1, perClass, confusion, labels: [...labels] };
}

export interface CalibrationBin {
  /** The bin covers confidences in (lo, hi]; the first bin also holds 0. */
  lo: number;
  hi: number;
  count: number;
  /** Fraction correct among the bin's examples (0 when empty). */
  accuracy: number;
  /** Mean confidence of the bin's examples (0 when empty). */
  confidence: number;
}

export interface Calibration {
  /** Expected calibration error: Σ_b (n_b / N) · |accuracy_b − confidence_b|. */
  ece: number;
  bins: CalibrationBin[];
}

/** Default number of equal-width bins over [0, 1] (Guo et al. 2017 use 15; 10 is the common choice for small test sets). */
export const DEFAULT_ECE_BINS = 10;

/**
 * Expected calibration error over equal-width confidence bins, plus the bins for a reliability
 * diagram. `confidence[i]` is the probability the model gave its prediction, `correct[i]` whether
 * that prediction was right.
 */
export function expectedCalibrationError(confidence: readonly number[], correct: readonly boolean[], bins = DEFAULT_ECE_BINS): Calibration {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer (got ${bins})`);
  if (confidence.length !== correct.length) throw new RangeError(`${confidence.length} confidences but ${correct.length} outcomes`);
  const count = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  confidence.forEach((c, i) => {
    if (!(c >= 0 && c <= 1)) throw new RangeError(`confidence[${i}] = ${c} is not a probability`);
    // Bin b holds (b/B, (b+1)/B]; compare against the same boundaries a user would write down, so
    // 0.7 lands in (0.6, 0.7] even though 0.7 · 10 rounds to 7.000000000000001.
    let b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    if (b > 0 && c <= b / bins) b--;
    else if (b < bins - 1 && c > (b + 1) / bins) b++;
    count[b]!++;
    confSum[b]! += c;
    if (correct[i]) hits[b]!++;
  });
  const n = confidence.length;
  let ece = 0;
  const out: CalibrationBin[] = count.map((m, b) => {
    const accuracy = ratio(hits[b]!, m);
    const meanConfidence = ratio(confSum[b]!, m);
    if (n > 0) ece += (m / n) * Math.abs(accuracy - meanConfidence);
    return { lo: b / bins, hi: (b + 1) / bins, count: m, accuracy, confidence: meanConfidence };
  });
  return { ece, bins: out };
}

/** Index of the largest value (first on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Calibration of class-probability rows: confidence = max probability, prediction = its argmax. */
export function calibrationFromProbabilities(probabilities: readonly (readonly number[])[], truth: readonly number[], bins = DEFAULT_ECE_BINS): Calibration {
  if (probabilities.length !== truth.length) throw new RangeError(`${probabilities.length} probability rows but ${truth.length} labels`);
  const predicted = probabilities.map((row) => argmax(row));
  return expectedCalibrationError(
    probabilities.map((row, i) => row[predicted[i]!]!),
    predicted.map((p, i) => p === truth[i]),
    bins,
  );
}
