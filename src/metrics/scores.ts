// The scores a results table shows for one model (student, teacher or baseline) on the test
// pairs, each headline number with its 95% interval over those pairs (stats.ts): accuracy and
// label accuracy are proportions (Wilson), macro-F1 and mean ROUGE are not (percentile bootstrap,
// pairs resampled). Students and baselines go through the same functions, so their rows compare.
import { classificationReport, type ClassificationReport } from './classification.ts';
import { meanRouge, rouge, ROUGE_TYPES, type RougeScores } from './rouge.ts';
import { bootstrapInterval, bootstrapMeanInterval, UNIT_RANGE, wilsonInterval, type Interval } from './stats.ts';

/** One seed for every bootstrap: models scored on the same pairs are resampled alike (paired). */
const BOOTSTRAP_SEED = 0;

export interface ClassifierScores {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassificationReport['perClass'];
  confusion: { labels: string[]; matrix: number[][] };
  intervals: { accuracy: Interval | null; macroF1: Interval | null };
}

/** Accuracy, macro-F1 (with intervals), per-class scores and the confusion matrix. */
export function classifierScores(truth: readonly number[], predicted: readonly number[], labels: readonly string[]): ClassifierScores {
  const report = classificationReport(truth, predicted, labels);
  const correct = truth.filter((t, i) => t === predicted[i]).length;
  return {
    n: report.n,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    perClass: report.perClass,
    confusion: { labels: report.labels, matrix: report.confusion },
    intervals: {
      accuracy: wilsonInterval(correct, report.n),
      macroF1: bootstrapInterval(
        report.n,
        (idx) => classificationReport(idx.map((i) => truth[i]!), idx.map((i) => predicted[i]!), labels).macroF1,
        { seed: BOOTSTRAP_SEED, range: UNIT_RANGE },
      ),
    },
  };
}

export interface ExplainerScores {
  n: number;
  rouge: RougeScores;
  /** ROUGE of each prediction against its reference, in order (the means above are over these). */
  each: RougeScores[];
  intervals: Record<(typeof ROUGE_TYPES)[number], Interval | null>;
}

/** Mean ROUGE-1/2/L/Lsum of `predictions` against `references`, each F-measure with its interval. */
export function explainerScores(references: readonly string[], predictions: readonly string[], opts: { stem?: boolean } = {}): ExplainerScores {
  if (references.length !== predictions.length) throw new RangeError(`${references.length} references but ${predictions.length} predictions`);
  const each = references.map((r, i) => rouge(r, predictions[i]!, opts));
  const intervals = Object.fromEntries(
    ROUGE_TYPES.map((t) => [t, bootstrapMeanInterval(each.map((s) => s[t].fmeasure), { seed: BOOTSTRAP_SEED, range: UNIT_RANGE })]),
  ) as ExplainerScores['intervals'];
  return { n: references.length, rouge: meanRouge(each), each, intervals };
}

/** Wilson interval of a proportion given as a rate over n items. */
export function proportionInterval(rate: number, n: number): Interval | null {
  return wilsonInterval(Math.round(rate * n), n);
}
