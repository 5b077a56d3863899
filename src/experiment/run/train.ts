// One model's training run inside the pipeline: seeded batch order, learning-rate schedule,
// clipping, the loss read back often enough for a curve, periodic resume points (weights,
// optimizer moments, step — the batch order is a pure function of (seed, step), so the step is the
// whole RNG position) and the final Hugging Face checkpoint. Used by the in-house teacher and by
// every stage; what differs between them is only `loss`.
import type { Engine } from '../../engine/runtime.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { AdamW } from '../../engine/optim.ts';
import { learningRate } from '../../engine/schedule.ts';
import { Trainer, evaluateLoss } from '../../engine/nn/train.ts';
import { DecoderLM } from '../../engine/nn/decoder.ts';
import { EncoderClassifier } from '../../engine/nn/encoder.ts';
import { decoderConfig, encoderConfig } from '../../engine/nn/config.ts';
import { seededInit } from '../../engine/nn/module.ts';
import { applyLora, saveLoraAdapter, setLoraStep } from '../../engine/nn/lora.ts';
import { loadCheckpoint, saveCheckpoint, type AnyModel } from '../../engine/checkpoint.ts';
import { readSafetensors, writeSafetensors, type NamedTensorData } from '../../engine/safetensors.ts';
import type { DecoderDims, DecoderPreset, EncoderDims, EncoderPreset } from '../../engine/presets.ts';
import type { PoolKind } from '../../engine/ops/pooling.ts';
import { FIT_LABELS } from '../../data/schema.ts';
import { SPECIAL_IDS } from '../../data/vocab.ts';
import { createRng, deriveSeed } from '../../data/rng.ts';
import type { ExperimentConfig, PretrainedConfig } from '../schema.ts';
import { LORA_TRAINABLE, loraModules } from '../pretrained-size.ts';
import { RunError, runStopped, type ArtifactStore, type RunHost } from './host.ts';
import type { StepLoss } from './losses.ts';

type Training = Pick<ExperimentConfig['inHouseTeacher'], 'optimizer' | 'schedule' | 'steps' | 'batchSize' | 'evalEvery' | 'batching'>;
type LoraConfig = PretrainedConfig['lora'];

/** Adds the stage's LoRA adapters (frozen base) to a model; without `lora` the model is returned as it is. */
export function withLora<M extends AnyModel>(model: M, lora: LoraConfig, seed: number): M {
  if (!lora) return model;
  applyLora(model, {
    rank: lora.rank,
    alpha: lora.alpha,
    dropout: lora.dropout,
    targets: loraModules(model.config.kind, lora.targets),
    trainable: LORA_TRAINABLE[model.config.kind],
    seed,
  });
  return model;
}

export function newDecoder(engine: Engine, preset: DecoderPreset | DecoderDims, vocabSize: number, seed: number, lora?: LoraConfig): DecoderLM {
  const config = decoderConfig(preset, { vocabSize, bosTokenId: SPECIAL_IDS.imStart, eosTokenId: SPECIAL_IDS.eos, padTokenId: SPECIAL_IDS.pad });
  return withLora(new DecoderLM(engine, config, seededInit(seed)), lora, seed) as DecoderLM;
}

export function newEncoder(engine: Engine, preset: EncoderPreset | EncoderDims, pooling: PoolKind, vocabSize: number, seed: number, lora?: LoraConfig): EncoderClassifier {
  const config = encoderConfig(preset, { vocabSize, numClasses: FIT_LABELS.length, pooling, labels: [...FIT_LABELS], padTokenId: SPECIAL_IDS.pad });
  return withLora(new EncoderClassifier(engine, config, seededInit(seed)), lora, seed) as EncoderClassifier;
}

/** Writes a finished model as DIR/model.safetensors + DIR/config.json. */
export async function storeCheckpoint(store: ArtifactStore, dir: string, model: AnyModel, metadata: Record<string, string>): Promise<void> {
  const { weights, config } = await saveCheckpoint(model, metadata);
  await store.write(`${dir}/model.safetensors`, weights);
  await store.write(`${dir}/config.json`, JSON.stringify(config, null, 2));
}

