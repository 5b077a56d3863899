// The experiment: one versioned, validated JSON document that the UI, the trainer worker, the CLI
// (`lantern run`) and share links all read. Every field has a default, so `{}` is a runnable
// experiment (demo data, offline teacher, one explainer and one classifier distilled from the
// in-house teacher). Unknown keys are dropped with a warning naming their path; each invalid
// field gives one error naming its path. Shapes are checked by zod; rules that tie fields together
// across objects (stage order, preset limits, sparse-teacher temperature, sweep paths) are checked
// in `crossFieldIssues` once every field has a valid shape; rules inside one object (loss
// parameters, split sums) are zod refinements, reported together with the shape errors.
//
// Pipeline the fields describe (src/experiment/README.md):
//   dataset → teacher labels (`teacher`) → seed set (`seedSet`) → in-house teacher SFT
//   (`inHouseTeacher`) → synthetic labels + logits (`synthetic`) → `stages`, in order, each
//   distilled from `source` ('teacher' = the in-house teacher, an earlier stage's id, or for a
//   classifier 'seed' = the seed set's own labels) → `eval`.

import { z } from 'zod';
import { DECODER_PRESETS, DECODER_PRESET_NAMES, ENCODER_PRESETS, ENCODER_PRESET_NAMES, type DecoderDims, type DecoderPreset, type EncoderDims, type EncoderPreset } from '../engine/presets.ts';
import { DEFAULT_KD_LOSS, DIVERGENCES, DIVERGENCE_PARAM, KdSpecError, validateKdLossSpec } from '../engine/kd-spec.ts';
import { POOL_KINDS } from '../engine/ops/pooling.ts';
import { LR_SCHEDULE_KINDS } from '../engine/schedule.ts';
import { ENGINE_CHOICES } from '../engine/backend.ts';
import { deepEqual, formatPath, getPath, parsePath, setPath } from './paths.ts';
import { decoderConfig, encoderConfig, type ModelConfig } from '../engine/nn/config.ts';
import { trainingMemoryEstimate, type LoraShape } from '../engine/nn/size.ts';
import { jsonTextDepth, MAX_JSON_DEPTH, tooDeepMessage, valueDepth } from '../data/json-depth.ts';

export const EXPERIMENT_VERSION = 1;

const nonEmpty = (what: string) => z.string().trim().min(1, `${what} must not be empty`);
const positiveInt = z.int().positive();
const nonNegativeInt = z.int().nonnegative();
/** 2³²−1: seeds feed a 32-bit PRNG. */
const seedValue = z.int().min(0).max(0xffff_ffff);

// ── dataset ─────────────────────────────────────────────────────────────────────────────────────

export const Split = z.strictObject({
  train: z.number().gt(0).lt(1).default(0.8),
  val: z.number().min(0).lt(1).default(0.1),
  test: z.number().gt(0).lt(1).default(0.1),
}).superRefine((split, ctx) => {
  const sum = split.train + split.val + split.test;
  if (Math.abs(sum - 1) > 1e-6) ctx.addIssue({ code: 'custom', path: [], message: `train + val + test must add up to 1 (got ${+sum.toFixed(6)})` });
});

export const DemoSource = z.strictObject({
  /** Seed of the deterministic demo-data generator (src/data). */
  seed: seedValue.default(0),
  /** Number of (job, profile) pairs to generate. */
  n: z.int().min(10).max(100_000).default(240),
});

/**
 * Which data to use. A dataset is referenced, never embedded: `id` names one stored in the
 * studio (IndexedDB), `path` a JSONL/CSV file for headless runs, `demo` the recipe of generated
 * demo data (runs anywhere). `contentHash` (src/data/hash.ts contentHash: hex SHA-256 of the canonical examples) lets a
 * run check it got the same data. With none of id / path / demo, the default demo recipe is used.
 */
export const DatasetRef = z.strictObject({
  id: nonEmpty('dataset.id').optional(),
  contentHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'contentHash must be a hex SHA-256 (64 lower-case hex digits)')
    .optional(),
  path: nonEmpty('dataset.path').optional(),
  demo: DemoSource.optional(),
  /** Fractions of the shuffled (seeded) data; they must add up to 1. */
  split: Split.prefault({}),
}).transform((d) => (d.id === undefined && d.path === undefined && d.demo === undefined ? { ...d, demo: DemoSource.parse({}) } : d));

// ── teacher and seed set ──────────────────────────────────────────────────────────────────────────

/** The teacher providers the proxy serves (server/teacher/config.ts uses this list). */
export const TEACHER_PROVIDERS = ['offline', 'openai'] as const;

/** The black-box teacher behind the proxy. API keys are never part of an experiment. */
export const TeacherRef = z.strictObject({
  provider: z.enum(TEACHER_PROVIDERS).default('offline'),
  /** Upstream model name (openai provider); the offline teacher ignores it. */
  model: nonEmpty('teacher.model').optional(),
  /** OpenAI-compatible endpoint; the server's configured one when absent. */
  baseUrl: z.url({ error: 'baseUrl must be a URL such as http://127.0.0.1:8000/v1' }).optional(),
  /** Top log-probs to request per token (OpenAI-style APIs cap this at 20). */
  topLogprobs: z.int().min(0).max(20).default(5),
});

/**
 * How the seed set D_seed is chosen from the teacher's labels: `reviewed` uses the review
 * decisions stored in the studio; headless runs use a review-decisions file or accept every
 * label whose teacher confidence is at least `minConfidence`.
 */
export const SeedSetPolicy = z.discriminatedUnion(
  'policy',
  [
    z.strictObject({ policy: z.literal('reviewed') }),
    z.strictObject({ policy: z.literal('review-file'), path: nonEmpty('seedSet.path') }),
    z.strictObject({
      policy: z.literal('auto-accept'),
      minConfidence: z.number().min(0).max(1).default(0.7),
      /** Cap on the seed set's size (0 = no cap). */
      maxExamples: nonNegativeInt.default(0),
    }),
  ],
  { error: 'seedSet.policy must be one of "reviewed", "review-file", "auto-accept"' },
);

