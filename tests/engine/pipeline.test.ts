// The whole pipeline, end to end on WebGPU (SwiftShader here): demo data → offline teacher labels
// → seed set → in-house teacher → synthetic answers → an explainer and a classifier, each
// checkpointed and evaluated; then the same run crashed mid-stage and resumed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { WasmBackend } from '../../src/engine/wasm/backend.ts';
import { readSafetensors } from '../../src/engine/safetensors.ts';
import { parseExperiment, type ExperimentInput } from '../../src/experiment/schema.ts';
import { createNodeHost, fileStore, type NodeHost } from '../../src/experiment/run/node-host.ts';
import { runExperiment, type RunResults } from '../../src/experiment/run/pipeline.ts';
import type { RunEvent } from '../../src/experiment/run/host.ts';
import { Stopped } from '../../src/experiment/run/stopped.ts';
import { labelLogits } from '../../src/experiment/run/decode.ts';
import { newDecoder } from '../../src/experiment/run/train.ts';
import { TaskCodec, vocabularyTexts } from '../../src/experiment/task.ts';
import { buildStudentVocab, StudentTokenizer } from '../../src/data/vocab.ts';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';

const training = { steps: 6, batchSize: 2, maxSeqLen: 96, evalEvery: 0, optimizer: { lr: 0.01 }, schedule: { kind: 'constant' } } as const;

const EXPERIMENT: ExperimentInput = {
  version: 1,
  name: 'pipeline test',
  seed: 5,
  dataset: { demo: { seed: 3, n: 24 }, split: { train: 0.75, val: 0.083, test: 0.167 } },
  seedSet: { policy: 'auto-accept', minConfidence: 0.5 },
  inHouseTeacher: { preset: 'tiny', ...training },
  synthetic: { logits: 'full', maxNewTokens: 8 },
  stages: [
    { id: 'explainer', task: 'explain', student: { preset: 'tiny' }, source: 'teacher', loss: { divergence: 'tvd', wCe: 0.5, wKd: 1 }, ...training },
    { id: 'classifier', task: 'classify', student: { preset: 'tiny', pooling: 'mean' }, source: 'teacher', loss: { divergence: 'fkl', temperature: 2, wCe: 0.5, wKd: 1 }, ...training, batchSize: 4 },
  ],
  eval: { maxNewTokens: 8, eceBins: 5 },
};

const config = parseExperiment(EXPERIMENT).config;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'lantern-pipeline-'));
  dirs.push(d);
  return d;
};

let engine: Engine;
let events: RunEvent[] = [];
let host: NodeHost;
let baseline: RunResults;