/**
 * Writes a LoRA model's adapters as a PEFT adapter folder (adapter_config.json +
 * adapter_model.safetensors, tensors base_model.model.<module>.lora_A/B.weight): its own folder,
 * since transformers reads a folder holding adapter_config.json as an adapter, not as the merged
 * model beside it.
 */
export async function storeAdapter(store: ArtifactStore, dir: string, model: AnyModel, baseModel?: string): Promise<void> {
  const kind = model.config.kind;
  const { weights, config } = await saveLoraAdapter(model, { taskType: kind === 'decoder' ? 'CAUSAL_LM' : 'SEQ_CLS', trainable: LORA_TRAINABLE[kind], ...(baseModel ? { baseModel } : {}) });
  await store.write(`${dir}/adapter_model.safetensors`, weights);
  await store.write(`${dir}/adapter_config.json`, JSON.stringify(config, null, 2));
}

export async function restoreCheckpoint(engine: Engine, store: ArtifactStore, dir: string): Promise<AnyModel> {
  const weights = await store.read(`${dir}/model.safetensors`);
  const config = await store.read(`${dir}/config.json`);
  if (!weights || !config) throw new RunError(`checkpoint ${dir} is missing (model.safetensors / config.json)`);
  return loadCheckpoint(engine, { weights, config: JSON.parse(new TextDecoder().decode(config)) as Record<string, unknown> });
}

/** Batches of a length-grouped epoch sorted together: long enough to group well, short enough to stay shuffled. */
export const LENGTH_GROUP_BATCHES = 16;

/**
 * Example indices of step `step` (0-based), a pure function of (seed, step) so a resumed run
 * continues the same order. Shuffled: consecutive slices of per-epoch seeded permutations.
 * Grouped by length (`lengths` given, one per pool index): each epoch's permutation is cut into
 * windows of LENGTH_GROUP_BATCHES batches, each window sorted by length and cut into batches, and
 * the epoch's batches shuffled; an epoch is ⌊pool / batch⌋ whole batches (the permutation's
 * remainder waits for a later epoch's draw). A batch is then padded to a length its neighbours
 * share, not to the longest of the pool: attention's cost grows with the square of it.
 */
export function batchOrder(poolSize: number, batchSize: number, seed: number, lengths?: readonly number[]): (step: number) => number[] {
  if (lengths && lengths.length !== poolSize) throw new RangeError(`batchOrder: ${lengths.length} lengths for a pool of ${poolSize}`);
  const grouped = lengths !== undefined && poolSize >= batchSize;
  const epochs = new Map<number, number[]>();
  const epoch = (e: number) => {
    let order = epochs.get(e);
    if (!order) {
      const rng = createRng(deriveSeed(seed, e));
      order = rng.shuffle(Array.from({ length: poolSize }, (_, i) => i));
      if (grouped) order = groupByLength(order, batchSize, lengths, rng.shuffle);
      epochs.set(e, order);
      if (epochs.size > 4) epochs.delete(Math.min(...epochs.keys()));
    }
    return order;
  };
  if (grouped) {
    const perEpoch = Math.floor(poolSize / batchSize);
    return (step) => {
      const start = (step % perEpoch) * batchSize;
      return epoch(Math.floor(step / perEpoch)).slice(start, start + batchSize);
    };
  }
  return (step) => Array.from({ length: batchSize }, (_, j) => {
    const at = step * batchSize + j;
    return epoch(Math.floor(at / poolSize))[at % poolSize]!;
  });
}

/** ⌊n / batch⌋ whole batches of `order`, each window of LENGTH_GROUP_BATCHES batches sorted by length (longest first, ties in draw order), the batches then shuffled. */
function groupByLength(order: readonly number[], batchSize: number, lengths: readonly number[], shuffle: <T>(items: readonly T[]) => T[]): number[] {
  const whole = order.slice(0, Math.floor(order.length / batchSize) * batchSize);
  const window = batchSize * LENGTH_GROUP_BATCHES;
  const batches: number[][] = [];
  for (let w = 0; w < whole.length; w += window) {
    const sorted = whole.slice(w, w + window).map((index, at) => ({ index, at })).sort((a, b) => lengths[b.index]! - lengths[a.index]! || a.at - b.at);
    for (let b = 0; b < sorted.length; b += batchSize) batches.push(sorted.slice(b, b + batchSize).map((x) => x.index));
  }
  return shuffle(batches).flat();
}