// ── training pieces shared by the in-house teacher and every stage ────────────────────────────────

export const Optimizer = z.strictObject({
  /** AdamW. */
  lr: z.number().gt(0).max(1).default(5e-4),
  weightDecay: z.number().min(0).default(0.01),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().gt(0).default(1e-8),
  /** Global-norm gradient clipping; 0 turns it off. */
  clipNorm: z.number().min(0).default(1),
});

export const Schedule = z.strictObject({
  /** Learning-rate shape after warm-up: constant, cosine decay to 0, or linear decay to 0. */
  kind: z.enum(LR_SCHEDULE_KINDS).default('cosine'),
  /** Linear warm-up from 0; at most `steps`. */
  warmupSteps: nonNegativeInt.default(0),
});

/** Names of the linear layers a LoRA adapter can wrap (attention q/k/v/o, MLP gate/up/down). */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export const Lora = z.strictObject({
  rank: z.int().min(1).max(256).default(8),
  alpha: z.number().gt(0).default(16),
  /** Inverted dropout on each adapter's input while training (PEFT's lora_dropout); 0 = none. */
  dropout: z.number().min(0).lt(1).default(0),
  targets: z.array(z.enum(LORA_TARGETS)).min(1, 'lora.targets needs at least one layer').default(['q', 'v']),
});

/**
 * A student that starts from a Hugging Face model folder instead of a preset: its size, context
 * and tokenizer come from the folder's config.json. `source` is where the run host finds the
 * folder: headless (`lantern run`), a folder path, relative to the experiment file like
 * dataset.path; in the studio, the name of a model folder stored in the browser (the trainer
 * worker's origin-private file system, models/<name>/). Without `lora` every weight is
 * fine-tuned; with it the base is frozen and only the adapters train (merged for export, and
 * saved beside the merged weights as a PEFT adapter).
 */
export const Pretrained = z.strictObject({
  source: nonEmpty('pretrained.source'),
  lora: Lora.optional(),
});
export type PretrainedConfig = z.output<typeof Pretrained>;
export const PretrainedStudent = z.strictObject({ pretrained: Pretrained });
export type PretrainedStudentConfig = z.output<typeof PretrainedStudent>;

/** True for a student built from a model folder (`{pretrained: {…}}`) rather than a preset. */
export function isPretrained<S extends object>(student: S | PretrainedStudentConfig): student is PretrainedStudentConfig {
  return 'pretrained' in student;
}

/** A model as an experiment names it (the in-house teacher, a stage's student): a preset or a folder. */
type ModelChoice = { preset: string; lora?: z.output<typeof Lora> | undefined } | PretrainedStudentConfig;

/** What a model is, in a few words: its preset, or "pretrained <source>" (+ LoRA). */
export function modelLabel(model: ModelChoice): string {
  return isPretrained(model) ? `pretrained ${model.pretrained.source}${model.pretrained.lora ? ' + LoRA' : ''}` : model.preset;
}

/** A model's LoRA settings, preset or pretrained. */
export function modelLora(model: ModelChoice): z.output<typeof Lora> | undefined {
  return isPretrained(model) ? model.pretrained.lora : model.lora;
}

/** Fields of a preset model that a folder's config.json decides instead. */
const PRESET_ONLY = { preset: 'its size comes from the folder\'s config.json', dims: 'its size comes from the folder\'s config.json', pooling: "its pooling comes from the folder's config.json (classifier_pooling)", lora: 'put lora inside pretrained: {"pretrained": {"source": …, "lora": {…}}}' } as const;

/**
 * A model that is a preset (`{preset, dims?, lora?}`) or a model folder (`{pretrained}`): a
 * stage's student or the in-house teacher. Told apart by the `pretrained` key so that errors and
 * unknown-key warnings name the fields of the form that was meant (a zod union would report both
 * forms' issues); a preset field beside `pretrained` is refused by name.
 */
function presetOrPretrained<P extends z.ZodType<object, object>, F extends z.ZodType<{ pretrained: unknown }, object>>(preset: P, pretrained: F, role: 'student' | 'teacher') {
  return z.unknown().transform((value, ctx): z.output<P> | z.output<F> => {
    const isFolder = typeof value === 'object' && value !== null && !Array.isArray(value) && 'pretrained' in value;
    if (isFolder) {
      const extra = Object.keys(value).filter((k): k is keyof typeof PRESET_ONLY => k in PRESET_ONLY);
      for (const key of extra) ctx.issues.push({ code: 'custom', path: [key], message: `"${key}" does not apply to a pretrained ${role}: ${PRESET_ONLY[key]}`, input: value });
      if (extra.length) return z.NEVER;
    }
    const result = (isFolder ? pretrained : preset).safeParse(value);
    if (result.success) return result.data as z.output<P> | z.output<F>;
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: value } as never);
    return z.NEVER;
  });
}
const studentField = <P extends z.ZodType<object, object>>(preset: P) => presetOrPretrained(preset, PretrainedStudent, 'student');

export const BATCHINGS = ['shuffled', 'by-length'] as const;

const trainingFields = {
  optimizer: Optimizer.prefault({}),
  schedule: Schedule.prefault({}),
  steps: positiveInt.max(1_000_000).default(200),
  batchSize: positiveInt.max(4096).default(8),
  /** Tokens per example (prompt + response); at most the preset's maxPosition, which is also the default. */
  maxSeqLen: z.int().min(8).optional(),
  /** Evaluate on the validation split every N steps (0: only at the end). */
  evalEvery: nonNegativeInt.default(50),
  /**
   * How steps draw their examples: "shuffled" (absent: each epoch a seeded permutation) or
   * "by-length" (neighbours in length batched together, so a batch pads less; run/train.ts batchOrder).
   */
  batching: z.enum(BATCHINGS).optional(),
};

/**
 * Overrides of a preset's dimensions (config as plain data, as nanoGPT does): the fields given
 * replace the preset's, the rest stay. For sizes between the presets (a CPU-sized model with a
 * long context, a capacity ladder whose rungs are a few times apart).
 */