beforeAll(async () => {
  const device = await testDevice();
  engine = new Engine(device.device);
  host = await createNodeHost({ device, engine, emit: (e) => events.push(e) });
});
afterAll(async () => {
  await host?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const inUnit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;

describe('lantern run pipeline', () => {
  it('runs demo data to results.json with real losses, checkpoints and metrics', async () => {
    const out = tempDir();
    events = [];
    baseline = await runExperiment(config, host, fileStore(out));
    const onDisk = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(baseline)));
    expect(onDisk.experiment).toEqual(config);
    expect(onDisk.device?.adapter).toBeDefined();

    // Data: the split covers every example; the offline teacher labelled all of them.
    const { data } = onDisk;
    expect(data.train + data.val + data.test).toBe(24);
    expect(Object.values(data.teacherLabels).reduce((a, b) => a + b, 0)).toBe(24);
    expect(data.seedSet.accepted).toBeGreaterThan(0);
    expect(data.seedSet.accepted).toBeLessThanOrEqual(data.train);
    expect(data.vocabSize).toBeGreaterThan(262);

    // Every model trained every step; losses are finite and went down over the run.
    const curves = [onDisk.teacher.curves.train, ...onDisk.stages.map((s) => s.curves.train)];
    for (const curve of curves) {
      expect(curve.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const p of curve) expect(Number.isFinite(p.loss)).toBe(true);
      expect(curve.at(-1)!.loss).toBeLessThan(curve[0]!.loss);
    }
    expect(onDisk.teacher.synthetic.examples).toBe(data.train);
    // The in-house teacher is measured on the test split like the explainers it teaches.
    const tm = onDisk.teacher.metrics as { n: number; rouge: Record<string, { fmeasure: number }>; labelAccuracy: number };
    expect(tm.n).toBe(data.test);
    expect(inUnit(tm.rouge.rougeL!.fmeasure) && inUnit(tm.labelAccuracy)).toBe(true);

    // Checkpoints in Hugging Face form.
    for (const id of ['teacher', 'explainer', 'classifier']) {
      const cfg = JSON.parse(readFileSync(join(out, 'checkpoints', id, 'config.json'), 'utf8')) as { architectures: string[]; vocab_size: number };
      expect(cfg.vocab_size).toBe(data.vocabSize);
      const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(out, 'checkpoints', id, 'model.safetensors'))));
      expect(tensors.size).toBeGreaterThan(5);
      expect(existsSync(join(out, 'checkpoints', id, 'resume'))).toBe(false);
    }
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'classifier', 'config.json'), 'utf8')).architectures).toEqual(['ModernBertForSequenceClassification']);

    const [explainer, classifier] = onDisk.stages as [RunResults['stages'][0], RunResults['stages'][0]];
    // Classifier: metrics in range; the confusion matrix counts every test example once.
    const cm = classifier.metrics as { n: number; accuracy: number; macroF1: number; ece: number; confusion: { matrix: number[][] }; perClass: { precision: number; recall: number; f1: number }[]; latency: { p50Ms: number; p95Ms: number; count: number } };
    expect(cm.n).toBe(data.test);
    expect(cm.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(data.test);
    for (const x of [cm.accuracy, cm.macroF1, cm.ece, ...cm.perClass.flatMap((c) => [c.precision, c.recall, c.f1])]) expect(inUnit(x)).toBe(true);
    expect(cm.latency.count).toBe(data.test);
    expect(cm.latency.p95Ms).toBeGreaterThanOrEqual(cm.latency.p50Ms);
    // Explainer: ROUGE, consistency and hallucination rates are proportions; latency measured per example.
    const em = explainer.metrics as { n: number; labelAccuracy: number; rouge: Record<string, { precision: number; recall: number; fmeasure: number }>; consistency: { rate: number }; hallucination: { mentionRate: number; exampleRate: number }; latency: { count: number; p50Ms: number }; answers: { explanation: string; reference: string; rougeL: number; hallucinated: string[] }[] };
    expect(em.n).toBe(data.test);
    expect(Object.keys(em.rouge).sort()).toEqual(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
    for (const s of Object.values(em.rouge)) for (const x of Object.values(s)) expect(inUnit(x)).toBe(true);
    for (const x of [em.labelAccuracy, em.consistency.rate, em.hallucination.mentionRate, em.hallucination.exampleRate]) expect(inUnit(x)).toBe(true);
    expect(em.latency.count).toBe(data.test);
    expect(em.latency.p50Ms).toBeGreaterThan(0);
    // Every test answer is kept with its own scores, and they add up to the totals.
    expect(em.answers).toHaveLength(data.test);
    expect(em.answers.reduce((a, b) => a + b.rougeL, 0) / data.test).toBeCloseTo(em.rouge.rougeL!.fmeasure, 12);
    expect(em.answers.every((a) => Array.isArray(a.hallucinated) && typeof a.reference === 'string')).toBe(true);

    // Headline numbers carry 95% intervals over the test pairs that contain them.
    const within = (x: number, ci: { lo: number; hi: number; n: number }) => ci.lo <= x + 1e-12 && x <= ci.hi + 1e-12 && ci.n === data.test;
    const ci = cm as unknown as { intervals: Record<string, { lo: number; hi: number; n: number; method: string }> };
    expect(within(cm.accuracy, ci.intervals.accuracy!) && ci.intervals.accuracy!.method === 'wilson').toBe(true);
    expect(within(cm.macroF1, ci.intervals.macroF1!) && ci.intervals.macroF1!.method === 'bootstrap').toBe(true);
    const eci = em as unknown as { intervals: Record<string, { lo: number; hi: number; n: number }> };
    expect(within(em.rouge.rougeL!.fmeasure, eci.intervals.rougeL!)).toBe(true);
    expect(within(em.labelAccuracy, eci.intervals.labelAccuracy!)).toBe(true);

    // The trivial baselines, fitted on the seed set, scored on the same test pairs.
    const b = onDisk.baselines!;
    expect(b.fittedOn).toBe(data.seedSet.accepted);
    for (const m of [b.classifier.majority, b.classifier.skillOverlap] as unknown as { n: number; accuracy: number; macroF1: number }[]) {
      expect(m.n).toBe(data.test);
      expect(inUnit(m.accuracy) && inUnit(m.macroF1)).toBe(true);
    }
    for (const m of [b.explainer.template, b.explainer.copy] as unknown as { n: number; rouge: Record<string, { fmeasure: number }> }[]) {
      expect(m.n).toBe(data.test);
      expect(inUnit(m.rouge.rougeL!.fmeasure)).toBe(true);
    }
    // The copy baseline writes the posting's requirements: long, so some words always match.
    expect((b.explainer.copy as unknown as { rouge: Record<string, { fmeasure: number }> }).rouge.rouge1!.fmeasure).toBeGreaterThan(0);

    // Progress reached the caller: every phase started and finished, training steps reported.
    const done = events.filter((e) => e.type === 'phase' && e.status === 'done').map((e) => (e as { phase: string }).phase);
    expect(done).toEqual(['teacher-labels', 'vocabulary', 'seed-set', 'in-house-teacher', 'synthetic', 'evaluate:teacher', 'baselines', 'stage:explainer', 'stage:classifier']);
    expect(events.filter((e) => e.type === 'train' && e.model === 'explainer')).toHaveLength(6);
  });

  it('runs the same experiment on the WASM backend to the same data and, model by model, the same training losses', async () => {
    const wasm = new Engine(await WasmBackend.create({ threads: 2 }));
    const wasmHost = await createNodeHost({ engine: wasm });
    try {
      const out = tempDir();
      const onWasm = await runExperiment({ ...config, engine: 'wasm' }, wasmHost, fileStore(out));
      expect(onWasm.backend).toMatchObject({ kind: 'wasm', threads: 2 });
      expect(baseline.backend).toMatchObject({ kind: 'webgpu' });
      // The data phases do not touch the engine: identical.
      expect(onWasm.data).toEqual(baseline.data);
      // The in-house teacher trains on the same batches from the same weights: its losses agree up to
      // f32 rounding (the kernels sum in other orders; WASM's KD loss is float64), step by step.
      const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));
      const teacherErrs = onWasm.teacher.curves.train.map((p, i) => relErr(p.loss, baseline.teacher.curves.train[i]!.loss));
      expect(Math.max(...teacherErrs)).toBeLessThan(1e-4);
      // The stages learn from the teacher's greedy answers, which rounding may change a token of:
      // their first step (before any update) still agrees closely.
      onWasm.stages.forEach((s, i) => expect(relErr(s.curves.train[0]!.loss, baseline.stages[i]!.curves.train[0]!.loss), s.id).toBeLessThan(1e-3));
      console.log(`pipeline on WASM vs WebGPU: teacher loss rel. err. ≤ ${Math.max(...teacherErrs).toExponential(1)}; timings WASM ${JSON.stringify(onWasm.timings)} WebGPU ${JSON.stringify(baseline.timings)}`);
    } finally {
      await wasmHost.close();
      wasm.destroy();
    }
  });

  it('answers only synthetic.maxExamples pairs for D_synth, while a classifier from "seed" learns from the whole seed set', async () => {
    const wasm = new Engine(await WasmBackend.create({ threads: 1 }));
    const wasmHost = await createNodeHost({ engine: wasm });
    try {
      const capped = parseExperiment({
        ...EXPERIMENT,
        engine: 'wasm',
        synthetic: { logits: 'full', maxNewTokens: 8, maxExamples: 5 },
        stages: [EXPERIMENT.stages![1]!, { ...EXPERIMENT.stages![1]!, id: 'from-seed', source: 'seed' }],
      }).config;
      const r = await runExperiment(capped, wasmHost, fileStore(tempDir()));
      expect(r.teacher.synthetic.examples).toBe(5);
      const [fromTeacher, fromSeed] = r.stages;
      expect(fromTeacher!.examples).toBe(5);
      expect(r.data.seedSet.accepted).toBeGreaterThan(5);
      expect(fromSeed!.source).toBe('seed');
      expect(fromSeed!.examples).toBe(r.data.seedSet.accepted);
      expect(inUnit((fromSeed!.metrics as { macroF1: number }).macroF1)).toBe(true);
    } finally {
      await wasmHost.close();
      wasm.destroy();
    }
  });

  it('resumes after a crash mid-stage: finished phases are skipped, the stage continues from its last resume point', async () => {
    const out = tempDir();
    events = [];
    await expect(runExperiment(config, host, fileStore(out), { checkpointEvery: 2, failAfter: { model: 'explainer', step: 3 } })).rejects.toThrow(/injected failure after step 3 of explainer/);
    expect(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).status).toBe('failed');
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'explainer', 'resume', 'state.json'), 'utf8')).step).toBe(2);

    events = [];
    const resumed = await runExperiment(config, host, fileStore(out), { checkpointEvery: 2 });
    const skipped = events.filter((e) => e.type === 'phase' && e.status === 'skip').map((e) => (e as { phase: string }).phase);
    expect(skipped).toEqual(['teacher-labels', 'vocabulary', 'seed-set', 'in-house-teacher', 'synthetic', 'evaluate:teacher', 'baselines']);
    expect(events.filter((e) => e.type === 'train' && e.model === 'teacher')).toHaveLength(0);
    expect(events.find((e) => e.type === 'resume')).toEqual({ type: 'resume', model: 'explainer', step: 2 });
    expect(events.filter((e) => e.type === 'train' && e.model === 'explainer').map((e) => (e as { step: number }).step)).toEqual([3, 4, 5, 6]);

    const explainer = resumed.stages[0]!;
    expect(explainer.resumedFrom).toBe(2);
    expect(explainer.steps).toBe(6);
    expect(explainer.curves.train.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Weights, optimizer moments and batch order were restored: the run is the uninterrupted one.
    const reference = baseline.stages[0]!.curves.train;
    explainer.curves.train.forEach((p, i) => expect(p.loss).toBeCloseTo(reference[i]!.loss, 4));
    expect(resumed.stages[1]!.curves.train.at(-1)!.loss).toBeCloseTo(baseline.stages[1]!.curves.train.at(-1)!.loss, 4);
    expect(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).status).toBe('done');
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    // Phases finished before the crash keep their times in the results.
    expect(Object.keys(resumed.timings)).toEqual(['teacher-labels', 'vocabulary', 'seed-set', 'in-house-teacher', 'synthetic', 'evaluate:teacher', 'baselines', 'stage:explainer', 'stage:classifier']);
    expect(resumed.timings['in-house-teacher']).toBeGreaterThan(0);
  });

  it('records a stopped run as stopped (not failed), and it resumes', async () => {
    const out = tempDir();
    const stop = new AbortController();
    stop.abort();
    await expect(runExperiment(config, host, fileStore(out), { signal: stop.signal })).rejects.toThrow(Stopped);
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(state.status).toBe('stopped');
    expect(state.error).toMatch(/stopped by the user before teacher-labels/);
  });

  it('refuses to mix two experiments in one output folder', async () => {
    const out = tempDir();
    const store = fileStore(out);
    await store.write('state.json', JSON.stringify({ configHash: 'another', status: 'done', phases: {} }));
    await expect(runExperiment(config, host, store)).rejects.toThrow(/different experiment/);
  });

  it('refuses, before building a model, an experiment whose buffers exceed this GPU\'s largest, with the figures', async () => {
    // The same run on a GPU whose largest buffer is 64 KiB: the logits of batch 2 × 96 tokens do not fit.
    const small = { maxBufferSize: 64 * 1024, maxStorageBufferBindingSize: 64 * 1024 };
    const smallGpu = { ...host, engine: new Proxy(engine, { get: (t, k) => (k === 'limits' ? small : Reflect.get(t, k)) }) };
    events = [];
    const out = tempDir();
    await expect(runExperiment(config, smallGpu, fileStore(out))).rejects.toThrow(/this GPU cannot train the experiment as configured: inHouseTeacher\.batchSize: .* needs one \d+ MiB buffer at batch 2 × 96 tokens; this GPU's largest is 1 MiB: lower batchSize or maxSeqLen/);
    expect(events.some((e) => e.type === 'phase' && e.phase === 'in-house-teacher')).toBe(false);
  });
});

describe('label position', () => {
  it('gives each prompt the same label logits in a left-padded batch as alone', async () => {
    const examples = generateDemoExamples({ seed: 2, n: 3 });
    const codec = new TaskCodec(new StudentTokenizer(buildStudentVocab(loadQwenTokenizer(), vocabularyTexts(examples, [])), loadQwenTokenizer()));
    const model = newDecoder(engine, 'tiny', codec.vocabSize, 11);
    try {
      const prompts = [codec.prompt(examples[0]!, 40), codec.prompt(examples[1]!, 64), codec.prompt(examples[2]!, 52)];
      expect(new Set(prompts.map((p) => p.length)).size).toBe(3);
      const batched = await labelLogits(engine, model, codec, prompts, 3);
      const alone = await labelLogits(engine, model, codec, prompts, 1);
      batched.flat().forEach((x, i) => expect(x).toBeCloseTo(alone.flat()[i]!, 4));
      // Different prompts give different logits (the test would prove little otherwise).
      expect(batched[0]).not.toEqual(batched[1]);
    } finally {
      model.release();
    }
  });
});
