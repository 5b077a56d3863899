// Test-split evaluation of a finished student (src/metrics does the math): classifiers against
// the reference labels (accuracy, macro-F1, per-class P/R/F1, confusion, ECE), explainers against
// the reference explanations (ROUGE, label↔explanation consistency, hallucinated skills), and the
// latency of one request (batch 1, after a warm-up call, over the first LATENCY_CALLS test pairs)
// for both. Headline numbers carry 95%
// intervals over the test pairs (src/metrics/scores.ts). The trivial baselines
// (src/metrics/baselines.ts) are scored here the same way, fitted on the seed set.
import type { Engine } from '../../engine/runtime.ts';
import type { DecoderLM } from '../../engine/nn/decoder.ts';
import type { EncoderClassifier } from '../../engine/nn/encoder.ts';
import { FIT_LABELS, fitLabelIndex, type Example } from '../../data/schema.ts';
import { jobText, profileText } from '../../data/format.ts';
import { argmax, calibrationFromProbabilities } from '../../metrics/classification.ts';
import { classifierScores, explainerScores, proportionInterval } from '../../metrics/scores.ts';
import { consistencyReport, type ConsistencyReport } from '../../metrics/consistency.ts';
import { hallucinationReport, type HallucinationReport } from '../../metrics/hallucination.ts';
import { latencyStats, type LatencyStats } from '../../metrics/latency.ts';
import { copyExplanation, fitOverlapThresholds, majorityLabel, overlapLabel, skillOverlap, templateBaseline } from '../../metrics/baselines.ts';
import type { EvalMetric, ExperimentConfig } from '../schema.ts';
import { softmax, type DecoderLayout, type TaskCodec } from '../task.ts';
import type { Answer } from './data.ts';
import { encoderBatch } from './losses.ts';
import { answer } from './decode.ts';

type EvalConfig = ExperimentConfig['eval'];

const has = (cfg: EvalConfig, m: EvalMetric) => cfg.metrics.includes(m);

/** Explanations are written this many test pairs at a time (greedy, left-padded: the same answers as one at a time). */
const EVAL_BATCH = 8;
/** Latency is timed over at most this many single requests (the first test pairs). */
export const LATENCY_CALLS = 16;

export async function classifierProbabilities(engine: Engine, model: EncoderClassifier, codec: TaskCodec, examples: readonly Example[], maxSeqLen: number, batch: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < examples.length; start += batch) {
    const chunk = examples.slice(start, start + batch);
    const logits = await engine.autograd.noGrad(() => engine.tidy(async () => (await model.forward(encoderBatch(engine, codec, chunk, maxSeqLen)).read()) as Float32Array));
    const C = FIT_LABELS.length;
    for (let i = 0; i < chunk.length; i++) out.push(softmax(Array.from(logits.subarray(i * C, (i + 1) * C))));
  }
  return out;
}

/** The classification metrics `cfg` asks for, with their intervals (students and baselines alike). */
function classificationMetrics(truth: readonly number[], predicted: readonly number[], cfg: EvalConfig): Record<string, unknown> {
  const scores = classifierScores(truth, predicted, FIT_LABELS);
  const out: Record<string, unknown> = { n: scores.n };
  if (has(cfg, 'accuracy')) out.accuracy = scores.accuracy;
  if (has(cfg, 'macroF1')) out.macroF1 = scores.macroF1;
  if (has(cfg, 'perClass')) out.perClass = scores.perClass;
  if (has(cfg, 'confusion')) out.confusion = scores.confusion;
  out.intervals = {
    ...(has(cfg, 'accuracy') ? { accuracy: scores.intervals.accuracy } : {}),
    ...(has(cfg, 'macroF1') ? { macroF1: scores.intervals.macroF1 } : {}),
  };
  return out;
}

/** ROUGE (when asked for) of explanations against the references, with intervals. */
function rougeMetrics(references: readonly string[], explanations: readonly string[], cfg: EvalConfig): { rouge?: unknown; rougeLEach?: number[]; intervals: Record<string, unknown> } {
  if (!has(cfg, 'rouge')) return { intervals: {} };
  const scores = explainerScores(references, explanations, { stem: cfg.rougeStem });
  return { rouge: scores.rouge, rougeLEach: scores.each.map((s) => s.rougeL.fmeasure), intervals: scores.intervals };
}