export interface CurvePoint {
  step: number;
  loss: number;
}

export interface TrainResult {
  steps: number;
  train: CurvePoint[];
  val: CurvePoint[];
  /** The step a resumed run continued from (0 for a fresh run). */
  resumedFrom: number;
  seconds: number;
}

export interface TrainJob {
  /** 'teacher' or a stage id: names the checkpoint folder and progress events. */
  name: string;
  model: AnyModel;
  training: Training;
  clipNorm: number;
  poolSize: number;
  /** Tokens of each pool example (read once, when the training batches by length). */
  lengths: () => readonly number[];
  seed: number;
  /** Builds the step's scalar loss for these pool indices (inside the step's scope). */
  loss: (indices: number[]) => StepLoss;
  /** Validation batches (loss builders), evaluated every evalEvery steps and at the end. */
  valBatches?: () => Iterable<() => Tensor>;
  /** Where resume points go (deleted once the model is final). */
  store: ArtifactStore;
  checkpointEvery: number;
  /** Tests only: throw after this many steps, as a crash would. */
  failAfterStep?: number;
  /** Stops training after the current step, with a resume point saved there. */
  signal?: AbortSignal;
}

const RESUME = 'resume';

interface ResumeState {
  step: number;
  /** The folder holding this point's params.safetensors and optimizer.safetensors. */
  dir: string;
  train: CurvePoint[];
  val: CurvePoint[];
  seconds: number;
}