const dimField = (max: number) => positiveInt.max(max).optional();
export const DecoderDimsOverride = z.strictObject({ hidden: dimField(8192), layers: dimField(64), heads: dimField(128), kvHeads: dimField(128), intermediate: dimField(32768), maxPosition: dimField(8192) });
export const EncoderDimsOverride = z.strictObject({ hidden: dimField(8192), layers: dimField(64), heads: dimField(128), intermediate: dimField(32768), maxPosition: dimField(8192) });

/** A decoder's dimensions: the preset's, with `dims` on top. */
export function decoderDimsOf(model: { preset: DecoderPreset; dims?: z.output<typeof DecoderDimsOverride> | undefined }): DecoderDims {
  return { ...DECODER_PRESETS[model.preset], ...model.dims };
}

/** An encoder's dimensions: the preset's, with `dims` on top. */
export function encoderDimsOf(model: { preset: EncoderPreset; dims?: z.output<typeof EncoderDimsOverride> | undefined }): EncoderDims {
  return { ...ENCODER_PRESETS[model.preset], ...model.dims };
}

// ── in-house teacher and synthetic labels ──────────────────────────────────────────────────────────

/**
 * The in-house teacher, fine-tuned (SFT) on the seed set; it writes D_synth for the stages. It
 * starts from a decoder preset (`{preset, dims?, lora?}`, the largest by default) or from a
 * Hugging Face model folder (`{pretrained: {source, lora?}}`, as a stage's student does). A
 * pretrained teacher names its maxSeqLen: the folder's context (often 32k tokens) is read only
 * when the run starts, and the stages' sequences default to the teacher's.
 */
export const InHouseTeacher = presetOrPretrained(
  z.strictObject({
    preset: z.enum(DECODER_PRESET_NAMES).default('base'),
    dims: DecoderDimsOverride.optional(),
    lora: Lora.optional(),
    ...trainingFields,
  }),
  z.strictObject({ pretrained: Pretrained, ...trainingFields }),
  'teacher',
).transform((t, ctx) => {
  if (!isPretrained(t)) return { ...t, maxSeqLen: t.maxSeqLen ?? decoderDimsOf(t).maxPosition };
  if (t.maxSeqLen === undefined) {
    ctx.issues.push({ code: 'custom', path: ['maxSeqLen'], message: "a pretrained teacher needs maxSeqLen (tokens per example): its folder's context is only read when the run starts", input: t });
    return z.NEVER;
  }
  return { ...t, maxSeqLen: t.maxSeqLen };
});
export type InHouseTeacherConfig = z.output<typeof InHouseTeacher>;
export type PresetTeacherConfig = Exclude<InHouseTeacherConfig, { pretrained: unknown }>;

/** The preset teacher's dimensions (the preset's, with dims on top); null for a pretrained one (its config.json decides). */
export function teacherDims(teacher: InHouseTeacherConfig): DecoderDims | null {
  return isPretrained(teacher) ? null : decoderDimsOf(teacher);
}

export const Synthetic = z.strictObject({
  /**
   * What the in-house teacher stores per response token: `full` logits (computed online while
   * the stages train) or the `topk` log-probs plus a tail bucket (src/engine/README.md, "The KD loss"; T = 1 only).
   */
  logits: z.enum(['full', 'topk']).default('full'),
  topK: z.int().min(1).max(256).default(20),
  /** Longest explanation the teacher writes, in tokens. */
  maxNewTokens: z.int().min(1).max(2048).default(96),
  /**
   * Training pairs the in-house teacher answers (0 = all): the first N of the seeded shuffle.
   * Decoding is the costly part of D_synth; a stage that learns from the seed set needs none.
   */
  maxExamples: nonNegativeInt.default(0),
});

// ── stages ─────────────────────────────────────────────────────────────────────────────────────

export const KdLoss = z.strictObject({
  divergence: z.enum(DIVERGENCES).default(DEFAULT_KD_LOSS.divergence),
  /** β for jsd, α for sfkl/srkl (defaults in DIVERGENCE_PARAM); ignored by the others. */
  param: z.number().optional(),
  temperature: z.number().gt(0).default(DEFAULT_KD_LOSS.temperature),
  scaleByT2: z.boolean().default(DEFAULT_KD_LOSS.scaleByT2),
  /** Weight of cross-entropy on the source's text (explain) or hard label (classify). */
  wCe: z.number().min(0).default(DEFAULT_KD_LOSS.wCe),
  wKd: z.number().min(0).default(DEFAULT_KD_LOSS.wKd),
}).superRefine((loss, ctx) => {
  // kd-spec.ts owns the rules (β ∈ (0,1) for jsd, α ∈ [0,1), weights not both 0).
  try {
    validateKdLossSpec(loss);
  } catch (e) {
    if (!(e instanceof KdSpecError)) throw e;
    const field = /β|α/.test(e.message) ? 'param' : /temperature/.test(e.message) ? 'temperature' : /weight|wCe|wKd/.test(e.message) ? 'wKd' : 'divergence';
    ctx.addIssue({ code: 'custom', path: [field], message: e.message });
  }
});

const stageId = z
  .string({ error: (issue) => (issue.input === undefined ? 'every stage needs an id (e.g. "mid"); later stages name it as their source' : 'a stage id is a string') })
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a stage id is 1–32 characters: a lower-case letter, then letters, digits, "-" or "_"');
/**
 * A classify stage may learn from the seed set itself: the black-box teacher's label
 * distributions (a reviewer's fixed label as a one-hot one) over every seed pair, with no
 * in-house teacher between them. D_synth holds only what the in-house teacher was asked, so this
 * is how a classifier learns from more pairs than D_synth has.
 */
export const SEED_SOURCE = 'seed';
/** 'teacher' (the in-house teacher), 'seed' (classify only) or the id of an earlier stage. */
const stageSource = z.string().min(1).default('teacher');

