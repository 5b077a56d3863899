// The orchestrator: one experiment, end to end (the pipeline of src/experiment/README.md).
//
//   data → split → black-box teacher labels (proxy API) → student vocabulary → seed set →
//   in-house teacher (SFT on the seed set) → synthetic answers (labels, explanations, logits) →
//   stages in order (train, checkpoint, evaluate on the test split) → results
//
// Every phase leaves an artifact; a phase whose artifact exists is skipped, so running again into
// the same store resumes (a model in training continues from its last resume point, see train.ts).
// Phases up to the synthetic answers depend only on the part of the config `sharedKey` names, so
// the runs of a sweep that share it compute them once (the `shared` store).
import type { Engine } from '../../engine/runtime.ts';
import type { DecoderLM } from '../../engine/nn/decoder.ts';
import type { EncoderClassifier } from '../../engine/nn/encoder.ts';
import type { AnyModel } from '../../engine/checkpoint.ts';
import type { KdLossSpec } from '../../engine/kd-spec.ts';
import { FIT_LABELS, type Example, type Review, type TeacherLabel } from '../../data/schema.ts';
import { buildStudentVocab, StudentTokenizer } from '../../data/vocab.ts';
import { canonicalJson, sha256Hex } from '../../data/hash.ts';
import { deriveSeed } from '../../data/rng.ts';
import type { ClassifyStageConfig, ExperimentConfig, ExplainStageConfig, StageConfig } from '../schema.ts';
import { TaskCodec, vocabularyTexts } from '../task.ts';
import { RunCancelled, RunError, type ArtifactStore, type RunHost } from './host.ts';
import { STREAMS, loadExamples, reviewsById, selectSeedSet, splitExamples, testReferences, type Answer, type DataSplit, type SeedSet } from './data.ts';
import { downsample, dropResumePoint, newDecoder, newEncoder, restoreCheckpoint, storeCheckpoint, train, type TrainResult } from './train.ts';
import { answer, labelLogits, promptBudget, responseTopK, type DecodedAnswer } from './decode.ts';
import { classifyLoss, classifyValLoss, explainLoss, sftLoss, type DecoderSource, type TeacherSequence } from './losses.ts';
import { classifierProbabilities, evaluateClassifier, evaluateExplainer } from './evaluate.ts';

export const RESULTS_FORMAT = 'lantern-results';

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
  source: string;
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
  startedAt: string;
  finishedAt: string;
  timings: Record<string, number>;
  data: { examples: number; train: number; val: number; test: number; vocabSize: number; seedSet: { policy: string; candidates: number; accepted: number }; teacherLabels: Record<string, number> };
  teacher: { preset: string; parameters: number; steps: number; curves: StageResult['curves']; seconds: number; metrics: Record<string, unknown>; synthetic: { examples: number; labels: Record<string, number>; meanNewTokens: number; logits: string } };
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

interface RunState {
  configHash: string;
  status: 'running' | 'failed' | 'done';
  phases: Record<string, { status: 'done' | 'skipped'; seconds: number }>;
  error?: string;
  updatedAt: string;
}

