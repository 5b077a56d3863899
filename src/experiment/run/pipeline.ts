// The orchestrator: one experiment, end to end (the pipeline of src/experiment/README.md).
//
//   data → split → black-box teacher labels (proxy API) → student vocabulary → seed set →
//   in-house teacher (SFT on the seed set) → synthetic answers (labels, explanations, logits) →
//   teacher and baselines scored on the test split → stages in order (train, checkpoint,
//   evaluate) → results
//
// Each phase is a named function over one RunContext. Every phase leaves an artifact; a phase
// whose artifact exists is skipped, so running again into the same store resumes (a model in
// training continues from its last resume point, see train.ts). Phases up to the synthetic
// answers depend only on the part of the config `sharedKey` names, so the runs of a sweep that
// share it compute them once (the `shared` store).
import type { Engine } from '../../engine/runtime.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { DecoderLM } from '../../engine/nn/decoder.ts';
import type { EncoderClassifier } from '../../engine/nn/encoder.ts';
import type { AnyModel } from '../../engine/checkpoint.ts';
import type { KdLossSpec } from '../../engine/kd-spec.ts';
import type { DecoderDims, EncoderDims } from '../../engine/presets.ts';
import { FIT_LABELS, type Example, type Review, type TeacherLabel } from '../../data/schema.ts';
import { buildStudentVocab, DEFAULT_MAX_VOCAB, StudentTokenizer } from '../../data/vocab.ts';
import { canonicalJson, sha256Hex } from '../../data/hash.ts';
import { deriveSeed } from '../../data/rng.ts';
import { decoderDimsOf, encoderDimsOf, experimentMemoryIssues, experimentIdentity, isPretrained, stageDims, modelLora, modelLabel, teacherDims, type ClassifyStageConfig, type ExperimentConfig, type ExplainStageConfig, type PretrainedConfig, type PretrainedStudentConfig, type StageConfig, SEED_SOURCE } from '../schema.ts';
import { buildPretrained, dimsOf, planPretrained, type PretrainedInfo } from './pretrained-student.ts';
import { stageUse, teacherUse, type PretrainedUse } from '../pretrained-size.ts';
import { decoderLayout, TaskCodec, vocabularyTexts, type DecoderLayout } from '../task.ts';
import { RunError, runStopped, type ArtifactStore, type RunHost } from './host.ts';
import { endStatus } from './stopped.ts';
import { STREAMS, loadExamples, seedLabelPool, reviewsById, selectSeedSet, splitExamples, testReferences, type Answer, type DataSplit, type SeedSet } from './data.ts';
import { downsample, dropResumePoint, newDecoder, newEncoder, restoreCheckpoint, storeAdapter, storeCheckpoint, train, type TrainResult } from './train.ts';
import { answer, labelLogits, responseTopK, type DecodedAnswer } from './decode.ts';
import { classifyLoss, classifyValLoss, explainLoss, sftLoss, type DecoderSource, type StepLoss, type TeacherSequence } from './losses.ts';
import { classifierProbabilities, evaluateBaselines, evaluateClassifier, evaluateExplainer, type BaselineResults } from './evaluate.ts';

import { RESULTS_FORMAT } from '../results.ts';

export interface RunOptions {
  /** Where the phases before the stages keep their artifacts (default: the run's own store). */
  shared?: ArtifactStore;
  /** Save a resume point every N training steps (default: evalEvery, else 50). */
  checkpointEvery?: number;
  /** Tests only: fail after `step` steps of model `model` ('teacher' or a stage id), as a crash would. */
  failAfter?: { model: string; step: number };
  /** Stops the run between phases and between training steps (a resume point is saved first). */
  signal?: AbortSignal;
}

interface SyntheticAnswer extends DecodedAnswer {
  topk?: { ids: number[][]; logprobs: number[][] };
}

export interface StageResult {
  id: string;
  task: StageConfig['task'];
  preset: string;
  /** The model's dimensions (the preset's, with the stage's dims on top). */
  dims?: DecoderDims | EncoderDims;
  /** A student started from a model folder: what it was and what its run was checked against. */
  pretrained?: PretrainedInfo;
  source: string;
  /** Pairs it learned from: D_synth's (an explainer, or a classifier of a model), or the seed set's. */
  examples: number;
  parameters: number;
  loss: KdLossSpec;
  steps: number;
  resumedFrom: number;
  curves: { train: { step: number; loss: number }[]; val: { step: number; loss: number }[] };
  seconds: number;
  metrics: Record<string, unknown>;
}