/** A decoder that writes the explanation, trained with token-level KD. */
export const ExplainStage = z.strictObject({
  id: stageId,
  task: z.literal('explain'),
  student: studentField(
    z.strictObject({
      preset: z.enum(DECODER_PRESET_NAMES).default('small'),
      dims: DecoderDimsOverride.optional(),
      lora: Lora.optional(),
    }),
  ).prefault({}),
  source: stageSource,
  loss: KdLoss.prefault({}),
  ...trainingFields,
});

/** An encoder that predicts the fit level, trained with soft-label KD. */
export const ClassifyStage = z.strictObject({
  id: stageId,
  task: z.literal('classify'),
  student: studentField(
    z.strictObject({
      preset: z.enum(ENCODER_PRESET_NAMES).default('small'),
      dims: EncoderDimsOverride.optional(),
      pooling: z.enum(POOL_KINDS).default('cls'),
      lora: Lora.optional(),
    }),
  ).prefault({}),
  source: stageSource,
  loss: KdLoss.prefault({}),
  ...trainingFields,
});

export const Stage = z.discriminatedUnion('task', [ExplainStage, ClassifyStage], {
  error: 'each stage needs task "explain" (decoder explainer) or "classify" (encoder classifier)',
});

/**
 * A stage's maxSeqLen when none is given: its preset's context length; for a pretrained student
 * (whose config.json is read only when the run starts, and whose context is often 32k) the
 * in-house teacher's, whose sequences it learns from.
 */
function defaultMaxSeqLen(stage: z.output<typeof Stage>, teacherMaxSeqLen: number): number {
  const student = stage.student;
  if (isPretrained(student)) return teacherMaxSeqLen;
  return stage.task === 'explain' ? decoderDimsOf(student as ExplainPresetStudent).maxPosition : encoderDimsOf(student as ClassifyPresetStudent).maxPosition;
}

/** A preset student's dimensions (the preset's, with dims on top); null for a pretrained one (its config.json decides). */
export function stageDims(stage: StageConfig): DecoderDims | EncoderDims | null {
  const student = stage.student;
  if (isPretrained(student)) return null;
  return stage.task === 'explain' ? decoderDimsOf(student as ExplainPresetStudent) : encoderDimsOf(student as ClassifyPresetStudent);
}


export const DEFAULT_STAGES = [
  { id: 'explainer', task: 'explain' },
  { id: 'classifier', task: 'classify' },
] as const;

// ── evaluation and sweeps ──────────────────────────────────────────────────────────────────────

/** What to measure on the test split (src/metrics). Classification metrics apply to classify stages. */
export const EVAL_METRICS = ['accuracy', 'macroF1', 'perClass', 'confusion', 'ece', 'rouge', 'consistency', 'hallucination', 'latency'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];

export const Eval = z.strictObject({
  metrics: z.array(z.enum(EVAL_METRICS)).default([...EVAL_METRICS]),
  /** Porter stemming in ROUGE (rouge-score's use_stemmer). */
  rougeStem: z.boolean().default(true),
  /** Equal-width confidence bins of the expected calibration error. */
  eceBins: z.int().min(1).max(100).default(10),
  /** Longest explanation a student writes at evaluation, in tokens. */
  maxNewTokens: z.int().min(1).max(2048).default(96),
});

export const SweepParam = z.strictObject({
  /** A config path such as "stages.0.loss.divergence". */
  path: nonEmpty('sweep path'),
  values: z.array(z.json()).min(1, 'a swept parameter needs at least one value'),
});

/** Cartesian product of every param's values, each run once per seed in `seeds` (when given). */
export const Sweep = z.strictObject({
  params: z.array(SweepParam).default([]),
  seeds: z.array(seedValue).min(1, 'sweep.seeds needs at least one seed').optional(),
});

// ── the experiment ─────────────────────────────────────────────────────────────────────────────

export const ExperimentShape = z.strictObject({
  version: z.literal(EXPERIMENT_VERSION, {
    error: (issue) =>
      typeof issue.input === 'number' && issue.input > EXPERIMENT_VERSION
        ? `version ${issue.input} was written by a newer Lantern Studio; this one reads version ${EXPERIMENT_VERSION}`
        : `version must be ${EXPERIMENT_VERSION}`,
  }).default(EXPERIMENT_VERSION),
  name: z.string().trim().min(1, 'name must not be empty').max(200).default('experiment'),
  /** Seeds the split, initialisation, batching and sampling: same config, same run. */
  seed: seedValue.default(0),
  /**
   * Where the engine runs: 'auto' (WebGPU on a real GPU, WASM SIMD where the adapter is a software
   * fallback or missing), or forced. Not part of the experiment's identity: a run resumes on either.
   */
  engine: z.enum(ENGINE_CHOICES, { error: () => `engine must be one of ${ENGINE_CHOICES.join(', ')}` }).default('auto'),
  dataset: DatasetRef.prefault({}),
  teacher: TeacherRef.prefault({}),
  seedSet: SeedSetPolicy.prefault({ policy: 'auto-accept' }),
  inHouseTeacher: InHouseTeacher.prefault({}),
  synthetic: Synthetic.prefault({}),
  stages: z
    .array(Stage)
    .min(1, 'an experiment needs at least one stage')
    .prefault(() => structuredClone(DEFAULT_STAGES) as never),
  eval: Eval.prefault({}),
  sweep: Sweep.optional(),
}).transform((c) => ({ ...c, stages: c.stages.map((stage) => ({ ...stage, maxSeqLen: stage.maxSeqLen ?? defaultMaxSeqLen(stage, c.inHouseTeacher.maxSeqLen) })) }));

export type ExperimentConfig = z.output<typeof ExperimentShape>;
export type ExperimentInput = z.input<typeof ExperimentShape>;
export type StageConfig = ExperimentConfig['stages'][number];
export type ExplainStageConfig = Extract<StageConfig, { task: 'explain' }>;
export type ClassifyStageConfig = Extract<StageConfig, { task: 'classify' }>;
export type ExplainPresetStudent = Exclude<ExplainStageConfig['student'], PretrainedStudentConfig>;
export type ClassifyPresetStudent = Exclude<ClassifyStageConfig['student'], PretrainedStudentConfig>;
export type KdLossConfig = z.output<typeof KdLoss>;
export type SweepConfig = NonNullable<ExperimentConfig['sweep']>;
export type SeedSetConfig = ExperimentConfig['seedSet'];