/** Trains `job.model` in place, resuming from the job's last resume point when there is one. */
export async function train(host: RunHost, job: TrainJob): Promise<TrainResult> {
  const { engine } = host;
  const { model, training, store } = job;
  const params = model.trainableParameters();
  const named = model.parameters().filter((p) => p.tensor.requiresGrad);
  // Resume points hold what training changes: frozen weights (a LoRA base) are rebuilt as before.
  const changing = new Set(named.map((p) => p.name));
  const optimizer = new AdamW(params, { lr: training.optimizer.lr, betas: training.optimizer.betas, eps: training.optimizer.eps, weightDecay: training.optimizer.weightDecay });
  const trainer = new Trainer(engine, params, optimizer, { readLossEvery: training.steps <= 200 ? 1 : 10, ...(job.clipNorm > 0 ? { clipNorm: job.clipNorm } : {}) });
  const schedule = { kind: training.schedule.kind, baseLr: training.optimizer.lr, warmupSteps: training.schedule.warmupSteps, totalSteps: training.steps };
  const batchAt = batchOrder(job.poolSize, training.batchSize, job.seed, training.batching === 'by-length' ? job.lengths() : undefined);
  let curve: CurvePoint[] = [];
  let val: CurvePoint[] = [];
  let elapsed = 0;
  let resumedFrom = 0;
  let resumeDir: string | undefined;

  try {
    const saved = await store.read(`${RESUME}/state.json`);
    if (saved) {
      const state = JSON.parse(new TextDecoder().decode(saved)) as ResumeState;
      const params = await store.read(`${state.dir}/params.safetensors`);
      const optimizerState = await store.read(`${state.dir}/optimizer.safetensors`);
      if (!params || !optimizerState) throw new RunError(`the resume point of ${job.name} is incomplete (${state.dir}); delete ${RESUME} to start over`);
      const weights = readSafetensors(params).tensors;
      const moments = readSafetensors(optimizerState).tensors;
      resumeDir = state.dir;
      engine.flush();
      for (const { name, tensor } of model.parameters()) {
        if (!changing.has(name)) continue;
        const t = weights.get(name);
        if (!t || t.data.length !== tensor.size) throw new RunError(`the resume point of ${job.name} does not fit its model (parameter ${name}); delete ${RESUME} to start over`);
        engine.write(tensor, Float32Array.from(t.data));
      }
      optimizer.setState({ step: state.step, m: named.map((p) => moments.get(`${p.name}.m`)!.data), v: named.map((p) => moments.get(`${p.name}.v`)!.data) });
      trainer.steps = state.step;
      curve = state.train;
      val = state.val;
      elapsed = state.seconds;
      resumedFrom = state.step;
      host.emit({ type: 'resume', model: job.name, step: state.step });
    }

    const saveResumePoint = async () => {
      const weights = new Map<string, NamedTensorData>();
      for (const { name, tensor } of named) weights.set(name, { shape: [...tensor.shape], data: (await tensor.read()) as Float32Array });
      const { m, v } = optimizer.getState();
      const moments = new Map<string, NamedTensorData>();
      for (let i = 0; i < named.length; i++) {
        moments.set(`${named[i]!.name}.m`, { shape: [...m[i]!.shape], data: (await m[i]!.read()) as Float32Array });
        moments.set(`${named[i]!.name}.v`, { shape: [...v[i]!.shape], data: (await v[i]!.read()) as Float32Array });
      }
      // Each resume point has its own folder and state.json, written last, names it: a crash while
      // writing leaves the previous point whole (weights, moments and step always agree).
      const dir = `${RESUME}/step-${trainer.steps}`;
      await store.write(`${dir}/params.safetensors`, writeSafetensors(weights));
      await store.write(`${dir}/optimizer.safetensors`, writeSafetensors(moments));
      const state: ResumeState = { step: trainer.steps, dir, train: curve, val, seconds: elapsed };
      await store.write(`${RESUME}/state.json`, JSON.stringify(state));
      if (resumeDir && resumeDir !== dir) await store.remove(resumeDir);
      resumeDir = dir;
    };

    const validate = async () => {
      if (!job.valBatches) return;
      const loss = await evaluateLoss(engine, job.valBatches());
      if (Number.isFinite(loss)) {
        val.push({ step: trainer.steps, loss });
        host.emit({ type: 'val', model: job.name, step: trainer.steps, loss });
      }
    };

    const started = host.now();
    const startSeconds = elapsed;
    while (trainer.steps < training.steps) {
      const index = trainer.steps;
      const lr = learningRate(index, schedule);
      const last = index + 1 === training.steps;
      const checkpointDue = (index + 1) % job.checkpointEvery === 0 && !last;
      let tokens = 0;
      setLoraStep(model, index);
      const { loss } = await trainer.step(
        () => {
          const step = job.loss(batchAt(index));
          tokens = step.tokens;
          return step.loss;
        },
        { lr, readLoss: last || checkpointDue || undefined },
      );
      if (loss !== null) {
        if (!Number.isFinite(loss)) throw new RunError(`${job.name}: the loss became ${loss} at step ${trainer.steps} (lower the learning rate or enable clipping)`);
        curve.push({ step: trainer.steps, loss });
      }
      elapsed = startSeconds + (host.now() - started) / 1000;
      const done = trainer.steps - resumedFrom;
      const eta = done > 0 ? ((elapsed - startSeconds) / done) * (training.steps - trainer.steps) : null;
      host.emit({ type: 'train', model: job.name, step: trainer.steps, steps: training.steps, loss, lr, etaSeconds: eta, tokens });
      if (training.evalEvery > 0 && trainer.steps % training.evalEvery === 0 && !last) await validate();
      if (checkpointDue) await saveResumePoint();
      if (job.signal?.aborted && !last) {
        if (!checkpointDue) await saveResumePoint();
        throw runStopped(`at step ${trainer.steps} of ${job.name}`);
      }
      if (job.failAfterStep !== undefined && trainer.steps >= job.failAfterStep) throw new RunError(`injected failure after step ${trainer.steps} of ${job.name}`);
    }
    await validate();
    return { steps: trainer.steps, train: curve, val, resumedFrom, seconds: elapsed };
  } finally {
    optimizer.release();
  }
}

/** Removes a finished model's resume point. */
export async function dropResumePoint(store: ArtifactStore): Promise<void> {
  await store.remove(RESUME);
}

/** At most `max` points: bucket means of the curve (the last point kept as it is). */
export function downsample(curve: readonly CurvePoint[], max = 200): CurvePoint[] {
  if (curve.length <= max) return [...curve];
  const out: CurvePoint[] = [];
  const size = curve.length / max;
  for (let b = 0; b < max; b++) {
    const bucket = curve.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (bucket.length === 0) continue;
    out.push({ step: bucket.at(-1)!.step, loss: bucket.reduce((a, p) => a + p.loss, 0) / bucket.length });
  }
  return out;
}
