// Test-split evaluation of a finished student (src/metrics does the math): classifiers against
// the reference labels (accuracy, macro-F1, per-class P/R/F1, confusion, ECE), explainers against
// the reference explanations (ROUGE, label↔explanation consistency, hallucinated skills), and the
// latency of one request (batch 1, after a warm-up call) for both.
import type { Engine } from '../../engine/runtime.ts';
import type { DecoderLM } from '../../engine/nn/decoder.ts';
import type { EncoderClassifier } from '../../engine/nn/encoder.ts';
import { FIT_LABELS, fitLabelIndex, type Example } from '../../data/schema.ts';
import { jobText, profileText } from '../../data/format.ts';
import { classificationReport, calibrationFromProbabilities } from '../../metrics/classification.ts';
import { meanRouge, rouge } from '../../metrics/rouge.ts';
import { consistencyReport } from '../../metrics/consistency.ts';
import { hallucinationReport } from '../../metrics/hallucination.ts';
import { latencyStats, type LatencyStats } from '../../metrics/latency.ts';
import type { EvalMetric, ExperimentConfig } from '../schema.ts';
import { softmax, type TaskCodec } from '../task.ts';
import type { Answer } from './data.ts';
import { encoderBatch } from './losses.ts';
import { answer } from './decode.ts';

type EvalConfig = ExperimentConfig['eval'];

const has = (cfg: EvalConfig, m: EvalMetric) => cfg.metrics.includes(m);

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
  const report = classificationReport(truth, probs.map((p) => p.indexOf(Math.max(...p))), FIT_LABELS);
  const out: Record<string, unknown> = { n: report.n };
  if (has(cfg, 'accuracy')) out.accuracy = report.accuracy;
  if (has(cfg, 'macroF1')) out.macroF1 = report.macroF1;
  if (has(cfg, 'perClass')) out.perClass = report.perClass;
  if (has(cfg, 'confusion')) out.confusion = { labels: report.labels, matrix: report.confusion };
  if (has(cfg, 'ece')) {
    const calibration = calibrationFromProbabilities(probs, truth, cfg.eceBins);
    out.ece = calibration.ece;
    out.calibrationBins = calibration.bins;
  }
  if (has(cfg, 'latency')) {
    const timings: number[] = [];
    await classifierProbabilities(engine, model, codec, examples.slice(0, 1), maxSeqLen, 1); // warm-up: kernels compile once
    for (const e of examples) {
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
  maxSeqLen: number,
): Promise<Record<string, unknown>> {
  const byId = new Map(test.map((e) => [e.id, e]));
  const examples = refs.map((r) => byId.get(r.exampleId)!);
  const timings: number[] = [];
  const opts = { maxSeqLen, maxNewTokens: cfg.maxNewTokens, batch: 1, now };
  if (has(cfg, 'latency') && examples.length) await answer(engine, model, codec, examples.slice(0, 1), opts); // warm-up
  const answers = await answer(engine, model, codec, examples, { ...opts, onAnswered: (ms) => timings.push(ms) });
  const out: Record<string, unknown> = { n: answers.length };
  out.labelAccuracy = answers.length ? answers.filter((a, i) => a.label === refs[i]!.label).length / answers.length : 0;
  if (has(cfg, 'rouge')) out.rouge = meanRouge(answers.map((a, i) => rouge(refs[i]!.explanation, a.explanation, { stem: cfg.rougeStem })));
  if (has(cfg, 'consistency')) {
    const c = consistencyReport(answers.map((a) => ({ label: a.label, explanation: a.explanation })));
    out.consistency = { rate: c.rate, consistent: c.consistent, undetermined: c.undetermined, examples: c.examples };
  }
  if (has(cfg, 'hallucination')) {
    const h = hallucinationReport(answers.map((a, i) => ({ explanation: a.explanation, jobText: jobText(examples[i]!.job), profileText: profileText(examples[i]!.profile) })));
    out.hallucination = { mentionRate: h.mentionRate, exampleRate: h.exampleRate, mentions: h.mentions, hallucinatedMentions: h.hallucinatedMentions, examples: h.examples };
  }
  if (has(cfg, 'latency')) {
    const stats: LatencyStats = latencyStats(timings);
    const totalMs = timings.reduce((a, b) => a + b, 0);
    const tokens = answers.reduce((a, b) => a + b.newTokens + 1, 0);
    out.latency = { ...stats, tokensPerSec: totalMs > 0 ? tokens / (totalMs / 1000) : null };
  }
  out.samples = answers.slice(0, 3).map((a, i) => ({ exampleId: a.exampleId, label: a.label, explanation: a.explanation, reference: refs[i]!.explanation, referenceLabel: refs[i]!.label }));
  return out;
}
