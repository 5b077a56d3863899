// Sizes and rough times for the builder (pure): parameter counts from the engine's own size
// formulas, training memory from the engine's estimate (the one the schema checks runs against),
// and the training time of an experiment on this device from the speed the trainer worker
// measured (System page). Estimates, labelled as such.
import type { BackendKind } from '../../engine/backend.ts';
import { parameterCount, trainingFlopsPerToken, trainingMemoryEstimate } from '../../engine/nn/size.ts';
import { decoderConfig, encoderConfig, type ModelConfig } from '../../engine/nn/config.ts';
import type { DecoderPreset, EncoderPreset } from '../../engine/presets.ts';
import { decoderDimsOf, encoderDimsOf, isPretrained, NOMINAL_VOCAB_SIZE, type ExperimentConfig, type PretrainedStudentConfig, type StageConfig } from '../../experiment/schema.ts';

const CLASSES = 3;

export interface ModelSize {
  parameters: number;
  /** GPU memory to train at this batch and length: weights, gradients, AdamW moments and activations. */
  trainingBytes: number;
}

/** A model as the schema gives it: a preset and optional dimension overrides. */
type ModelChoice = { preset: string; dims?: Record<string, number> | undefined };

/** modelSize for a stage's student; null for a pretrained one (sized from its folder when the run starts). */
export function studentSize(task: 'explain' | 'classify', student: ModelChoice | PretrainedStudentConfig, batch: number, seqLen: number, vocabSize = NOMINAL_VOCAB_SIZE): ModelSize | null {
  return isPretrained(student) ? null : modelSize(task, student, batch, seqLen, vocabSize);
}

function modelConfig(task: 'explain' | 'classify', model: ModelChoice, vocabSize: number): ModelConfig {
  return task === 'explain'
    ? decoderConfig(decoderDimsOf(model as { preset: DecoderPreset }), { vocabSize })
    : encoderConfig(encoderDimsOf(model as { preset: EncoderPreset }), { vocabSize, numClasses: CLASSES });
}

export function modelSize(task: 'explain' | 'classify', model: ModelChoice, batch: number, seqLen: number, vocabSize = NOMINAL_VOCAB_SIZE): ModelSize {
  const config = modelConfig(task, model, vocabSize);
  return { parameters: parameterCount(config), trainingBytes: trainingMemoryEstimate(config, batch, seqLen).totalBytes };
}

/** Training FLOPs per token at `seqLen` (engine/nn/size.ts trainingFlopsPerToken; a forward pass is a third). */
function flopsPerToken(task: 'explain' | 'classify', model: ModelChoice, vocabSize: number, seqLen: number): number {
  return trainingFlopsPerToken(modelConfig(task, model, vocabSize), seqLen);
}

/** The vocabulary of the System page's training measurement before figures recorded it (bench/engine.ts). */
const MEASURED_VOCAB_SIZE = 1024;

/** What the trainer worker measured on this adapter (System page, "Is this device fast enough?"). */
export interface SpeedFigures {
  /** What ran the measurement, for people (the adapter, or WASM and its threads). */
  adapter: string;
  /** The backend measured (figures stored before there were two are WebGPU's). */
  backend?: BackendKind;
  measuredAt: string;
  /** The engine's matmul, square sizes. */
  matmul: { size: number; gflops: number; peerGflops: number }[];
  /** Full training steps of the `small` presets. */
  training: { model: 'encoder' | 'decoder'; preset: string; parameters: number; batch: number; seqLen: number; vocabSize?: number; tokensPerSecond: number }[];
}

/**
 * Training FLOP/s the engine reached in the measured training steps (the FLOPs of the models'
 * products and attention, forward and backward, per token: trainingFlopsPerToken), averaged over
 * the measured models.
 */
export function effectiveTrainingFlops(speed: SpeedFigures): number | null {
  const rates = speed.training
    .filter((t) => t.tokensPerSecond > 0)
    .map((t) => flopsPerToken(t.model === 'decoder' ? 'explain' : 'classify', { preset: t.preset }, t.vocabSize ?? MEASURED_VOCAB_SIZE, t.seqLen) * t.tokensPerSecond);
  return rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null;
}

/** A stage's training FLOPs; null for a pretrained student (its size is in its folder's config.json, not in the experiment). */
function stageFlops(stage: StageConfig, config: ExperimentConfig, vocabSize: number): number | null {
  const student = stage.student;
  if (isPretrained(student)) return null;
  const tokens = stage.batchSize * stage.maxSeqLen * stage.steps;
  const own = flopsPerToken(stage.task, student, vocabSize, stage.maxSeqLen) * tokens;
  // An explain stage runs its source forward on every batch (online logits) when it distils;
  // a top-k teacher's log-probs are stored instead.
  if (stage.task !== 'explain' || stage.loss.wKd === 0) return own;
  const found = config.stages.find((s) => s.id === stage.source)?.student;
  const source = stage.source === 'teacher' ? (config.synthetic.logits === 'topk' || isPretrained(config.inHouseTeacher) ? null : config.inHouseTeacher) : found && !isPretrained(found) ? found : null;
  return source ? own + (flopsPerToken('explain', source, vocabSize, stage.maxSeqLen) / 3) * tokens : own;
}

export interface TimeEstimate {
  /** Seconds of training steps (every model at full sequence length: an upper bound on tokens). */
  trainingSeconds: number;
  runs: number;
  /** Runs whose in-house teacher is trained (runs that share data, teacher and seed share it). */
  teachers: number;
  /** Models left out of trainingSeconds: pretrained students and teachers, sized only when their folder is read. */
  unsized: number;
}

/**
 * Training time of the runs of an experiment at the measured speed. `sharedKeys` holds each run's
 * pipeline.ts sharedKey: runs with the same key train one in-house teacher between them.
 * Labelling, generation and evaluation are not included.
 */
export function estimateTraining(runs: readonly ExperimentConfig[], sharedKeys: readonly string[], speed: SpeedFigures, vocabSize = NOMINAL_VOCAB_SIZE): TimeEstimate | null {
  const rate = effectiveTrainingFlops(speed);
  if (!rate) return null;
  let flops = 0;
  let unsized = 0;
  const teachers = new Set<string>();
  runs.forEach((config, i) => {
    const key = sharedKeys[i] ?? String(i);
    if (!teachers.has(key)) {
      teachers.add(key);
      const t = config.inHouseTeacher;
      if (isPretrained(t)) unsized++;
      else flops += flopsPerToken('explain', t, vocabSize, t.maxSeqLen) * t.batchSize * t.maxSeqLen * t.steps;
    }
    for (const stage of config.stages) {
      const f = stageFlops(stage, config, vocabSize);
      if (f === null) unsized++;
      else flops += f;
    }
  });
  return { trainingSeconds: flops / rate, runs: runs.length, teachers: teachers.size, unsized };
}
