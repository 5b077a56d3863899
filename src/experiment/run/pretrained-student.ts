// A stage's student (student.pretrained) or the in-house teacher (inHouseTeacher.pretrained) from
// a Hugging Face model folder: config.json checked
// and the run's memory estimated before any weight is read; the Qwen-tokenizer check; the
// vocabulary pruned to the student's (each kept token keeps its pretrained embedding row);
// LoRA adapters on a frozen base, or every weight trained.
import type { Engine } from '../../engine/runtime.ts';
import { hfLoadPlan, type ModelConfig } from '../../engine/nn/config.ts';
import { loadCheckpoint, type AnyModel } from '../../engine/checkpoint.ts';
import { readModelFolder, type ModelFolder } from '../../engine/pretrained.ts';
import type { DecoderDims, EncoderDims } from '../../engine/presets.ts';
import { FIT_LABELS } from '../../data/schema.ts';
import { SPECIAL_IDS, type StudentTokenizer } from '../../data/vocab.ts';
import type { MemoryLimits, PretrainedConfig } from '../schema.ts';
import { describePretrained, GPU_LIMITS, type PretrainedDescription, type PretrainedUse } from '../pretrained-size.ts';
import { RunError, type RunHost } from './host.ts';
import { withLora } from './train.ts';

/** What results.json records of a pretrained student or teacher. */
export interface PretrainedInfo extends Omit<PretrainedDescription, 'config'> {
  source: string;
  /** Seconds to read the folder and build the model. */
  loadSeconds: number;
}

/** The memory a backend lets a training run hold: WASM's one memory (4 GiB), else what the schema assumes of a GPU. */
export function engineMemoryLimits(engine: Engine): MemoryLimits & { memoryBytes: number } {
  const { limits } = engine;
  return {
    maxBufferSize: limits.maxBufferSize,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    ...(limits.memoryBytes !== undefined ? { memoryBytes: limits.memoryBytes, memoryOf: `the ${engine.kind === 'wasm' ? 'WASM backend' : 'backend'}'s memory` } : GPU_LIMITS),
  };
}

const decoder = new TextDecoder();

/**
 * Reads config.json (and tokenizer.json) alone and says what the model will be: its config with
 * the student vocabulary, the parameters that train and the memory estimate; refuses (RunError
 * naming the stage or the teacher, the folder and the field) a folder of the wrong kind, a context shorter than
 * maxSeqLen, a tokenizer other than Qwen's, or a model that does not fit the backend. Nothing is
 * allocated. Before the run's vocabulary exists (`sizeOnly`), `tokenizer` is one without merged
 * tokens (only the control and byte tokens every student keeps are checked) and the memory is
 * estimated at the vocabulary's cap `size`.
 */
export async function planPretrained(engine: Engine, folder: ModelFolder, use: PretrainedUse, pretrained: PretrainedConfig, vocab: { size: number; tokenizer: StudentTokenizer; sizeOnly?: boolean }) {
  const where = `${use.name}: ${folder.label}`;
  if (!folder.names.includes('config.json')) throw new RunError(`${where} has no config.json: a model folder holds config.json, model.safetensors (or shards with model.safetensors.index.json) and tokenizer.json`);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(await folder.read('config.json')));
  } catch (e) {
    throw new RunError(`${where}/config.json is not valid JSON (${(e as Error).message})`);
  }
  const ids = vocab.tokenizer.qwenIds();
  const keptIds = vocab.sizeOnly ? null : ids;
  const described = describePretrained(json, use, pretrained, keptIds?.length ?? vocab.size, engineMemoryLimits(engine));
  if (!described.ok) throw new RunError(`${where}: ${described.problem}`);
  const { config, ...info } = described.description;
  // The task codec speaks the student vocabulary, a pruned Qwen one: the model's rows are gathered
  // by Qwen id, which is only right when the model's tokenizer is Qwen's.
  if (!folder.names.includes('tokenizer.json')) throw new RunError(`${where} has no tokenizer.json: a pretrained ${use.role} must use the Qwen tokenizer (Qwen2.5 / Qwen3), whose ids the student vocabulary keeps, and the folder's tokenizer.json is how that is checked`);
  let tokenizerJson: unknown;
  try {
    tokenizerJson = JSON.parse(decoder.decode(await folder.read('tokenizer.json')));
  } catch (e) {
    throw new RunError(`${where}/tokenizer.json is not valid JSON (${(e as Error).message})`);
  }
  const match = vocab.tokenizer.matchesTokenizerJson(tokenizerJson);
  if (!match.ok) throw new RunError(`${where}: its tokenizer is not the Qwen tokenizer the student vocabulary is pruned from (${match.reason}); only models with the Qwen tokenizer (Qwen2.5, Qwen3) can be ${use.role}s, as the task's text is encoded in that vocabulary`);
  const sourceVocab = hfLoadPlan(json as Record<string, unknown>).config.vocabSize;
  const outside = ids.find((id) => id !== null && id >= sourceVocab);
  if (outside !== undefined && outside !== null) throw new RunError(`${where}: the student vocabulary keeps Qwen id ${outside}, outside the model's vocab_size ${sourceVocab}`);
  return { folder, config, keptIds, info: { source: pretrained.source, ...info } };
}

export type PretrainedPlan = Awaited<ReturnType<typeof planPretrained>>;

/** Reads the weights and builds the planned model (pruned, LoRA applied); errors name the folder and free what was taken. */
export async function buildPretrained(host: Pick<RunHost, 'engine' | 'now'>, plan: PretrainedPlan, use: PretrainedUse, pretrained: PretrainedConfig, seed: number): Promise<{ model: AnyModel; info: PretrainedInfo }> {
  const t0 = host.now();
  const where = `${use.name}: ${plan.folder.label}`;
  const keptIds = plan.keptIds;
  if (!keptIds) throw new RunError(`${where}: the model is built after the run's vocabulary exists (plan it with the student tokenizer)`);
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
    withLora(model, pretrained.lora, seed);
  } catch (e) {
    model.release();
    throw new RunError(`${where}: ${(e as Error).message}`);
  }
  return { model, info: { ...plan.info, loadSeconds: (host.now() - t0) / 1000 } };
}

/** A pretrained model's dimensions as results.json reports a preset's. */
export function dimsOf(config: ModelConfig): DecoderDims | EncoderDims {
  const { hidden, layers, heads, intermediate, maxPosition } = config;
  return config.kind === 'decoder' ? { hidden, layers, heads, kvHeads: config.kvHeads, intermediate, maxPosition } : { hidden, layers, heads, intermediate, maxPosition };
}
