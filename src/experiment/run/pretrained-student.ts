// A stage's student from a Hugging Face model folder (student.pretrained): config.json checked
// and the run's memory estimated before any weight is read; the Qwen-tokenizer check; the
// vocabulary pruned to the student's (each kept token keeps its pretrained embedding row);
// LoRA adapters on a frozen base, or every weight trained.
import type { Engine } from '../../engine/runtime.ts';
import { hfLoadPlan, type DecoderConfig, type EncoderConfig, type ModelConfig } from '../../engine/nn/config.ts';
import { loadCheckpoint, type AnyModel } from '../../engine/checkpoint.ts';
import { readModelFolder, type ModelFolder } from '../../engine/pretrained.ts';
import { parameterCount, loraParameterCount, trainingMemoryEstimate, type TrainingMemoryEstimate } from '../../engine/nn/size.ts';
import type { DecoderDims, EncoderDims } from '../../engine/presets.ts';
import { FIT_LABELS } from '../../data/schema.ts';
import { SPECIAL_IDS, type StudentTokenizer } from '../../data/vocab.ts';
import { MAX_TRAINING_MEMORY_BYTES, modelMemoryIssue, type MemoryLimits, type PretrainedStudentConfig, type StageConfig } from '../schema.ts';
import { RunError, type RunHost } from './host.ts';
import { LORA_TRAINABLE, loraModules, withLora } from './train.ts';

/** What results.json records of a pretrained student. */
export interface PretrainedInfo {
  source: string;
  /** config.json's model_type. */
  modelType: string;
  /** Parameters of the folder's model, and of the student after vocabulary pruning. */
  sourceParameters: number;
  parameters: number;
  /** Parameters that train: all of them, or LoRA's adapters (and an encoder's head). */
  trainableParameters: number;
  /** The estimate the run was checked against before anything was allocated. */
  memory: TrainingMemoryEstimate & { limitBytes: number };
  lora?: { rank: number; alpha: number; dropout: number; modules: string[] };
  /** Seconds to read the folder and build the model. */
  loadSeconds: number;
}

/** The memory a backend lets a training run hold: WASM's one memory (4 GiB), else what the schema assumes of a GPU. */
export function engineMemoryLimits(engine: Engine, vocabSize: number): MemoryLimits & { memoryBytes: number } {
  const { limits } = engine;
  return {
    vocabSize,
    maxBufferSize: limits.maxBufferSize,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    memoryBytes: limits.memoryBytes ?? MAX_TRAINING_MEMORY_BYTES,
    memoryOf: limits.memoryBytes !== undefined ? `the ${engine.kind === 'wasm' ? 'WASM backend' : 'backend'}'s memory` : 'assumed for a GPU: WebGPU does not report its memory',
  };
}

const decoder = new TextDecoder();

/**
 * Reads config.json (and tokenizer.json) alone and says what the student will be: its config with
 * the student vocabulary, the parameters that train and the memory estimate; refuses (RunError
 * naming the stage, the folder and the field) a folder of the wrong kind, a context shorter than
 * maxSeqLen, a tokenizer other than Qwen's, or a model that does not fit the backend. Nothing is
 * allocated. Before the run's vocabulary exists (`sizeOnly`), `tokenizer` is one without merged
 * tokens (only the control and byte tokens every student keeps are checked) and the memory is
 * estimated at the vocabulary's cap `size`.
 */