export interface RunResults {
  format: typeof RESULTS_FORMAT;
  version: 1;
  experiment: ExperimentConfig;
  device: RunHost['device'];
  backend: RunHost['backend'];
  startedAt: string;
  finishedAt: string;
  timings: Record<string, number>;
  data: { examples: number; train: number; val: number; test: number; vocabSize: number; seedSet: { policy: string; candidates: number; accepted: number }; teacherLabels: Record<string, number> };
  /** `preset` is the preset's name or "pretrained <source>"; `pretrained` says what a teacher from a model folder was. */
  teacher: { preset: string; dims?: DecoderDims; pretrained?: PretrainedInfo; parameters: number; steps: number; curves: StageResult['curves']; seconds: number; metrics: Record<string, unknown>; synthetic: { examples: number; labels: Record<string, number>; meanNewTokens: number; logits: string } };
  /** The trivial baselines on the same test references (absent in results written before they existed). */
  baselines?: BaselineResults;
  stages: StageResult[];
}

/** The part of the config the phases before the stages depend on. */
export async function sharedKey(config: ExperimentConfig): Promise<string> {
  const { seed, dataset, teacher, seedSet, inHouseTeacher, synthetic } = config;
  return (await sha256Hex(canonicalJson({ seed, dataset, teacher, seedSet, inHouseTeacher, synthetic }))).slice(0, 16);
}

const decoder = new TextDecoder();
async function readJson<T>(store: ArtifactStore, key: string): Promise<T | null> {
  const bytes = await store.read(key);
  return bytes ? (JSON.parse(decoder.decode(bytes)) as T) : null;
}
const writeJson = (store: ArtifactStore, key: string, value: unknown) => store.write(key, JSON.stringify(value));

const countLabels = (labels: readonly { label: string }[]) => Object.fromEntries(FIT_LABELS.map((l) => [l, labels.filter((x) => x.label === l).length]));

/** state.json: where a run stands. 'stopped' is a stop (it resumes), never a failure. */
interface RunState {
  configHash: string;
  status: 'running' | 'done' | 'failed' | 'stopped';
  phases: Record<string, { status: 'done' | 'skipped'; seconds: number }>;
  error?: string;
  updatedAt: string;
}

// ── the run context ───────────────────────────────────────────────────────────────────────────

/** What every phase of one run shares. */
interface RunContext {
  config: ExperimentConfig;
  host: RunHost;
  engine: Engine;
  /** The run's own artifacts (stages, results). */
  store: ArtifactStore;
  /** Artifacts of the phases before the stages (shared by a sweep's runs with one sharedKey). */
  shared: ArtifactStore;
  opts: RunOptions;
  /** state.json as an earlier invocation of this run left it. */
  previous: RunState | null;
  state: RunState;
  timings: Record<string, number>;
  /** Finished models loaded for a later phase (released when the run ends). */
  loaded: Map<string, AnyModel>;
  startedAt: string;
}

/** The data phases' outcome: what the models learn from and are judged against. */
interface RunData {
  examples: Example[];
  split: DataSplit;
  byId: Map<string, Example>;
  labelList: TeacherLabel[];
  codec: TaskCodec;
  /** The student vocabulary the codec encodes with (pretrained students are pruned to it). */
  student: StudentTokenizer;
  seedSet: SeedSet;
  /** Test and validation references (reviewed answers where reviews exist). */
  refs: Answer[];
  valRefs: Answer[];
}

type TeacherRun = TrainResult & { parameters: number; dims?: DecoderDims; pretrained?: PretrainedInfo };

async function openRun(config: ExperimentConfig, host: RunHost, store: ArtifactStore, opts: RunOptions): Promise<RunContext> {
  const startedAt = new Date().toISOString();
  // Not over `engine`: a run started on one backend resumes on the other.
  const configHash = await sha256Hex(canonicalJson(experimentIdentity(config)));
  const previous = await readJson<RunState>(store, 'state.json');
  if (previous && previous.configHash !== configHash) {
    throw new RunError('this output already holds a run of a different experiment; use another output folder (or delete this one) to start a new run');
  }
  const ctx: RunContext = {
    config,
    host,
    engine: host.engine,
    store,
    shared: opts.shared ?? store,
    opts,
    previous,
    state: { configHash, status: 'running', phases: {}, updatedAt: startedAt },
    timings: {},
    loaded: new Map(),
    startedAt,
  };
  await saveState(ctx);
  return ctx;
}

