// The results files a run or a sweep writes (results.json), as a schema a reader can check them
// against: the studio's compare view, docs/results.md's committed files, a user's own scripts.
// It checks the fields src/experiment/README.md documents and lets anything else through
// (metrics carry more than a table shows), so files from before a field existed still read
// (baselines, intervals, dims, testSize and parameters are optional). The experiment inside must
// parse with the experiment schema.
import { z } from 'zod';
import { ExperimentError, parseExperiment, type ExperimentConfig } from './schema.ts';

/** results.json of one run (run/pipeline.ts writes it). */
export const RESULTS_FORMAT = 'lantern-results';
/** results.json of a sweep (run/sweep.ts writes it). */
export const SWEEP_RESULTS_FORMAT = 'lantern-sweep-results';
/** A sweep row's flat metric keys of the trivial baselines start with this ("baseline.majority.accuracy"). */
export const BASELINE_PREFIX = 'baseline.';

const unit = z.number().min(0).max(1);
const Interval = z.object({ lo: unit, hi: unit, method: z.enum(['wilson', 'bootstrap', 't']), n: z.int().nonnegative() }).refine((i) => i.lo <= i.hi, 'an interval needs lo ≤ hi');
const Intervals = z.record(z.string(), Interval.nullable());
const RougeScore = z.object({ precision: unit, recall: unit, fmeasure: unit });
const Rouge = z.object({ rouge1: RougeScore, rouge2: RougeScore, rougeL: RougeScore, rougeLsum: RougeScore });
const Curve = z.array(z.object({ step: z.int().nonnegative(), loss: z.number() }));

/** Metrics of one model on the test split (a student, the in-house teacher or a baseline). */
const Metrics = z.looseObject({
  n: z.int().nonnegative(),
  accuracy: unit.optional(),
  macroF1: unit.optional(),
  labelAccuracy: unit.optional(),
  rouge: Rouge.optional(),
  intervals: Intervals.optional(),
});

const Experiment = z.unknown().transform((value, ctx): ExperimentConfig => {
  try {
    return parseExperiment(value).config;
  } catch (e) {
    const errors = e instanceof ExperimentError ? e.errors.map((x) => `${x.path}: ${x.message}`).join('; ') : (e as Error).message;
    ctx.addIssue({ code: 'custom', message: `the experiment does not parse: ${errors}` });
    return z.NEVER;
  }
});

const Stage = z.looseObject({
  id: z.string(),
  task: z.enum(['explain', 'classify']),
  preset: z.string(),
  source: z.string(),
  /** Pairs it learned from (absent in results written before it was recorded). */
  examples: z.int().nonnegative().optional(),
  parameters: z.int().positive(),
  steps: z.int().nonnegative(),
  curves: z.object({ train: Curve, val: Curve }),
  seconds: z.number().nonnegative(),
  metrics: Metrics,
});

export const RunResultsFile = z.looseObject({
  format: z.literal(RESULTS_FORMAT),
  version: z.literal(1),
  experiment: Experiment,
  timings: z.record(z.string(), z.number().nonnegative()),
  data: z.looseObject({ examples: z.int().positive(), train: z.int().nonnegative(), val: z.int().nonnegative(), test: z.int().positive(), vocabSize: z.int().positive() }),
  teacher: z.looseObject({ preset: z.string(), parameters: z.int().positive(), steps: z.int().nonnegative(), curves: z.object({ train: Curve, val: Curve }), metrics: Metrics }),
  baselines: z
    .looseObject({
      fittedOn: z.int().positive(),
      classifier: z.object({ majority: Metrics.extend({ label: z.enum(['low', 'medium', 'high']) }), skillOverlap: Metrics }),
      explainer: z.object({ template: Metrics, copy: Metrics }),
    })
    .optional(),
  stages: z.array(Stage).min(1),
});

const Summary = z.object({ n: z.int().nonnegative(), mean: z.number().nullable(), std: z.number().nullable(), ci95: z.tuple([z.number(), z.number()]).nullable() });

export const SweepResultsFile = z.looseObject({
  format: z.literal(SWEEP_RESULTS_FORMAT),
  version: z.literal(1),
  experiment: Experiment,
  metricKeys: z.array(z.string()),
  rows: z.array(
    z.looseObject({
      id: z.string(),
      group: z.string(),
      assignments: z.record(z.string(), z.unknown()),
      seed: z.int().nonnegative(),
      status: z.enum(['done', 'failed']),
      metrics: z.record(z.string(), z.number().nullable()),
      testSize: z.int().positive().optional(),
      parameters: z.record(z.string(), z.int().positive()).optional(),
    }),
  ),
  aggregate: z.array(z.looseObject({ group: z.string(), runs: z.array(z.string()), metrics: z.record(z.string(), Summary) })),
});

export type RunResultsData = z.output<typeof RunResultsFile>;
export type SweepResultsData = z.output<typeof SweepResultsFile>;
export type ResultsFile = { kind: 'run'; results: RunResultsData } | { kind: 'sweep'; results: SweepResultsData };

/** A file that is not a (valid) results.json. */
export class ResultsError extends Error {
  override name = 'ResultsError';
}

/** A results.json's text, checked; a ResultsError naming the first problems otherwise. */
export function parseResultsJson(text: string): ResultsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`not a results file: ${(e as Error).message}`);
  }
  return parseResults(json);
}

/** A parsed results.json value, checked against its format's schema. */
export function parseResults(json: unknown): ResultsFile {
  const format = (json as { format?: unknown } | null)?.format;
  const schema = format === RESULTS_FORMAT ? RunResultsFile : format === SWEEP_RESULTS_FORMAT ? SweepResultsFile : null;
  if (!schema) throw new ResultsError(`not a results file: format is ${JSON.stringify(format)}, expected "${RESULTS_FORMAT}" or "${SWEEP_RESULTS_FORMAT}"`);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ResultsError(`invalid ${format} file: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return format === RESULTS_FORMAT ? { kind: 'run', results: parsed.data as RunResultsData } : { kind: 'sweep', results: parsed.data as SweepResultsData };
}