/**
 * Every test answer with its own scores, for the evaluate view's distribution and failure browser:
 * ROUGE-L against the reference (null when ROUGE is not measured), the stance the explanation
 * reads as, and the skills it names (canonical) with those neither the job nor the profile holds.
 */
function scoredAnswers(answers: readonly { exampleId: string; label: string; explanation: string }[], refs: readonly Answer[], rougeLEach: readonly number[] | undefined, consistency: ConsistencyReport, hallucination: HallucinationReport) {
  return answers.map((a, i) => ({
    exampleId: a.exampleId,
    label: a.label,
    explanation: a.explanation,
    reference: refs[i]!.explanation,
    referenceLabel: refs[i]!.label,
    rougeL: rougeLEach?.[i] ?? null,
    stance: consistency.perExample[i]!.stance,
    mentioned: hallucination.perExample[i]!.mentioned,
    hallucinated: hallucination.perExample[i]!.hallucinated,
  }));
}

export async function evaluateClassifier(
  engine: Engine,
  now: () => number,
  model: EncoderClassifier,
  codec: TaskCodec,
  test: readonly Example[],
  refs: readonly Answer[],
  cfg: EvalConfig,
  maxSeqLen: number,
  batch: number,
): Promise<Record<string, unknown>> {
  const byId = new Map(test.map((e) => [e.id, e]));
  const examples = refs.map((r) => byId.get(r.exampleId)!);
  const probs = await classifierProbabilities(engine, model, codec, examples, maxSeqLen, batch);
  const truth = refs.map((r) => fitLabelIndex(r.label));
  const out = classificationMetrics(truth, probs.map(argmax), cfg);
  if (has(cfg, 'ece')) {
    const calibration = calibrationFromProbabilities(probs, truth, cfg.eceBins);
    out.ece = calibration.ece;
    out.calibrationBins = calibration.bins;
  }
  if (has(cfg, 'latency') && examples.length) {
    const timings: number[] = [];
    await classifierProbabilities(engine, model, codec, examples.slice(0, 1), maxSeqLen, 1); // warm-up: kernels compile once
    for (const e of examples.slice(0, LATENCY_CALLS)) {
      const t0 = now();
      await classifierProbabilities(engine, model, codec, [e], maxSeqLen, 1);
      timings.push(now() - t0);
    }
    const t0 = now();
    await classifierProbabilities(engine, model, codec, examples, maxSeqLen, batch);
    const batchedMs = now() - t0;
    out.latency = { ...latencyStats(timings), batchedThroughputPerSec: batchedMs > 0 ? examples.length / (batchedMs / 1000) : null, batchSize: batch };
  }
  return out;
}