const saveState = (ctx: RunContext) => writeJson(ctx.store, 'state.json', { ...ctx.state, updatedAt: new Date().toISOString() });

/** Runs a phase unless `done()` finds its artifact. */
async function runPhase<T>(ctx: RunContext, name: string, done: () => Promise<T | null>, work: () => Promise<T>): Promise<T> {
  const { host, state } = ctx;
  const existing = await done();
  if (existing !== null) {
    host.emit({ type: 'phase', phase: name, status: 'skip' });
    // A phase finished by an earlier invocation of this run keeps its time in the results.
    const before = ctx.previous?.phases[name];
    state.phases[name] = before?.status === 'done' ? before : { status: 'skipped', seconds: 0 };
    if (before?.status === 'done') ctx.timings[name] = before.seconds;
    await saveState(ctx);
    return existing;
  }
  if (ctx.opts.signal?.aborted) throw runStopped(`before ${name}`);
  host.emit({ type: 'phase', phase: name, status: 'start' });
  const t0 = host.now();
  const result = await work();
  const seconds = (host.now() - t0) / 1000;
  ctx.timings[name] = seconds;
  state.phases[name] = { status: 'done', seconds };
  await saveState(ctx);
  host.emit({ type: 'phase', phase: name, status: 'done', seconds });
  return result;
}

const checkpointEvery = (ctx: RunContext, t: { evalEvery: number }) => Math.max(1, ctx.opts.checkpointEvery ?? (t.evalEvery || 50));
const failAfterStep = (ctx: RunContext, model: string) => (ctx.opts.failAfter?.model === model ? { failAfterStep: ctx.opts.failAfter.step } : {});
const signalOf = (ctx: RunContext) => (ctx.opts.signal ? { signal: ctx.opts.signal } : {});

/** Every decoder of a run writes responses of the same length: a label and synthetic.maxNewTokens more. */
const layoutOf = (ctx: RunContext, maxSeqLen: number, maxPosition: number): DecoderLayout => {
  try {
    return decoderLayout(maxSeqLen, maxPosition, ctx.config.synthetic.maxNewTokens);
  } catch (e) {
    throw new RunError((e as Error).message);
  }
};
/** The teacher's context is its model's: the preset's, or a pretrained folder's max_position_embeddings. */
const teacherLayout = (ctx: RunContext, teacher: DecoderLM) => layoutOf(ctx, ctx.config.inHouseTeacher.maxSeqLen, teacher.config.maxPosition);

// ── data ──────────────────────────────────────────────────────────────────────────────────────

/** Examples and split, the black-box teacher's labels, the student vocabulary, the seed set and the references. */
async function prepareData(ctx: RunContext): Promise<RunData> {
  const { config, host, shared } = ctx;
  const examples = await loadExamples(host, config.dataset);
  const split = splitExamples(examples, config.dataset.split, config.seed);
  const all = [...split.train, ...split.val, ...split.test];

  const labelList = await runPhase(ctx, 'teacher-labels', () => readJson<TeacherLabel[]>(shared, 'teacher-labels.json'), async () => {
    const labels = await host.teacher.label(all, { provider: config.teacher.provider, onProgress: (done, total) => host.emit({ type: 'progress', phase: 'teacher-labels', done, total }) });
    await writeJson(shared, 'teacher-labels.json', labels);
    return labels;
  });
  const labels = new Map(labelList.map((l) => [l.exampleId, l]));
  for (const e of all) if (!labels.has(e.id)) throw new RunError(`the stored teacher labels miss example ${e.id}; delete teacher-labels.json to label again`);

  const vocabJson = await runPhase(ctx, 'vocabulary', () => readJson<unknown>(shared, 'vocab.json'), async () => {
    const vocab = buildStudentVocab(await host.qwenTokenizer(), vocabularyTexts(examples, split.train.map((e) => labels.get(e.id)!)));
    await writeJson(shared, 'vocab.json', vocab);
    return vocab;
  });
  const student = new StudentTokenizer(vocabJson, await host.qwenTokenizer());
  const codec = new TaskCodec(student);
  checkDeviceMemory(ctx, codec.vocabSize);

  const seedSet = await runPhase(ctx, 'seed-set', () => readJson<SeedSet>(shared, 'seed-set.json'), async () => {
    const chosen = await selectSeedSet(host, config.seedSet, split.train, labels);
    await writeJson(shared, 'seed-set.json', chosen);
    return chosen;
  });
  const reviews: Map<string, Review> = config.seedSet.policy === 'auto-accept' ? new Map() : reviewsById(await host.loadReviews(config.seedSet));
  return {
    examples,
    split,
    byId: new Map(examples.map((e) => [e.id, e])),
    labelList,
    codec,
    student,
    seedSet,
    refs: testReferences(split.test, labels, reviews),
    valRefs: testReferences(split.val, labels, reviews),
  };
}