export async function planPretrainedStudent(engine: Engine, folder: ModelFolder, stage: StageConfig, student: PretrainedStudentConfig, vocab: { size: number; tokenizer: StudentTokenizer; sizeOnly?: boolean }) {
  const { source, lora } = student.pretrained;
  const where = `stage "${stage.id}": ${folder.label}`;
  if (!folder.names.includes('config.json')) throw new RunError(`${where} has no config.json: a model folder holds config.json, model.safetensors (or shards with model.safetensors.index.json) and tokenizer.json`);
  let json: Record<string, unknown>;
  let config: ModelConfig;
  try {
    json = JSON.parse(decoder.decode(await folder.read('config.json'))) as Record<string, unknown>;
    config = hfLoadPlan(json).config;
  } catch (e) {
    throw new RunError(`${where}: ${(e as Error).message}`);
  }
  const want = stage.task === 'explain' ? 'decoder' : 'encoder';
  const an = (w: string) => (/^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`);
  if (config.kind !== want) throw new RunError(`${where}: ${an(stage.task)} stage needs ${an(want)}, and this folder's config.json describes ${an(config.kind)} (model_type "${String(json.model_type)}")`);
  if (stage.maxSeqLen > config.maxPosition) throw new RunError(`${where}: maxSeqLen ${stage.maxSeqLen} exceeds the model's max_position_embeddings ${config.maxPosition}`);
  // The task codec speaks the student vocabulary, a pruned Qwen one: the model's rows are gathered
  // by Qwen id, which is only right when the model's tokenizer is Qwen's.
  if (!folder.names.includes('tokenizer.json')) throw new RunError(`${where} has no tokenizer.json: a pretrained student must use the Qwen tokenizer (Qwen2.5 / Qwen3), whose ids the student vocabulary keeps, and the folder's tokenizer.json is how that is checked`);
  let tokenizerJson: unknown;
  try {
    tokenizerJson = JSON.parse(decoder.decode(await folder.read('tokenizer.json')));
  } catch (e) {
    throw new RunError(`${where}/tokenizer.json is not valid JSON (${(e as Error).message})`);
  }
  const match = vocab.tokenizer.matchesTokenizerJson(tokenizerJson);
  if (!match.ok) throw new RunError(`${where}: its tokenizer is not the Qwen tokenizer the student vocabulary is pruned from (${match.reason}); only models with the Qwen tokenizer (Qwen2.5, Qwen3) can be students, as the task's text is encoded in that vocabulary`);
  const ids = vocab.tokenizer.qwenIds();
  const outside = ids.find((id) => id !== null && id >= config.vocabSize);
  if (outside !== undefined && outside !== null) throw new RunError(`${where}: the student vocabulary keeps Qwen id ${outside}, outside the model's vocab_size ${config.vocabSize}`);
  const keptIds = vocab.sizeOnly ? null : ids;
  const vocabSize = keptIds?.length ?? vocab.size;
  const pruned: ModelConfig =
    config.kind === 'decoder'
      ? ({ ...config, vocabSize, bosTokenId: SPECIAL_IDS.imStart, eosTokenId: SPECIAL_IDS.eos, padTokenId: SPECIAL_IDS.pad } satisfies DecoderConfig)
      : ({ ...config, vocabSize, numClasses: FIT_LABELS.length, labels: [...FIT_LABELS], padTokenId: SPECIAL_IDS.pad } satisfies EncoderConfig);
  const modules = lora ? loraModules(config.kind, lora.targets) : [];
  const parameters = parameterCount(pruned);
  const trainableParameters = lora ? loraParameterCount(pruned, modules, lora.rank, LORA_TRAINABLE[config.kind]) : parameters;
  const limits = engineMemoryLimits(engine, vocabSize);
  const opts = lora ? { lora: { modules, rank: lora.rank, trainable: LORA_TRAINABLE[config.kind] } } : {};
  const issue = modelMemoryIssue(`the student (${String(json.model_type)} from ${source}${lora ? `, LoRA r=${lora.rank}` : ', every weight trained'})`, pruned, stage, limits, opts);
  if (issue) throw new RunError(`${where}: ${issue}`);
  return {
    folder,
    /** The folder's config, its vocabulary pruned to the student's. */
    config: pruned,
    keptIds,
    info: {
      source,
      modelType: String(json.model_type),
      sourceParameters: parameterCount(config),
      parameters,
      trainableParameters,
      memory: { ...trainingMemoryEstimate(pruned, stage.batchSize, stage.maxSeqLen, opts), limitBytes: limits.memoryBytes },
      ...(lora ? { lora: { rank: lora.rank, alpha: lora.alpha, dropout: lora.dropout, modules } } : {}),
    },
  };
}

export type PretrainedPlan = Awaited<ReturnType<typeof planPretrainedStudent>>;

/** Reads the weights and builds the planned student (pruned, LoRA applied); errors name the folder and free what was taken. */
export async function buildPretrainedStudent(host: RunHost, plan: PretrainedPlan, stage: StageConfig, student: PretrainedStudentConfig, seed: number): Promise<{ model: AnyModel; info: PretrainedInfo }> {
  const t0 = host.now();
  const where = `stage "${stage.id}": ${plan.folder.label}`;
  const keptIds = plan.keptIds;
  if (!keptIds) throw new RunError(`${where}: the student is built after the run's vocabulary exists (plan it with the student tokenizer)`);
  let model: AnyModel;
  try {
    const files = await readModelFolder(plan.folder);
    const source = hfLoadPlan(files.config).config;
    // An encoder keeps its classifier only when it already predicts our three labels in our order.
    const ownHead = source.kind === 'encoder' && source.numClasses === FIT_LABELS.length && source.labels?.join() === FIT_LABELS.join();
    // Decoders: bos/eos renumber (pruneVocabulary) to the student's <|im_start|> and <|endoftext|>, as a preset decoder's.
    const config = source.kind === 'decoder' ? { ...files.config, bos_token_id: keptIds[SPECIAL_IDS.imStart], eos_token_id: keptIds[SPECIAL_IDS.eos] } : files.config;
    model = loadCheckpoint(host.engine, { config, tensors: files.tensors }, { vocabulary: keptIds, ...(source.kind === 'encoder' && !ownHead ? { newClassifier: { numClasses: FIT_LABELS.length, labels: [...FIT_LABELS], seed } } : {}) });
  } catch (e) {
    throw new RunError(`${where}: ${(e as Error).message}`);
  }
  try {
    withLora(model, student.pretrained.lora, seed);
  } catch (e) {
    model.release();
    throw new RunError(`${where}: ${(e as Error).message}`);
  }
  return { model, info: { ...plan.info, loadSeconds: (host.now() - t0) / 1000 } };
}

/** The student's dimensions as results.json reports a preset's. */
export function dimsOf(config: ModelConfig): DecoderDims | EncoderDims {
  const { hidden, layers, heads, intermediate, maxPosition } = config;
  return config.kind === 'decoder' ? { hidden, layers, heads, kvHeads: config.kvHeads, intermediate, maxPosition } : { hidden, layers, heads, intermediate, maxPosition };
}