export async function evaluateExplainer(
  engine: Engine,
  now: () => number,
  model: DecoderLM,
  codec: TaskCodec,
  test: readonly Example[],
  refs: readonly Answer[],
  cfg: EvalConfig,
  layout: DecoderLayout,
): Promise<Record<string, unknown>> {
  const byId = new Map(test.map((e) => [e.id, e]));
  const examples = refs.map((r) => byId.get(r.exampleId)!);
  const opts = { layout, maxNewTokens: cfg.maxNewTokens, now };
  const answers = await answer(engine, model, codec, examples, { ...opts, batch: EVAL_BATCH });
  const out: Record<string, unknown> = { n: answers.length };
  out.labelAccuracy = answers.length ? answers.filter((a, i) => a.label === refs[i]!.label).length / answers.length : 0;
  const scored = rougeMetrics(refs.map((r) => r.explanation), answers.map((a) => a.explanation), cfg);
  if (scored.rouge) out.rouge = scored.rouge;
  const intervals: Record<string, unknown> = { labelAccuracy: proportionInterval(out.labelAccuracy as number, answers.length), ...scored.intervals };
  // Both reports are cheap and give every answer its stance and skills (kept below); their totals only when asked for.
  const c = consistencyReport(answers.map((a) => ({ label: a.label, explanation: a.explanation })));
  const h = hallucinationReport(answers.map((a, i) => ({ explanation: a.explanation, jobText: jobText(examples[i]!.job), profileText: profileText(examples[i]!.profile) })));
  if (has(cfg, 'consistency')) {
    out.consistency = { rate: c.rate, consistent: c.consistent, undetermined: c.undetermined, examples: c.examples };
    intervals.consistency = proportionInterval(c.rate, c.examples);
  }
  out.intervals = intervals;
  if (has(cfg, 'hallucination')) {
    out.hallucination = { mentionRate: h.mentionRate, exampleRate: h.exampleRate, mentions: h.mentions, hallucinatedMentions: h.hallucinatedMentions, examples: h.examples };
  }
  if (has(cfg, 'latency') && examples.length) {
    // One request at a time, as a service answers them, after a warm-up call (kernels compile once).
    const timed = examples.slice(0, LATENCY_CALLS);
    await answer(engine, model, codec, timed.slice(0, 1), { ...opts, batch: 1 });
    const timings: number[] = [];
    const single = await answer(engine, model, codec, timed, { ...opts, batch: 1, onAnswered: (ms) => timings.push(ms) });
    const stats: LatencyStats = latencyStats(timings);
    const totalMs = timings.reduce((a, b) => a + b, 0);
    const tokens = single.reduce((a, b) => a + b.newTokens + 1, 0);
    out.latency = { ...stats, tokensPerSec: totalMs > 0 ? tokens / (totalMs / 1000) : null };
  }
  out.answers = scoredAnswers(answers, refs, scored.rougeLEach, c, h);
  return out;
}

/** How each trivial baseline scores on the test references (fitted on the seed set). */
export interface BaselineResults {
  /** Seed-set answers the baselines were fitted on. */
  fittedOn: number;
  classifier: {
    majority: Record<string, unknown> & { label: string };
    /** A null threshold is never reached (the fit found that class best never predicted). */
    skillOverlap: Record<string, unknown> & { thresholds: { medium: number | null; high: number | null } };
  };
  explainer: {
    template: Record<string, unknown> & { sourceId: string };
    copy: Record<string, unknown>;
  };
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export function evaluateBaselines(seed: readonly { example: Example; answer: Answer }[], test: readonly Example[], refs: readonly Answer[], cfg: EvalConfig): BaselineResults {
  const byId = new Map(test.map((e) => [e.id, e]));
  const examples = refs.map((r) => byId.get(r.exampleId)!);
  const truth = refs.map((r) => fitLabelIndex(r.label));
  const majority = majorityLabel(seed.map((s) => s.answer.label));
  const thresholds = fitOverlapThresholds(seed.map((s) => skillOverlap(s.example)), seed.map((s) => s.answer.label));
  const template = templateBaseline(seed.map((s) => ({ example: s.example, explanation: s.answer.explanation })), { stem: cfg.rougeStem });
  const references = refs.map((r) => r.explanation);
  const explainerBaseline = (explain: (e: Example) => string) => {
    const texts = examples.map(explain);
    const scored = rougeMetrics(references, texts, cfg);
    return { n: texts.length, ...(scored.rouge ? { rouge: scored.rouge } : {}), intervals: scored.intervals, samples: texts.slice(0, 2).map((explanation, i) => ({ exampleId: examples[i]!.id, explanation, reference: references[i]! })) };
  };
  return {
    fittedOn: seed.length,
    classifier: {
      majority: { label: majority, ...classificationMetrics(truth, truth.map(() => fitLabelIndex(majority)), cfg) },
      skillOverlap: { thresholds: { medium: finiteOrNull(thresholds.medium), high: finiteOrNull(thresholds.high) }, ...classificationMetrics(truth, examples.map((e) => fitLabelIndex(overlapLabel(skillOverlap(e), thresholds))), cfg) },
    },
    explainer: {
      template: { sourceId: template.sourceId, ...explainerBaseline(template.explain) },
      copy: explainerBaseline(copyExplanation),
    },
  };
}