// ── parsing ────────────────────────────────────────────────────────────────────────────────────

export interface ExperimentIssue {
  /** Dotted config path, e.g. "stages.1.loss.param"; "(root)" for the whole document. */
  path: string;
  message: string;
}

export class ExperimentError extends Error {
  override name = 'ExperimentError';
  constructor(
    readonly errors: ExperimentIssue[],
    readonly warnings: ExperimentIssue[] = [],
  ) {
    super(`invalid experiment (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  }
}

export type ParseResult =
  | { ok: true; config: ExperimentConfig; warnings: ExperimentIssue[] }
  | { ok: false; errors: ExperimentIssue[]; warnings: ExperimentIssue[] };

/** Key names that look like credentials (apiKey, api_key, authToken, password, …). */
const SECRET_KEY = /api[-_]?key|^key$|secret|password|passwd|credential|(?:access|auth|bearer|api|refresh)[-_]?token|^token$/i;

const UNKNOWN_KEY = 'unknown key, ignored';
const SECRET_IGNORED = 'ignored: secrets never belong in an experiment (the server reads API keys from its environment)';

function unknownKeyWarning(path: PropertyKey[], key: string): ExperimentIssue {
  return { path: formatPath([...path, key]), message: SECRET_KEY.test(key) ? SECRET_IGNORED : UNKNOWN_KEY };
}

const isUnknownKeyWarning = (w: ExperimentIssue) => w.message === UNKNOWN_KEY || w.message === SECRET_IGNORED;

function deleteKey(root: unknown, path: PropertyKey[], key: string): void {
  const parent = getPath(root, path as (string | number)[]);
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[key];
}

/** zod shape check, with unknown keys stripped (and warned about) until only real errors remain. */
function parseShape(input: unknown): ParseResult {
  const working = structuredClone(input);
  const warnings: ExperimentIssue[] = [];
  // Each pass strips every unknown key zod could see; keys hidden behind an invalid union
  // member surface on a later pass. A handful of passes always suffices for this schema's depth.
  for (let pass = 0; pass < 8; pass++) {
    const result = ExperimentShape.safeParse(working);
    if (result.success) return { ok: true, config: result.data, warnings };
    const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    if (unknown.length === 0) return { ok: false, errors: zodErrors(result.error.issues), warnings };
    for (const issue of unknown) {
      for (const key of issue.keys) {
        warnings.push(unknownKeyWarning(issue.path, key));
        deleteKey(working, issue.path, key);
      }
    }
  }
  return { ok: false, errors: [{ path: '(root)', message: 'too deeply nested unknown keys' }], warnings };
}

function zodErrors(issues: readonly z.core.$ZodIssue[]): ExperimentIssue[] {
  const byPath = new Map<string, string>();
  for (const issue of issues) {
    const path = formatPath(issue.path);
    if (!byPath.has(path)) byPath.set(path, issue.message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

/** Rules that tie fields together; each returns issues with the path of the field to fix. */
function crossFieldIssues(config: ExperimentConfig): { errors: ExperimentIssue[]; warnings: ExperimentIssue[] } {
  const errors: ExperimentIssue[] = [];
  const warnings: ExperimentIssue[] = [];
  const checkTraining = (path: string, t: { steps: number; maxSeqLen: number; schedule: { warmupSteps: number } }, maxPosition: number, presetLabel: string) => {
    if (t.maxSeqLen > maxPosition) errors.push({ path: `${path}.maxSeqLen`, message: `${t.maxSeqLen} exceeds the ${presetLabel}'s maxPosition ${maxPosition}` });
    if (t.schedule.warmupSteps > t.steps) errors.push({ path: `${path}.schedule.warmupSteps`, message: `warm-up (${t.schedule.warmupSteps}) is longer than the ${t.steps} training steps` });
  };
  // Dimensions the engine cannot build (hidden not divisible by heads, …): the engine's own check.
  const checkDims = (path: string, build: () => unknown) => {
    try {
      build();
    } catch (e) {
      errors.push({ path, message: (e as Error).message });
    }
  };
  const teacher = config.inHouseTeacher;
  if (isPretrained(teacher)) {
    // Its context is the folder's max_position_embeddings: checked when the run reads config.json.
    checkTraining('inHouseTeacher', teacher, Infinity, 'pretrained decoder');
  } else {
    if (teacher.dims) checkDims('inHouseTeacher.dims', () => decoderConfig(decoderDimsOf(teacher), { vocabSize: 1 }));
    checkTraining('inHouseTeacher', teacher, decoderDimsOf(teacher).maxPosition, `${teacher.preset}${teacher.dims ? ' (with dims)' : ''} decoder`);
  }
  // A decoder's context holds the prompt and the text it writes.
  if (config.synthetic.maxNewTokens >= teacher.maxSeqLen) {
    errors.push({ path: 'synthetic.maxNewTokens', message: `${config.synthetic.maxNewTokens} new tokens leave no room for the prompt in the in-house teacher's ${teacher.maxSeqLen}-token context` });
  }

  const seen = new Map<string, StageConfig>();
  config.stages.forEach((stage, i) => {
    const at = `stages.${i}`;
    if (seen.has(stage.id)) errors.push({ path: `${at}.id`, message: `stage id "${stage.id}" is used twice` });
    if (stage.id === 'teacher') errors.push({ path: `${at}.id`, message: '"teacher" names the in-house teacher; pick another stage id' });
    if (stage.id === SEED_SOURCE) errors.push({ path: `${at}.id`, message: `"${SEED_SOURCE}" names the seed set; pick another stage id` });
    if (stage.source === SEED_SOURCE) {
      if (stage.task === 'explain') errors.push({ path: `${at}.source`, message: `an explain stage needs token distributions, which the seed set does not hold; use "teacher" or an earlier explain stage` });
    } else if (stage.source !== 'teacher') {
      const source = seen.get(stage.source);
      if (!source) {
        const later = config.stages.slice(i).some((s) => s.id === stage.source);
        errors.push({
          path: `${at}.source`,
          message: later
            ? `"${stage.source}" is not an earlier stage: a stage learns from "teacher" or a stage listed before it`
            : `unknown source "${stage.source}": expected "teacher", "${SEED_SOURCE}" (a classifier) or an earlier stage id (${[...seen.keys()].join(', ') || 'none yet'})`,
        });
      } else if (stage.task === 'explain' && source.task === 'classify') {
        errors.push({ path: `${at}.source`, message: `an explain stage needs token distributions; "${source.id}" is a classifier — use "teacher" or an earlier explain stage` });
      }
    }
    seen.set(stage.id, stage);

    const student = stage.student;
    const kind = stage.task === 'explain' ? 'decoder' : 'encoder';
    if (isPretrained(student)) {
      // Its context is the folder's max_position_embeddings: checked when the run reads config.json.
      checkTraining(at, stage, Infinity, `pretrained ${kind}`);
    } else {
      const dims = stageDims(stage)!;
      if (student.dims) checkDims(`${at}.student.dims`, () => (stage.task === 'explain' ? decoderConfig(dims as DecoderDims, { vocabSize: 1 }) : encoderConfig(dims as EncoderDims, { vocabSize: 1, numClasses: 3 })));
      checkTraining(at, stage, dims.maxPosition, `${student.preset}${student.dims ? ' (with dims)' : ''} ${kind}`);
    }
    if (stage.task === 'explain' && config.eval.maxNewTokens >= stage.maxSeqLen) {
      errors.push({ path: `${at}.maxSeqLen`, message: `${stage.maxSeqLen} tokens leave no room for the prompt when the student writes up to eval.maxNewTokens = ${config.eval.maxNewTokens}` });
    }

    const loss = stage.loss;
    if (loss.param !== undefined && !DIVERGENCE_PARAM[loss.divergence]) {
      warnings.push({ path: `${at}.loss.param`, message: `${loss.divergence} takes no parameter; ${loss.param} is ignored` });
    }
    if (config.synthetic.logits === 'topk' && stage.source === 'teacher' && loss.temperature !== 1) {
      errors.push({ path: `${at}.loss.temperature`, message: 'a top-k (sparse) teacher supports temperature 1 only; set synthetic.logits to "full" or temperature to 1' });
    }
  });
  // Memory is estimated from buildable dimensions only.
  if (!errors.some((e) => e.path.endsWith('.dims'))) errors.push(...experimentMemoryIssues(config));
  return { errors, warnings };
}

/** Shape + cross-field rules, without the sweep (which is checked by applying its values). */
function parseBase(input: unknown): ParseResult {
  const shape = parseShape(input);
  if (!shape.ok) return shape;
  const cross = crossFieldIssues(shape.config);
  const warnings = [...shape.warnings, ...cross.warnings];
  return cross.errors.length > 0 ? { ok: false, errors: cross.errors, warnings } : { ok: true, config: shape.config, warnings };
}

const FORBIDDEN_SWEEP_ROOTS = new Set(['version', 'sweep', 'name']);

function sweepIssues(config: ExperimentConfig, base: unknown): ExperimentIssue[] {
  const sweep = config.sweep;
  if (!sweep) return [];
  const errors: ExperimentIssue[] = [];
  if (sweep.params.length === 0 && !sweep.seeds) errors.push({ path: 'sweep', message: 'a sweep needs params, seeds or both' });
  if (sweep.seeds && new Set(sweep.seeds).size !== sweep.seeds.length) errors.push({ path: 'sweep.seeds', message: 'seeds repeat' });
  const paths = new Set<string>();
  sweep.params.forEach((param, i) => {
    const at = `sweep.params.${i}`;
    let segments: (string | number)[];
    try {
      segments = parsePath(param.path);
    } catch (e) {
      errors.push({ path: `${at}.path`, message: (e as Error).message });
      return;
    }
    const canonical = segments.join('.');
    if (FORBIDDEN_SWEEP_ROOTS.has(String(segments[0]))) {
      errors.push({ path: `${at}.path`, message: `"${segments[0]}" cannot be swept` });
      return;
    }
    if (segments[0] === 'seed' && sweep.seeds) errors.push({ path: `${at}.path`, message: 'sweep the seed with sweep.seeds, not as a param' });
    if (paths.has(canonical)) errors.push({ path: `${at}.path`, message: `"${canonical}" is swept twice` });
    paths.add(canonical);
    param.values.forEach((value, j) => {
      let candidate: unknown;
      try {
        candidate = setPath(base, segments, value);
      } catch (e) {
        errors.push({ path: `${at}.path`, message: `${canonical}: ${(e as Error).message}` });
        return;
      }
      const result = parseBase(candidate);
      const unknownField = result.warnings.find((w) => isUnknownKeyWarning(w) && (w.path === canonical || canonical.startsWith(`${w.path}.`)));
      if (unknownField) {
        if (j === 0) errors.push({ path: `${at}.path`, message: `"${canonical}" is not a field of the experiment` });
        return;
      }
      if (!result.ok) {
        const first = result.errors[0]!;
        errors.push({ path: `${at}.values.${j}`, message: `${JSON.stringify(value)} for ${canonical}: ${first.path}: ${first.message}` });
      }
    });
  });
  return errors;
}

/** Validate an experiment (parsed JSON), filling defaults. Never throws. */
export function safeParseExperiment(input: unknown): ParseResult {
  // Every step below walks the document recursively: refuse hostile nesting before any of them.
  const depth = valueDepth(input, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) return { ok: false, errors: [{ path: '(root)', message: tooDeepMessage(depth) }], warnings: [] };
  const result = parseBase(input);
  if (!result.ok || !result.config.sweep) return result;
  // Count before checking values one by one (or expanding): a huge product is refused outright.
  const tooMany = sweepSizeIssue(result.config.sweep);
  if (tooMany) return { ok: false, errors: [tooMany], warnings: result.warnings };
  // The sweep's values are checked against the experiment they modify, minus the sweep itself.
  const base = structuredClone(result.config) as Partial<ExperimentConfig>;
  delete base.sweep;
  const errors = sweepIssues(result.config, base);
  return errors.length > 0 ? { ok: false, errors, warnings: result.warnings } : result;
}

/** Validate an experiment, filling defaults; throws ExperimentError listing every invalid field. */
export function parseExperiment(input: unknown): { config: ExperimentConfig; warnings: ExperimentIssue[] } {
  const result = safeParseExperiment(input);
  if (!result.ok) throw new ExperimentError(result.errors, result.warnings);
  return { config: result.config, warnings: result.warnings };
}

/** Parse experiment JSON text (a file, a textarea); a syntax error is an ExperimentError too. */
export function parseExperimentJson(text: string): { config: ExperimentConfig; warnings: ExperimentIssue[] } {
  const depth = jsonTextDepth(text);
  if (depth > MAX_JSON_DEPTH) throw new ExperimentError([{ path: '(root)', message: tooDeepMessage(depth) }]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ExperimentError([{ path: '(root)', message: `not valid JSON: ${(e as Error).message}` }]);
  }
  return parseExperiment(json);
}

/** The experiment every field's default describes. */
export function defaultExperiment(): ExperimentConfig {
  return parseExperiment({}).config;
}

// ── memory ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Vocabulary the memory check assumes: the pruned tokenizer of a dataset is not known when an
 * experiment is parsed (the engine README's figures use the same size). Callers that know the
 * dataset's vocabulary pass it to experimentMemoryIssues.
 */
export const NOMINAL_VOCAB_SIZE = 8192;
/** What a model's training may need when no device is known: more than any consumer GPU holds. */
export const MAX_TRAINING_MEMORY_BYTES = 24 * 2 ** 30;

/** What is known of the GPU a run will use (a GPUDevice's limits), and of its data. */
export interface MemoryLimits {
  /** Bytes one model's training may hold in total (default MAX_TRAINING_MEMORY_BYTES). */
  memoryBytes?: number;
  /** What that total is, for messages (e.g. "the WASM backend's memory"). */
  memoryOf?: string;
  /** The device's maxBufferSize / maxStorageBufferBindingSize: the largest single buffer. */
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** The dataset's pruned vocabulary (default NOMINAL_VOCAB_SIZE). */
  vocabSize?: number;
}

const formatBytes = (n: number) => (n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GiB` : `${Math.max(1, Math.round(n / 2 ** 20))} MiB`);

/**
 * Every model the experiment trains (the in-house teacher and each stage) against the engine's
 * training-memory estimate for its preset, batch and sequence length; with `limits` from a device,
 * also against its largest buffer. The error states the figures and what to lower.
 */
export function experimentMemoryIssues(config: ExperimentConfig, limits: MemoryLimits = {}): ExperimentIssue[] {
  const vocabSize = limits.vocabSize ?? NOMINAL_VOCAB_SIZE;
  const models: [string, string, ModelConfig, { batchSize: number; maxSeqLen: number }][] = [];
  // Pretrained models are sized from their folder's config.json when the run starts (pipeline.ts).
  const teacherDimensions = teacherDims(config.inHouseTeacher);
  if (teacherDimensions) models.push(['inHouseTeacher', `the in-house teacher (${modelLabel(config.inHouseTeacher)} decoder)`, decoderConfig(teacherDimensions, { vocabSize }), config.inHouseTeacher]);
  config.stages.forEach((stage, i) => {
    const dims = stageDims(stage);
    if (!dims) return;
    const model = stage.task === 'explain' ? decoderConfig(dims as DecoderDims, { vocabSize }) : encoderConfig(dims as EncoderDims, { vocabSize, numClasses: 3 });
    models.push([`stages.${i}`, `stage "${stage.id}" (${modelLabel(stage.student)} ${model.kind})`, model, stage]);
  });
  const issues: ExperimentIssue[] = [];
  models.forEach(([path, what, model, t]) => {
    const issue = modelMemoryIssue(what, model, t, limits);
    if (issue) issues.push({ path: `${path}.batchSize`, message: issue });
  });
  return issues;
}

/**
 * One model's training against the memory limits (estimate: nn/size.ts trainingMemoryEstimate;
 * `lora` when only the adapters train on a frozen base), or null when it fits. The message
 * states the figures and what to lower.
 */
export function modelMemoryIssue(what: string, model: ModelConfig, t: { batchSize: number; maxSeqLen: number }, limits: MemoryLimits = {}, opts: { lora?: LoraShape } = {}): string | null {
  const vocabSize = limits.vocabSize ?? NOMINAL_VOCAB_SIZE;
  const budget = limits.memoryBytes ?? MAX_TRAINING_MEMORY_BYTES;
  const maxBuffer = Math.min(limits.maxBufferSize ?? Infinity, limits.maxStorageBufferBindingSize ?? Infinity);
  const estimate = trainingMemoryEstimate(model, t.batchSize, t.maxSeqLen, opts);
  const shape = `batch ${t.batchSize} × ${t.maxSeqLen} tokens`;
  const assumed = limits.vocabSize === undefined ? `, assuming a vocabulary of ${vocabSize} tokens` : '';
  if (estimate.totalBytes > budget) {
    const fix = estimate.parameterBytes > budget ? (opts.lora === undefined ? 'its weights and optimizer state alone exceed it: train it with LoRA or pick a smaller model' : 'its weights alone exceed it: pick a smaller model') : 'lower batchSize or maxSeqLen';
    return (
      `${what} needs about ${formatBytes(estimate.totalBytes)} to train at ${shape} (${formatBytes(estimate.parameterBytes)} weights and optimizer state, ` +
      `${formatBytes(estimate.activationBytes)} activations${assumed}); the limit is ${formatBytes(budget)}${limits.memoryOf ? ` (${limits.memoryOf})` : ''}: ${fix}`
    );
  }
  if (estimate.largestBufferBytes > maxBuffer) {
    return `${what} needs one ${formatBytes(estimate.largestBufferBytes)} buffer at ${shape}${assumed}; this GPU's largest is ${formatBytes(maxBuffer)}: lower batchSize or maxSeqLen`;
  }
  return null;
}

// ── sweeps ─────────────────────────────────────────────────────────────────────────────────────

/** Runs one sweep may expand to: every run is a whole experiment, and all of them are listed at once. */
export const MAX_SWEEP_RUNS = 1000;

/** Runs a sweep expands to: the product of every param's value count, times the seeds. */
export function sweepRunCount(sweep: SweepConfig): number {
  return sweep.params.reduce((n, p) => n * p.values.length, 1) * (sweep.seeds?.length ?? 1);
}

function sweepSizeIssue(sweep: SweepConfig): ExperimentIssue | undefined {
  const runs = sweepRunCount(sweep);
  if (runs <= MAX_SWEEP_RUNS) return undefined;
  const factors = [...sweep.params.map((p) => p.values.length), ...(sweep.seeds ? [sweep.seeds.length] : [])];
  return {
    path: 'sweep',
    message: `the sweep expands to ${runs.toLocaleString('en-US')} runs (${factors.join(' × ')}); at most ${MAX_SWEEP_RUNS.toLocaleString('en-US')} are allowed: sweep fewer values or split it into several experiments`,
  };
}

export interface SweepRun {
  /** Filesystem- and URL-safe id, e.g. "divergence-tvd_seed-2". */
  id: string;
  /** The run's group: its assignments without the seed (runs to average over seeds). */
  group: string;
  /** Path → value of this run's swept parameters. */
  assignments: Record<string, unknown>;
  seed: number;
  /** A complete, valid experiment without a sweep; `name` is readable, e.g. "losses · divergence=tvd · seed=2". */
  config: ExperimentConfig;
}

function shortLabels(paths: string[]): string[] {
  const last = paths.map((p) => p.split('.').at(-1)!);
  return paths.map((p, i) => (last.filter((l) => l === last[i]).length > 1 ? p : last[i]!));
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

/**
 * Expand a sweep into its runs: the cartesian product of every param's values (the first param
 * varies slowest) times the seeds (innermost). Without a sweep, the experiment itself is the one
 * run. Throws ExperimentError when a combination of values is invalid (each value alone is
 * checked by parseExperiment).
 */
export function expandSweep(config: ExperimentConfig): SweepRun[] {
  const tooMany = config.sweep && sweepSizeIssue(config.sweep);
  if (tooMany) throw new ExperimentError([tooMany]);
  const base = structuredClone(config) as Partial<ExperimentConfig>;
  delete base.sweep;
  const sweep = config.sweep;
  const params = sweep?.params ?? [];
  const seeds = sweep?.seeds ?? [config.seed];
  const labels = shortLabels(params.map((p) => p.path));
  let combos: unknown[][] = [[]];
  for (const p of params) combos = combos.flatMap((combo) => p.values.map((v) => [...combo, v]));

  const runs: SweepRun[] = [];
  const errors: ExperimentIssue[] = [];
  for (const combo of combos) {
    const assignments: Record<string, unknown> = {};
    let candidate: unknown = base;
    params.forEach((p, i) => {
      assignments[p.path] = combo[i];
      candidate = setPath(candidate, p.path, combo[i]);
    });
    const parts = params.map((_, i) => `${labels[i]}=${typeof combo[i] === 'string' ? combo[i] : JSON.stringify(combo[i])}`);
    const group = parts.join(' · ');
    for (const seed of seeds) {
      const name = [config.name, ...parts, ...(sweep?.seeds ? [`seed=${seed}`] : [])].join(' · ').slice(0, 200);
      const result = parseBase({ ...(candidate as object), seed, name });
      if (!result.ok) {
        errors.push(...result.errors.map((e) => ({ path: e.path, message: `${group || 'run'}: ${e.message}` })));
        continue;
      }
      const id = [...parts.map(slug), ...(sweep?.seeds ? [`seed-${seed}`] : [])].join('_') || slug(config.name);
      runs.push({ id, group: group || config.name, assignments, seed, config: result.config });
    }
  }
  if (errors.length > 0) throw new ExperimentError(errors);
  return runs;
}

/** True when two experiments describe the same runs (defaults filled, key order ignored). */
export function sameExperiment(a: ExperimentConfig, b: ExperimentConfig): boolean {
  return deepEqual(experimentIdentity(a), experimentIdentity(b));
}

/** What makes an experiment itself: everything but where it runs (engine), which changes results only by rounding. */
export function experimentIdentity(config: ExperimentConfig): Omit<ExperimentConfig, 'engine'> {
  const { engine: _where, ...identity } = config;
  return identity;
}

// ── minimal form (share links, "diff only" views) ──────────────────────────────────────────────

/**
 * The smallest JSON that parses back to exactly `config`: every field equal to what its default
 * would give is dropped, `version` is always kept. Found by trying to drop each field (whole
 * objects first, then their fields) and keeping a drop only when re-parsing still gives the same
 * experiment — so defaults that depend on siblings (a dataset default holding `demo`, stage
 * defaults per task) are handled by the schema itself, not by a second copy of its rules.
 */
export function minimalExperiment(config: ExperimentConfig): Record<string, unknown> {
  const minimal = structuredClone(config) as Record<string, unknown>;
  const sweep = minimal.sweep;
  delete minimal.sweep; // sweep values are checked as a whole below; its fields have no defaults worth dropping
  const target = structuredClone(config) as Partial<ExperimentConfig>;
  delete target.sweep;
  const stillSame = () => {
    const result = parseBase(minimal);
    return result.ok && deepEqual(result.config, target);
  };
  const prune = (node: unknown, atRoot: boolean) => {
    if (Array.isArray(node)) {
      for (const item of node) prune(item, false);
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (atRoot && key === 'version') continue;
        const value = record[key];
        delete record[key];
        if (stillSame()) continue;
        record[key] = value;
        prune(value, false);
      }
    }
  };
  prune(minimal, true);
  if (sweep !== undefined) minimal.sweep = sweep;
  return minimal;
}