/**
 * Refuses, before any model is built, a run whose models would not fit this GPU's largest buffer
 * at the real vocabulary size (the schema checked the nominal one without a device), with the figures.
 */
function checkDeviceMemory(ctx: RunContext, vocabSize: number): void {
  const { limits } = ctx.engine;
  const issues = experimentMemoryIssues(ctx.config, { vocabSize, maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize });
  if (issues.length) throw new RunError(`this GPU cannot train the experiment as configured: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
}

/** (example, label, explanation) items of answers. */
const itemsOf = (data: RunData, answers: readonly Answer[]) => answers.map((a) => ({ example: data.byId.get(a.exampleId)!, label: a.label, explanation: a.explanation }));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ── in-house teacher ──────────────────────────────────────────────────────────────────────────

/**
 * SFT of the teacher (a preset decoder, or one read from its model folder) on the seed set; its
 * checkpoint (merged) goes to the shared store, with a PEFT adapter beside it when it trains LoRA.
 */
async function trainInHouseTeacher(ctx: RunContext, data: RunData): Promise<TeacherRun> {
  const { config, engine, host, shared } = ctx;
  const tcfg = config.inHouseTeacher;
  const resume = shared.scoped('checkpoints/teacher');
  return runPhase(ctx, 'in-house-teacher', () => readJson<TeacherRun>(shared, 'teacher.json'), async () => {
    const seed = deriveSeed(config.seed, STREAMS.teacherInit);
    const built: Student = isPretrained(tcfg) ? await pretrainedModel(ctx, data, teacherUse(tcfg), tcfg.pretrained, seed, 'in-house-teacher') : { model: newDecoder(engine, decoderDimsOf(tcfg), data.codec.vocabSize, seed, tcfg.lora) };
    const model = built.model as DecoderLM;
    const layout = teacherLayout(ctx, model);
    try {
      const seedItems = itemsOf(data, data.seedSet.answers);
      const valItems = itemsOf(data, data.valRefs);
      const result = await train(host, {
        name: 'teacher',
        model,
        training: tcfg,
        clipNorm: tcfg.optimizer.clipNorm,
        poolSize: seedItems.length,
        lengths: () => seedItems.map((it) => data.codec.sequence(it.example, data.codec.response(it.label, it.explanation), layout).ids.length),
        seed: deriveSeed(config.seed, STREAMS.teacherBatches),
        loss: (idx) => sftLoss(engine, model, data.codec, idx.map((i) => seedItems[i]!), layout),
        ...(valItems.length ? { valBatches: () => chunks(valItems, tcfg.batchSize).map((c) => () => sftLoss(engine, model, data.codec, c, layout).loss) } : {}),
        store: resume,
        checkpointEvery: checkpointEvery(ctx, tcfg),
        ...failAfterStep(ctx, 'teacher'),
        ...signalOf(ctx),
      });
      await storeCheckpoint(shared, 'checkpoints/teacher', model, { lantern_model: 'in-house-teacher' });
      if (modelLora(tcfg)) await storeAdapter(shared, 'checkpoints/teacher/adapter', model, built.pretrained?.source);
      await dropResumePoint(resume);
      const summary: TeacherRun = { ...result, parameters: model.parameterCount(), dims: dimsOf(model.config) as DecoderDims, ...(built.pretrained ? { pretrained: built.pretrained } : {}) };
      await writeJson(shared, 'teacher.json', summary);
      return summary;
    } finally {
      model.release();
    }
  });
}

/** A finished model ('teacher' or a stage id), loaded once per run. */
async function finishedModel(ctx: RunContext, id: string): Promise<AnyModel> {
  if (!ctx.loaded.has(id)) {
    const [store, dir] = id === 'teacher' ? [ctx.shared, 'checkpoints/teacher'] : [ctx.store, `checkpoints/${id}`];
    ctx.loaded.set(id, await restoreCheckpoint(ctx.engine, store, dir));
  }
  return ctx.loaded.get(id)!;
}

/** D_synth: the in-house teacher's answers for the training split (and top-k log-probs when configured). */
async function writeSynthetic(ctx: RunContext, data: RunData): Promise<SyntheticAnswer[]> {
  const { config, engine, host, shared } = ctx;
  const scfg = config.synthetic;
  return runPhase(ctx, 'synthetic', () => readJson<SyntheticAnswer[]>(shared, 'synthetic.json'), async () => {
    const teacher = (await finishedModel(ctx, 'teacher')) as DecoderLM;
    const layout = teacherLayout(ctx, teacher);
    const asked = scfg.maxExamples > 0 ? data.split.train.slice(0, scfg.maxExamples) : data.split.train;
    const answers: SyntheticAnswer[] = await answer(engine, teacher, data.codec, asked, {
      layout,
      maxNewTokens: scfg.maxNewTokens,
      batch: 8,
      onProgress: (done) => host.emit({ type: 'progress', phase: 'synthetic', done, total: asked.length }),
    });
    if (scfg.logits === 'topk') {
      for (const a of answers) {
        const seq = data.codec.sequence(data.byId.get(a.exampleId)!, a.response, layout);
        a.topk = await responseTopK(engine, teacher, seq.ids, seq.responseStart, scfg.topK);
      }
    }
    await writeJson(shared, 'synthetic.json', answers);
    return answers;
  });
}

/** Artifacts of measurements that depend on how the run measures: shared by a sweep's runs that measure alike. */
const evalKey = async (ctx: RunContext, name: string) => `${name}-${(await sha256Hex(canonicalJson(ctx.config.eval))).slice(0, 12)}.json`;

/** The in-house teacher on the test split: the reference every explain student is compared with. */
async function evaluateInHouseTeacher(ctx: RunContext, data: RunData): Promise<Record<string, unknown>> {
  const key = await evalKey(ctx, 'teacher-metrics');
  return runPhase(ctx, 'evaluate:teacher', () => readJson<Record<string, unknown>>(ctx.shared, key), async () => {
    const teacher = (await finishedModel(ctx, 'teacher')) as DecoderLM;
    const metrics = await evaluateExplainer(ctx.engine, ctx.host.now, teacher, data.codec, data.split.test, data.refs, ctx.config.eval, teacherLayout(ctx, teacher));
    await writeJson(ctx.shared, key, metrics);
    return metrics;
  });
}

/** The trivial baselines, fitted on the seed set, on the same test references. */
async function scoreBaselines(ctx: RunContext, data: RunData): Promise<BaselineResults> {
  const key = await evalKey(ctx, 'baselines');
  return runPhase(ctx, 'baselines', () => readJson<BaselineResults>(ctx.shared, key), async () => {
    const seed = data.seedSet.answers.map((a) => ({ example: data.byId.get(a.exampleId)!, answer: a }));
    const baselines = evaluateBaselines(seed, data.split.test, data.refs, ctx.config.eval);
    await writeJson(ctx.shared, key, baselines);
    return baselines;
  });
}

// ── stages ────────────────────────────────────────────────────────────────────────────────────

/** Every stage in order, each trained, checkpointed and evaluated (or read back when done). */
async function runStages(ctx: RunContext, data: RunData, synthetic: SyntheticAnswer[]): Promise<StageResult[]> {
  const pool: TeacherSequence[] = synthetic.map((a) => ({ example: data.byId.get(a.exampleId)!, response: a.response, ...(a.topk ? { topk: a.topk } : {}) }));
  const stages: StageResult[] = [];
  for (const [index, stage] of ctx.config.stages.entries()) {
    const result = await runPhase(ctx, `stage:${stage.id}`, () => readJson<StageResult>(ctx.store, `stages/${stage.id}.json`), async () => {
      const r = stage.task === 'explain' ? await runExplainStage(ctx, data, pool, stage, index) : await runClassifyStage(ctx, data, synthetic, stage, index);
      await writeJson(ctx.store, `stages/${stage.id}.json`, r);
      return r;
    });
    stages.push(result);
  }
  return stages;
}

const lossSpec = (l: StageConfig['loss']): KdLossSpec => ({ divergence: l.divergence, ...(l.param !== undefined ? { param: l.param } : {}), temperature: l.temperature, scaleByT2: l.scaleByT2, wCe: l.wCe, wKd: l.wKd });

type LossBuilder = (idx: number[]) => StepLoss;

/** Trains one stage's model, stores its checkpoint and evaluates it on the test split. */
async function trainStage<M extends AnyModel>(ctx: RunContext, stage: StageConfig, index: number, built: Student<M>, loss: LossBuilder, valBatches: (() => Iterable<() => Tensor>) | undefined, poolSize: number, lengths: () => number[], evaluate: (m: M) => Promise<Record<string, unknown>>): Promise<StageResult> {
  const { model } = built;
  const { config, store, host } = ctx;
  const stageStore = store.scoped(`checkpoints/${stage.id}`);
  try {
    const result = await train(host, {
      name: stage.id,
      model,
      training: stage,
      clipNorm: stage.optimizer.clipNorm,
      poolSize,
      lengths,
      seed: deriveSeed(config.seed, STREAMS.stageBatches + index),
      loss,
      ...(valBatches ? { valBatches } : {}),
      store: stageStore,
      checkpointEvery: checkpointEvery(ctx, stage),
      ...failAfterStep(ctx, stage.id),
      ...signalOf(ctx),
    });
    await storeCheckpoint(store, `checkpoints/${stage.id}`, model, { lantern_stage: stage.id, lantern_task: stage.task });
    if (modelLora(stage.student)) await storeAdapter(store, `checkpoints/${stage.id}/adapter`, model, built.pretrained?.source);
    await dropResumePoint(stageStore);
    host.emit({ type: 'phase', phase: `evaluate:${stage.id}`, status: 'start' });
    const metrics = await evaluate(model);
    return {
      id: stage.id,
      task: stage.task,
      preset: modelLabel(stage.student),
      dims: stageDims(stage) ?? dimsOf(model.config),
      ...(built.pretrained ? { pretrained: built.pretrained } : {}),
      source: stage.source,
      examples: poolSize,
      parameters: model.parameterCount(),
      loss: lossSpec(stage.loss),
      steps: result.steps,
      resumedFrom: result.resumedFrom,
      curves: { train: downsample(result.train), val: downsample(result.val) },
      seconds: result.seconds,
      metrics,
    };
  } finally {
    model.release();
  }
}

interface Student<M extends AnyModel = AnyModel> {
  model: M;
  pretrained?: PretrainedInfo;
}

/** The folder a pretrained model names; the host's error is prefixed with whose folder it is. */
async function folderOf(host: RunHost, use: PretrainedUse, pretrained: PretrainedConfig) {
  try {
    return await host.modelFolder(pretrained.source);
  } catch (e) {
    if (e instanceof RunError) throw new RunError(`${use.name}: ${e.message}`);
    throw e;
  }
}

/** A model read from its folder (a stage's student or the teacher), planned against the run's vocabulary first. */
async function pretrainedModel(ctx: RunContext, data: RunData, use: PretrainedUse, pretrained: PretrainedConfig, seed: number, phase: string): Promise<Student> {
  const folder = await folderOf(ctx.host, use, pretrained);
  const plan = await planPretrained(ctx.engine, folder, use, pretrained, { size: data.codec.vocabSize, tokenizer: data.student });
  const { model, info } = await buildPretrained(ctx.host, plan, use, pretrained, seed);
  ctx.host.emit({ type: 'note', phase, message: `${info.modelType} from ${info.source} loaded in ${info.loadSeconds.toFixed(1)} s; ${info.trainableParameters.toLocaleString('en-US')} of ${info.parameters.toLocaleString('en-US')} parameters train` });
  return { model, pretrained: info };
}

/** A stage's student: seeded from its preset, or read from its model folder. */
async function stageStudent<S extends StageConfig>(ctx: RunContext, data: RunData, stage: S, index: number, fromPreset: (student: Exclude<S['student'], PretrainedStudentConfig>, seed: number) => AnyModel): Promise<Student> {
  const seed = deriveSeed(ctx.config.seed, STREAMS.stageInit + index);
  const student = stage.student;
  if (!isPretrained(student)) return { model: fromPreset(student as Exclude<S['student'], PretrainedStudentConfig>, seed) };
  return pretrainedModel(ctx, data, stageUse(stage), student.pretrained, seed, `stage:${stage.id}`);
}

/**
 * Before anything is written: a pretrained teacher and every pretrained student not yet trained
 * is checked from its folder's config.json (kind, context, memory at the vocabulary's cap) and
 * tokenizer.json (Qwen's control and byte tokens where Qwen has them), so a folder that cannot be
 * used is refused before labels are paid for or a teacher is trained.
 */
async function preflightPretrained(config: ExperimentConfig, host: RunHost, store: ArtifactStore, shared: ArtifactStore): Promise<void> {
  const pending: [PretrainedUse, PretrainedConfig][] = [];
  const teacher = config.inHouseTeacher;
  if (isPretrained(teacher) && !(await shared.read('teacher.json'))) pending.push([teacherUse(teacher), teacher.pretrained]);
  for (const stage of config.stages) {
    const student = stage.student;
    if (isPretrained(student) && !(await store.read(`stages/${stage.id}.json`))) pending.push([stageUse(stage), student.pretrained]);
  }
  if (!pending.length) return;
  // The tokens every student vocabulary keeps (control and byte tokens): a vocabulary built from no text.
  const qwen = await host.qwenTokenizer();
  const base = new StudentTokenizer(buildStudentVocab(qwen, []), qwen);
  for (const [use, pretrained] of pending) await planPretrained(host.engine, await folderOf(host, use, pretrained), use, pretrained, { size: DEFAULT_MAX_VOCAB, tokenizer: base, sizeOnly: true });
}

async function runExplainStage(ctx: RunContext, data: RunData, pool: TeacherSequence[], stage: ExplainStageConfig, index: number): Promise<StageResult> {
  const { engine, config } = ctx;
  const { codec } = data;
  const spec = lossSpec(stage.loss);
  let source: DecoderSource;
  if (stage.source === 'teacher' && config.synthetic.logits === 'topk') source = { kind: 'topk', k: config.synthetic.topK };
  else source = { kind: 'online', model: (await finishedModel(ctx, stage.source)) as DecoderLM };
  if (spec.wKd > 0 && source.kind === 'online' && source.model.config.vocabSize !== codec.vocabSize) throw new RunError(`stage ${stage.id}: the source's vocabulary differs from the student's`);
  const built = await stageStudent(ctx, data, stage, index, (student, seed) => newDecoder(engine, decoderDimsOf(student), codec.vocabSize, seed, student.lora));
  const model = built.model as DecoderLM;
  const layout = layoutOf(ctx, stage.maxSeqLen, model.config.maxPosition);
  const valItems = itemsOf(data, data.valRefs);
  return trainStage(
    ctx,
    stage,
    index,
    { ...built, model },
    (idx) => explainLoss(engine, model, source, codec, idx.map((i) => pool[i]!), spec, layout),
    valItems.length ? () => chunks(valItems, stage.batchSize).map((c) => () => sftLoss(engine, model, codec, c, layout).loss) : undefined,
    pool.length,
    () => pool.map((it) => codec.sequence(it.example, it.response, layout).ids.length),
    (m) => evaluateExplainer(engine, ctx.host.now, m, codec, data.split.test, data.refs, config.eval, layout),
  );
}

/** Log-probabilities of a distribution over FIT_LABELS (logits of the same distribution; zeros floored). */
const logitsOf = (probs: readonly number[]) => probs.map((p) => Math.log(Math.max(p, 1e-30)));

/** The source's label distribution over the training pool, computed once (no gradients). */
async function sourceLabelPool(ctx: RunContext, data: RunData, synthetic: SyntheticAnswer[], stage: ClassifyStageConfig): Promise<{ examples: Example[]; logits: number[][] }> {
  if (stage.source === SEED_SOURCE) {
    const pool = seedLabelPool(data.seedSet.answers, data.labelList, data.byId);
    return { examples: pool.examples, logits: pool.probs.map(logitsOf) };
  }
  const examples = synthetic.map((s) => data.byId.get(s.exampleId)!);
  if (stage.source === 'teacher') return { examples, logits: synthetic.map((s) => s.labelLogits) };
  const source = await finishedModel(ctx, stage.source);
  const sourceStage = ctx.config.stages.find((s) => s.id === stage.source)!;
  if (source.config.kind === 'decoder') {
    // The source decoder is asked the prompts it was trained on (its own layout).
    const layout = layoutOf(ctx, sourceStage.maxSeqLen, source.config.maxPosition);
    return { examples, logits: await labelLogits(ctx.engine, source as DecoderLM, data.codec, examples.map((e) => data.codec.prompt(e, layout.promptTokens))) };
  }
  const probs = await classifierProbabilities(ctx.engine, source as EncoderClassifier, data.codec, examples, sourceStage.maxSeqLen, stage.batchSize);
  return { examples, logits: probs.map(logitsOf) };
}

async function runClassifyStage(ctx: RunContext, data: RunData, synthetic: SyntheticAnswer[], stage: ClassifyStageConfig, index: number): Promise<StageResult> {
  const { engine, config } = ctx;
  const { codec } = data;
  const { examples, logits } = await sourceLabelPool(ctx, data, synthetic, stage);
  const spec = lossSpec(stage.loss);
  const built = await stageStudent(ctx, data, stage, index, (student, seed) => newEncoder(engine, encoderDimsOf(student), student.pooling, codec.vocabSize, seed, student.lora));
  const model = built.model as EncoderClassifier;
  const valItems = data.valRefs.map((a) => ({ example: data.byId.get(a.exampleId)!, label: a.label }));
  return trainStage(
    ctx,
    stage,
    index,
    { ...built, model },
    (idx) => classifyLoss(engine, model, codec, idx.map((i) => examples[i]!), idx.map((i) => logits[i]!), spec, stage.maxSeqLen),
    valItems.length ? () => chunks(valItems, stage.batchSize).map((c) => () => classifyValLoss(engine, model, codec, c, stage.maxSeqLen)) : undefined,
    examples.length,
    () => examples.map((e) => codec.encoderInput(e, stage.maxSeqLen).length),
    (m) => evaluateClassifier(engine, ctx.host.now, m, codec, data.split.test, data.refs, config.eval, stage.maxSeqLen, stage.batchSize),
  );
}

// ── the run ───────────────────────────────────────────────────────────────────────────────────

function collectResults(ctx: RunContext, data: RunData, teacherRun: TeacherRun, synthetic: SyntheticAnswer[], teacherMetrics: Record<string, unknown>, baselines: BaselineResults, stages: StageResult[]): RunResults {
  const { config } = ctx;
  const { split } = data;
  return {
    format: RESULTS_FORMAT,
    version: 1,
    experiment: config,
    device: ctx.host.device,
    backend: ctx.host.backend,
    startedAt: ctx.startedAt,
    finishedAt: new Date().toISOString(),
    timings: ctx.timings,
    data: {
      examples: data.examples.length,
      train: split.train.length,
      val: split.val.length,
      test: split.test.length,
      vocabSize: data.codec.vocabSize,
      seedSet: { policy: data.seedSet.policy, candidates: data.seedSet.candidates, accepted: data.seedSet.answers.length },
      teacherLabels: countLabels(data.labelList),
    },
    teacher: {
      preset: modelLabel(config.inHouseTeacher),
      dims: teacherDims(config.inHouseTeacher) ?? teacherRun.dims,
      ...(teacherRun.pretrained ? { pretrained: teacherRun.pretrained } : {}),
      parameters: teacherRun.parameters,
      steps: teacherRun.steps,
      curves: { train: downsample(teacherRun.train), val: downsample(teacherRun.val) },
      seconds: teacherRun.seconds,
      metrics: teacherMetrics,
      synthetic: { examples: synthetic.length, labels: countLabels(synthetic), meanNewTokens: synthetic.reduce((a, s) => a + s.newTokens, 0) / Math.max(1, synthetic.length), logits: config.synthetic.logits },
    },
    baselines,
    stages,
  };
}

export async function runExperiment(config: ExperimentConfig, host: RunHost, store: ArtifactStore, opts: RunOptions = {}): Promise<RunResults> {
  if (config.sweep) throw new RunError('this experiment has a sweep: run it with runSweep (each run is an experiment without one)');
  await preflightPretrained(config, host, store, opts.shared ?? store);
  const ctx = await openRun(config, host, store, opts);
  try {
    const data = await prepareData(ctx);
    const teacherRun = await trainInHouseTeacher(ctx, data);
    const synthetic = await writeSynthetic(ctx, data);
    const teacherMetrics = await evaluateInHouseTeacher(ctx, data);
    const baselines = await scoreBaselines(ctx, data);
    const stages = await runStages(ctx, data, synthetic);
    const results = collectResults(ctx, data, teacherRun, synthetic, teacherMetrics, baselines, stages);
    await store.write('results.json', JSON.stringify(results, null, 2));
    ctx.state.status = 'done';
    await saveState(ctx);
    return results;
  } catch (e) {
    ctx.state.status = endStatus(e);
    ctx.state.error = (e as Error).message;
    await saveState(ctx).catch(() => undefined);
    throw e;
  } finally {
    for (const m of ctx.loaded.values()) m.release();
  }
}
