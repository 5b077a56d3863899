// What a pretrained student will be, from its folder's config.json alone (no engine, no weights):
// the model type, its config with the student vocabulary, the parameters that train, and the
// memory its training needs against a backend's limits. The run (run/pretrained-student.ts)
// refuses with these words before anything is allocated; the studio shows them before a run.
import { hfLoadPlan, type DecoderConfig, type EncoderConfig, type ModelConfig } from '../engine/nn/config.ts';
import { loraParameterCount, parameterCount, trainingMemoryEstimate, type TrainingMemoryEstimate } from '../engine/nn/size.ts';
import { WASM_MEMORY_BYTES } from '../engine/backend.ts';
import { FIT_LABELS } from '../data/schema.ts';
import { SPECIAL_IDS } from '../data/vocab.ts';
import { LORA_TARGETS, MAX_TRAINING_MEMORY_BYTES, modelMemoryIssue, type InHouseTeacherConfig, type MemoryLimits, type PretrainedConfig, type StageConfig } from './schema.ts';

/**
 * What a model folder is loaded as: a stage's student, or the in-house teacher (a decoder that
 * writes explanations); its task, and the batch and length it trains at.
 */
export interface PretrainedUse {
  role: 'student' | 'teacher';
  /** Who it is, for messages: 'stage "explainer"', 'the in-house teacher'. */
  name: string;
  task: StageConfig['task'];
  batchSize: number;
  maxSeqLen: number;
}

export const stageUse = (stage: StageConfig): PretrainedUse => ({ role: 'student', name: `stage "${stage.id}"`, task: stage.task, batchSize: stage.batchSize, maxSeqLen: stage.maxSeqLen });
export const teacherUse = (teacher: InHouseTeacherConfig): PretrainedUse => ({ role: 'teacher', name: 'the in-house teacher', task: 'explain', batchSize: teacher.batchSize, maxSeqLen: teacher.maxSeqLen });

/** Schema LoRA targets → module names of each architecture (PEFT's target_modules). */
export const LORA_MODULES: Record<ModelConfig['kind'], Record<(typeof LORA_TARGETS)[number], string>> = {
  decoder: { q: 'q_proj', k: 'k_proj', v: 'v_proj', o: 'o_proj', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' },
  encoder: { q: 'attn.Wqkv', k: 'attn.Wqkv', v: 'attn.Wqkv', o: 'attn.Wo', gate: 'mlp.Wi', up: 'mlp.Wi', down: 'mlp.Wo' },
};

/** The schema's LoRA targets as module names of this architecture. */
export function loraModules(kind: ModelConfig['kind'], targets: readonly (typeof LORA_TARGETS)[number][]): string[] {
  const names = LORA_MODULES[kind];
  return [...new Set(targets.map((t) => names[t]))];
}

/** Besides the adapters, what trains under LoRA: an encoder's classification head (new for this task). */
export const LORA_TRAINABLE: Record<ModelConfig['kind'], readonly string[]> = { encoder: ['head', 'classifier'], decoder: [] };

/** Memory limits the studio checks a pretrained student against before it knows the backend. */
export const WASM_LIMITS = { memoryBytes: WASM_MEMORY_BYTES, memoryOf: "the WASM backend's memory" } as const satisfies MemoryLimits;
export const GPU_LIMITS = { memoryBytes: MAX_TRAINING_MEMORY_BYTES, memoryOf: 'assumed for a GPU: WebGPU does not report its memory' } as const satisfies MemoryLimits;

export interface PretrainedDescription {
  /** config.json's model_type. */
  modelType: string;
  /** The folder's config with the student vocabulary (and, for an encoder, the three fit labels). */
  config: ModelConfig;
  /** Parameters of the folder's model, and of the student after vocabulary pruning. */
  sourceParameters: number;
  parameters: number;
  /** Parameters that train: all of them, or LoRA's adapters (and an encoder's head). */
  trainableParameters: number;
  memory: TrainingMemoryEstimate & { limitBytes: number };
  lora?: { rank: number; alpha: number; dropout: number; modules: string[] };
}

const article = (w: string) => (/^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`);

/**
 * The model a folder's config.json gives this use (a stage's student, the in-house teacher) at a
 * vocabulary of `vocabSize`, or the problem that stops it: config.json the engine cannot load
 * exactly (hfLoadPlan's refusal), the wrong kind for the task, a context shorter than maxSeqLen,
 * or training that does not fit `limits`.
 */
export function describePretrained(json: unknown, use: PretrainedUse, pretrained: PretrainedConfig, vocabSize: number, limits: MemoryLimits & { memoryBytes: number }): { ok: true; description: PretrainedDescription } | { ok: false; problem: string } {
  const { source, lora } = pretrained;
  let config: ModelConfig;
  try {
    config = hfLoadPlan(json as Record<string, unknown>).config;
  } catch (e) {
    return { ok: false, problem: (e as Error).message };
  }
  const modelType = String((json as { model_type?: unknown }).model_type);
  const want = use.task === 'explain' ? 'decoder' : 'encoder';
  const needer = use.role === 'teacher' ? use.name : `${article(use.task)} stage`;
  if (config.kind !== want) return { ok: false, problem: `${needer} needs ${article(want)}, and this folder's config.json describes ${article(config.kind)} (model_type "${modelType}")` };
  if (use.maxSeqLen > config.maxPosition) return { ok: false, problem: `maxSeqLen ${use.maxSeqLen} exceeds the model's max_position_embeddings ${config.maxPosition}` };
  const pruned: ModelConfig =
    config.kind === 'decoder'
      ? ({ ...config, vocabSize, bosTokenId: SPECIAL_IDS.imStart, eosTokenId: SPECIAL_IDS.eos, padTokenId: SPECIAL_IDS.pad } satisfies DecoderConfig)
      : ({ ...config, vocabSize, numClasses: FIT_LABELS.length, labels: [...FIT_LABELS], padTokenId: SPECIAL_IDS.pad } satisfies EncoderConfig);
  const modules = lora ? loraModules(config.kind, lora.targets) : [];
  const parameters = parameterCount(pruned);
  const trainableParameters = lora ? loraParameterCount(pruned, modules, lora.rank, LORA_TRAINABLE[config.kind]) : parameters;
  const opts = lora ? { lora: { modules, rank: lora.rank, trainable: LORA_TRAINABLE[config.kind] } } : {};
  const issue = modelMemoryIssue(`the ${use.role} (${modelType} from ${source}${lora ? `, LoRA r=${lora.rank}` : ', every weight trained'})`, pruned, use, { ...limits, vocabSize }, opts);
  if (issue) return { ok: false, problem: issue };
  return {
    ok: true,
    description: {
      modelType,
      config: pruned,
      sourceParameters: parameterCount(config),
      parameters,
      trainableParameters,
      memory: { ...trainingMemoryEstimate(pruned, use.batchSize, use.maxSeqLen, opts), limitBytes: limits.memoryBytes },
      ...(lora ? { lora: { rank: lora.rank, alpha: lora.alpha, dropout: lora.dropout, modules } } : {}),
    },
  };
}