export async function runExperiment(config: ExperimentConfig, host: RunHost, store: ArtifactStore, opts: RunOptions = {}): Promise<RunResults> {
  if (config.sweep) throw new RunError('this experiment has a sweep: run it with runSweep (each run is an experiment without one)');
  const { engine } = host;
  const shared = opts.shared ?? store;
  const startedAt = new Date().toISOString();
  const configHash = await sha256Hex(canonicalJson(config));
  const previous = await readJson<RunState>(store, 'state.json');
  if (previous && previous.configHash !== configHash) {
    throw new RunError('this output already holds a run of a different experiment; use another output folder (or delete this one) to start a new run');
  }
  const state: RunState = { configHash, status: 'running', phases: {}, updatedAt: startedAt };
  const saveState = () => writeJson(store, 'state.json', { ...state, updatedAt: new Date().toISOString() });
  await saveState();
  const timings: Record<string, number> = {};
  const loaded = new Map<string, AnyModel>();

  /** Runs a phase unless `done()` says its artifact exists. */
  const phase = async <T>(name: string, done: () => Promise<T | null>, work: () => Promise<T>): Promise<T> => {
    const existing = await done();
    if (existing !== null) {
      host.emit({ type: 'phase', phase: name, status: 'skip' });
      // A phase finished by an earlier invocation of this run keeps its time in the results.
      const before = previous?.phases[name];
      state.phases[name] = before?.status === 'done' ? before : { status: 'skipped', seconds: 0 };
      if (before?.status === 'done') timings[name] = before.seconds;
      await saveState();
      return existing;
    }
    if (opts.signal?.aborted) throw new RunCancelled(`before ${name}`);
    host.emit({ type: 'phase', phase: name, status: 'start' });
    const t0 = host.now();
    const result = await work();
    const seconds = (host.now() - t0) / 1000;
    timings[name] = seconds;
    state.phases[name] = { status: 'done', seconds };
    await saveState();
    host.emit({ type: 'phase', phase: name, status: 'done', seconds });
    return result;
  };

  try {
    // ── data ──────────────────────────────────────────────────────────────────────────────────
    const examples = await loadExamples(host, config.dataset);
    const split: DataSplit = splitExamples(examples, config.dataset.split, config.seed);
    const byId = new Map(examples.map((e) => [e.id, e]));

    const labelList = await phase('teacher-labels', () => readJson<TeacherLabel[]>(shared, 'teacher-labels.json'), async () => {
      const all = [...split.train, ...split.val, ...split.test];
      const labels = await host.teacher.label(all, { provider: config.teacher.provider, onProgress: (done, total) => host.emit({ type: 'progress', phase: 'teacher-labels', done, total }) });
      await writeJson(shared, 'teacher-labels.json', labels);
      return labels;
    });
    const labels = new Map(labelList.map((l) => [l.exampleId, l]));
    for (const e of [...split.train, ...split.val, ...split.test]) if (!labels.has(e.id)) throw new RunError(`the stored teacher labels miss example ${e.id}; delete teacher-labels.json to label again`);

    const vocabJson = await phase('vocabulary', () => readJson<unknown>(shared, 'vocab.json'), async () => {
      const qwen = await host.qwenTokenizer();
      const vocab = buildStudentVocab(qwen, vocabularyTexts(examples, split.train.map((e) => labels.get(e.id)!)));
      await writeJson(shared, 'vocab.json', vocab);
      return vocab;
    });
    const codec = new TaskCodec(new StudentTokenizer(vocabJson, await host.qwenTokenizer()));

    const seedSet = await phase('seed-set', () => readJson<SeedSet>(shared, 'seed-set.json'), async () => {
      const chosen = await selectSeedSet(host, config.seedSet, split.train, labels);
      await writeJson(shared, 'seed-set.json', chosen);
      return chosen;
    });
    const reviews: Map<string, Review> = config.seedSet.policy === 'auto-accept' ? new Map() : reviewsById(await host.loadReviews(config.seedSet));
    const refs = testReferences(split.test, labels, reviews);
    const valRefs = testReferences(split.val, labels, reviews);

    // ── in-house teacher ──────────────────────────────────────────────────────────────────────
    const tcfg = config.inHouseTeacher;
    const checkpointEvery = (t: { evalEvery: number }) => Math.max(1, opts.checkpointEvery ?? (t.evalEvery || 50));
    const teacherResume = shared.scoped('checkpoints/teacher');
    const teacherRun = await phase('in-house-teacher', () => readJson<TrainResult & { parameters: number }>(shared, 'teacher.json'), async () => {
      const model = newDecoder(engine, tcfg.preset, codec.vocabSize, deriveSeed(config.seed, STREAMS.teacherInit), tcfg.lora);
      try {
        const seedItems = seedSet.answers.map((a) => ({ example: byId.get(a.exampleId)!, label: a.label, explanation: a.explanation }));
        const valItems = valRefs.map((a) => ({ example: byId.get(a.exampleId)!, label: a.label, explanation: a.explanation }));
        const result = await train(host, {
          name: 'teacher',
          model,
          training: tcfg,
          clipNorm: tcfg.optimizer.clipNorm,
          poolSize: seedItems.length,
          seed: deriveSeed(config.seed, STREAMS.teacherBatches),
          loss: (idx) => sftLoss(engine, model, codec, idx.map((i) => seedItems[i]!), tcfg.maxSeqLen),
          ...(valItems.length ? { valBatches: () => chunks(valItems, tcfg.batchSize).map((c) => () => sftLoss(engine, model, codec, c, tcfg.maxSeqLen)) } : {}),
          store: teacherResume,
          checkpointEvery: checkpointEvery(tcfg),
          ...(opts.failAfter?.model === 'teacher' ? { failAfterStep: opts.failAfter.step } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        await storeCheckpoint(shared, 'checkpoints/teacher', model, { lantern_model: 'in-house-teacher' });
        await dropResumePoint(teacherResume);
        const summary = { ...result, parameters: model.parameterCount() };
        await writeJson(shared, 'teacher.json', summary);
        return summary;
      } finally {
        model.release();
      }
    });
    const teacherModel = async () => {
      if (!loaded.has('teacher')) loaded.set('teacher', await restoreCheckpoint(engine, shared, 'checkpoints/teacher'));
      return loaded.get('teacher') as DecoderLM;
    };

    // ── synthetic answers ─────────────────────────────────────────────────────────────────────
    const scfg = config.synthetic;
    const synthetic = await phase('synthetic', () => readJson<SyntheticAnswer[]>(shared, 'synthetic.json'), async () => {
      const teacher = await teacherModel();
      // Training sequences keep at most half their length for the response (task.ts), so longer answers would be cut anyway.
      const maxNewTokens = Math.min(scfg.maxNewTokens, Math.floor(Math.min(tcfg.maxSeqLen, teacher.config.maxPosition) / 2));
      if (maxNewTokens < scfg.maxNewTokens) host.emit({ type: 'warning', message: `synthetic.maxNewTokens ${scfg.maxNewTokens} is more than half of inHouseTeacher.maxSeqLen; the teacher writes at most ${maxNewTokens} tokens` });
      const answers: SyntheticAnswer[] = await answer(engine, teacher, codec, split.train, {
        maxSeqLen: tcfg.maxSeqLen,
        maxNewTokens,
        batch: 8,
        onProgress: (done) => host.emit({ type: 'progress', phase: 'synthetic', done, total: split.train.length }),
      });
      if (scfg.logits === 'topk') {
        for (const a of answers) {
          const seq = codec.sequence(byId.get(a.exampleId)!, a.response, tcfg.maxSeqLen);
          a.topk = await responseTopK(engine, teacher, seq.ids, seq.responseStart, scfg.topK);
        }
      }
      await writeJson(shared, 'synthetic.json', answers);
      return answers;
    });
    // The in-house teacher on the test split: the reference every explain student is compared with.
    // Shared by the runs of a sweep that measure the same way.
    const teacherMetricsKey = `teacher-metrics-${(await sha256Hex(canonicalJson(config.eval))).slice(0, 12)}.json`;
    const teacherMetrics = await phase('evaluate:teacher', () => readJson<Record<string, unknown>>(shared, teacherMetricsKey), async () => {
      const metrics = await evaluateExplainer(engine, host.now, await teacherModel(), codec, split.test, refs, config.eval, tcfg.maxSeqLen);
      await writeJson(shared, teacherMetricsKey, metrics);
      return metrics;
    });

    const pool: TeacherSequence[] = synthetic.map((a) => ({ example: byId.get(a.exampleId)!, response: a.response, ...(a.topk ? { topk: a.topk } : {}) }));

    // ── stages ────────────────────────────────────────────────────────────────────────────────
    const stageModel = async (id: string): Promise<AnyModel> => {
      if (id === 'teacher') return teacherModel();
      if (!loaded.has(id)) loaded.set(id, await restoreCheckpoint(engine, store, `checkpoints/${id}`));
      return loaded.get(id)!;
    };
    const stages: StageResult[] = [];
    for (const [i, stage] of config.stages.entries()) {
      const result = await phase(`stage:${stage.id}`, () => readJson<StageResult>(store, `stages/${stage.id}.json`), async () => {
        const ctx: StageContext = { host, engine, config, codec, pool, split, byId, refs, valRefs, synthetic, stageModel, store, index: i, checkpointEvery: checkpointEvery(stage), ...(opts.failAfter?.model === stage.id ? { failAfterStep: opts.failAfter.step } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
        const r = stage.task === 'explain' ? await runExplainStage(ctx, stage) : await runClassifyStage(ctx, stage);
        await writeJson(store, `stages/${stage.id}.json`, r);
        return r;
      });
      stages.push(result);
    }

    const results: RunResults = {
      format: RESULTS_FORMAT,
      version: 1,
      experiment: config,
      device: host.device,
      startedAt,
      finishedAt: new Date().toISOString(),
      timings,
      data: {
        examples: examples.length,
        train: split.train.length,
        val: split.val.length,
        test: split.test.length,
        vocabSize: codec.vocabSize,
        seedSet: { policy: seedSet.policy, candidates: seedSet.candidates, accepted: seedSet.answers.length },
        teacherLabels: countLabels(labelList),
      },
      teacher: {
        preset: tcfg.preset,
        parameters: teacherRun.parameters,
        steps: teacherRun.steps,
        curves: { train: downsample(teacherRun.train), val: downsample(teacherRun.val) },
        seconds: teacherRun.seconds,
        metrics: teacherMetrics,
        synthetic: { examples: synthetic.length, labels: countLabels(synthetic), meanNewTokens: synthetic.reduce((a, s) => a + s.newTokens, 0) / Math.max(1, synthetic.length), logits: scfg.logits },
      },
      stages,
    };
    await store.write('results.json', JSON.stringify(results, null, 2));
    state.status = 'done';
    await saveState();
    return results;
  } catch (e) {
    state.status = 'failed';
    state.error = (e as Error).message;
    await saveState().catch(() => undefined);
    throw e;
  } finally {
    for (const m of loaded.values()) m.release();
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface StageContext {
  host: RunHost;
  engine: Engine;
  config: ExperimentConfig;
  codec: TaskCodec;
  pool: TeacherSequence[];
  split: DataSplit;
  byId: Map<string, Example>;
  refs: Answer[];
  valRefs: Answer[];
  synthetic: SyntheticAnswer[];
  stageModel: (id: string) => Promise<AnyModel>;
  store: ArtifactStore;
  index: number;
  checkpointEvery: number;
  failAfterStep?: number;
  signal?: AbortSignal;
}

const lossSpec = (l: StageConfig['loss']): KdLossSpec => ({ divergence: l.divergence, ...(l.param !== undefined ? { param: l.param } : {}), temperature: l.temperature, scaleByT2: l.scaleByT2, wCe: l.wCe, wKd: l.wKd });

async function trainStage<M extends AnyModel>(ctx: StageContext, stage: StageConfig, model: M, loss: (idx: number[]) => ReturnType<typeof explainLoss>, valBatches: (() => Iterable<() => ReturnType<typeof explainLoss>>) | undefined, poolSize: number, evaluate: (m: M) => Promise<Record<string, unknown>>): Promise<StageResult> {
  const { config, store } = ctx;
  const stageStore = store.scoped(`checkpoints/${stage.id}`);
  try {
    const result = await train(ctx.host, {
      name: stage.id,
      model,
      training: stage,
      clipNorm: stage.optimizer.clipNorm,
      poolSize,
      seed: deriveSeed(config.seed, STREAMS.stageBatches + ctx.index),
      loss,
      ...(valBatches ? { valBatches } : {}),
      store: stageStore,
      checkpointEvery: ctx.checkpointEvery,
      ...(ctx.failAfterStep !== undefined ? { failAfterStep: ctx.failAfterStep } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    await storeCheckpoint(store, `checkpoints/${stage.id}`, model, { lantern_stage: stage.id, lantern_task: stage.task });
    await dropResumePoint(stageStore);
    ctx.host.emit({ type: 'phase', phase: `evaluate:${stage.id}`, status: 'start' });
    const metrics = await evaluate(model);
    return {
      id: stage.id,
      task: stage.task,
      preset: stage.student.preset,
      source: stage.source,
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

async function runExplainStage(ctx: StageContext, stage: ExplainStageConfig): Promise<StageResult> {
  const { engine, config, codec, pool } = ctx;
  const spec = lossSpec(stage.loss);
  let source: DecoderSource;
  if (stage.source === 'teacher' && config.synthetic.logits === 'topk') source = { kind: 'topk', k: config.synthetic.topK };
  else source = { kind: 'online', model: (await ctx.stageModel(stage.source)) as DecoderLM };
  if (spec.wKd > 0 && source.kind === 'online' && source.model.config.vocabSize !== codec.vocabSize) throw new RunError(`stage ${stage.id}: the source's vocabulary differs from the student's`);
  const model = newDecoder(engine, stage.student.preset, codec.vocabSize, deriveSeed(config.seed, STREAMS.stageInit + ctx.index), stage.student.lora);
  promptBudget(model, stage.maxSeqLen, config.eval.maxNewTokens);
  const valItems = ctx.valRefs.map((a) => ({ example: ctx.byId.get(a.exampleId)!, label: a.label, explanation: a.explanation }));
  return trainStage(
    ctx,
    stage,
    model,
    (idx) => explainLoss(engine, model, source, codec, idx.map((i) => pool[i]!), spec, stage.maxSeqLen),
    valItems.length ? () => chunks(valItems, stage.batchSize).map((c) => () => sftLoss(engine, model, codec, c, stage.maxSeqLen)) : undefined,
    pool.length,
    (m) => evaluateExplainer(engine, ctx.host.now, m, codec, ctx.split.test, ctx.refs, config.eval, stage.maxSeqLen),
  );
}

async function runClassifyStage(ctx: StageContext, stage: ClassifyStageConfig): Promise<StageResult> {
  const { engine, config, codec, pool } = ctx;
  const examples = pool.map((p) => p.example);
  // The source's label distribution over the training pool, computed once (no gradients).
  let sourceLogits: number[][];
  if (stage.source === 'teacher') sourceLogits = ctx.synthetic.map((s) => s.labelLogits);
  else {
    const source = await ctx.stageModel(stage.source);
    const sourceStage = config.stages.find((s) => s.id === stage.source)!;
    if (source.config.kind === 'decoder') {
      const budget = promptBudget(source as DecoderLM, sourceStage.maxSeqLen, 0);
      sourceLogits = await labelLogits(engine, source as DecoderLM, codec, examples.map((e) => codec.prompt(e, budget)));
    } else {
      // log-probabilities are logits of the same distribution
      sourceLogits = (await classifierProbabilities(engine, source as EncoderClassifier, codec, examples, sourceStage.maxSeqLen, stage.batchSize)).map((p) => p.map((x) => Math.log(Math.max(x, 1e-30))));
    }
  }
  const spec = lossSpec(stage.loss);
  const model = newEncoder(engine, stage.student.preset, stage.student.pooling, codec.vocabSize, deriveSeed(config.seed, STREAMS.stageInit + ctx.index), stage.student.lora);
  const valItems = ctx.valRefs.map((a) => ({ example: ctx.byId.get(a.exampleId)!, label: a.label }));
  return trainStage(
    ctx,
    stage,
    model,
    (idx) => classifyLoss(engine, model, codec, idx.map((i) => examples[i]!), idx.map((i) => sourceLogits[i]!), spec, stage.maxSeqLen),
    valItems.length ? () => chunks(valItems, stage.batchSize).map((c) => () => classifyValLoss(engine, model, codec, c, stage.maxSeqLen)) : undefined,
    examples.length,
    (m) => evaluateClassifier(engine, ctx.host.now, m, codec, ctx.split.test, ctx.refs, config.eval, stage.maxSeqLen, stage.batchSize),
  );
}
