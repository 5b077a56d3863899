// Checkpoints in Hugging Face form: model.safetensors (F32, the models' own parameter names, which
// are Hugging Face's) plus config.json (ModernBertConfig / Qwen2Config keys, see README
// "Checkpoints"). Bytes and JSON are returned, never written: the browser stores them in
// IndexedDB, Node in files. Active LoRA adapters are merged into the saved weights on the host.
import type { Engine } from './runtime.ts';
import { readSafetensors, writeSafetensors, type NamedTensorData } from './safetensors.ts';
import { ConfigError, hfLoadPlan, toHfConfig, validateConfig, type ModelConfig } from './nn/config.ts';
import { pruneVocabulary, type ModelFiles } from './pretrained.ts';
import { seededInit, tensorsInit, type Initializer, type Model } from './nn/module.ts';
import { EncoderClassifier } from './nn/encoder.ts';
import { DecoderLM } from './nn/decoder.ts';
import { mergedWeight } from './nn/lora.ts';

export interface Checkpoint {
  /** model.safetensors */
  weights: Uint8Array;
  /** config.json */
  config: Record<string, unknown>;
}

export type AnyModel = EncoderClassifier | DecoderLM;

/** Reads every parameter back from the GPU, LoRA adapters merged, under Hugging Face names. */
export async function modelTensors(model: Model<unknown>): Promise<Map<string, NamedTensorData>> {
  const out = new Map<string, NamedTensorData>();
  const adapted = new Map([...model.linears.values()].filter((l) => l.lora).map((l) => [`${l.name}.weight`, l]));
  for (const { name, tensor } of model.parameters()) {
    if (name.includes('.lora_A.') || name.includes('.lora_B.')) continue;
    let data = (await tensor.read()) as Float32Array;
    const l = adapted.get(name);
    if (l) {
      const { A, B, rank, alpha } = l.lora!;
      data = mergedWeight(data, (await A.read()) as Float32Array, (await B.read()) as Float32Array, l.outFeatures, l.inFeatures, rank, alpha);
    }
    out.set(name, { shape: [...tensor.shape], data });
  }
  return out;
}

export async function saveCheckpoint(model: AnyModel, metadata: Record<string, string> = {}): Promise<Checkpoint> {
  const tensors = await modelTensors(model);
  // "format: pt" is what transformers' loader expects in the safetensors metadata.
  return { weights: writeSafetensors(tensors, { format: 'pt', ...metadata }), config: toHfConfig(model.config) };
}

export interface LoadOptions {
  /**
   * Prune the vocabulary on load (pretrained.ts pruneVocabulary): new id i is the model's row
   * vocabulary[i] (null: the mean row), so a pretrained model keeps only a student vocabulary's rows.
   */
  vocabulary?: readonly (number | null)[];
  /**
   * Encoders: start a new classification head of `numClasses` (a pretrained ModernBertForMaskedLM /
   * ModernBertModel has none, or one for other labels): classifier.{weight,bias} are seeded
   * (seededInit(seed), std 0.02, bias 0) and so are head.* when the file has none; the masked-LM
   * decoder.bias and a file's own classifier are left unused.
   */
  newClassifier?: { numClasses: number; labels?: string[]; seed?: number };
}

const MLM_ONLY = new Set(['decoder.bias', 'decoder.weight']);

/**
 * Builds the model a checkpoint describes, with its weights: our own checkpoint ({weights,
 * config}) or a Hugging Face folder read by readModelFolder ({tensors, config}). Bad files give
 * clear errors and leave the engine as it was (a half-built model frees what it took).
 */
export function loadCheckpoint(engine: Engine, checkpoint: Checkpoint | Pick<ModelFiles, 'config' | 'tensors'>, opts: LoadOptions = {}): AnyModel {
  const plan = hfLoadPlan(checkpoint.config);
  let config: ModelConfig = plan.config;
  let tensors = 'tensors' in checkpoint ? new Map(checkpoint.tensors) : readSafetensors(checkpoint.weights).tensors;
  for (const name of [...tensors.keys()]) if (plan.ignored(name)) tensors.delete(name);
  let fresh: ((name: string) => boolean) | null = null;
  if (opts.newClassifier) {
    if (config.kind !== 'encoder') throw new ConfigError('newClassifier is for encoder classifiers; this checkpoint is a decoder');
    const { numClasses, labels } = opts.newClassifier;
    config = { ...config, numClasses, ...(labels ? { labels } : {}) };
    if (!labels) delete (config as { labels?: string[] }).labels;
    validateConfig(config);
    for (const name of [...tensors.keys()]) if (MLM_ONLY.has(name) || name.startsWith('classifier.')) tensors.delete(name);
    const hasHead = [...tensors.keys()].some((n) => n.startsWith('head.'));
    fresh = (name) => name.startsWith('classifier.') || (!hasHead && name.startsWith('head.'));
  }
  if (opts.vocabulary) ({ config, tensors } = pruneVocabulary(config, tensors, opts.vocabulary));
  const init = tensorsInit(tensors);
  const seeded = seededInit(opts.newClassifier?.seed ?? 0);
  const initOrZeros: Initializer = (name, shape, kind) => {
    if (fresh?.(name)) return seeded(name, shape, kind);
    if (!tensors.has(name) && plan.zeroIfAbsent(name)) return new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (!tensors.has(name) && config.kind === 'encoder' && name.startsWith('classifier.')) {
      throw new ConfigError(`the checkpoint has no tensor "${name}": it has no classification head (a ModernBertForMaskedLM or ModernBertModel checkpoint?); load it with newClassifier: {numClasses} to start one`);
    }
    return init(name, shape, kind);
  };
  const model = config.kind === 'encoder' ? new EncoderClassifier(engine, config, initOrZeros) : new DecoderLM(engine, config, initOrZeros);
  const unused = [...tensors.keys()].filter((n) => !model.params.has(n));
  if (unused.length) {
    model.release();
    const mlm = config.kind === 'encoder' && unused.some((n) => MLM_ONLY.has(n)) ? ' (a masked-LM head: load it with newClassifier to start a classifier)' : '';
    throw new ConfigError(`the checkpoint has tensors this ${config.kind} does not use: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}${mlm}`);
  }
  return model;
}
