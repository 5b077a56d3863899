// Checkpoints in Hugging Face form: model.safetensors (F32, the models' own parameter names, which
// are Hugging Face's) plus config.json (ModernBertConfig / Qwen2Config keys, see README
// "Checkpoints"). Bytes and JSON are returned, never written: the browser stores them in
// IndexedDB, Node in files. Active LoRA adapters are merged into the saved weights on the host.
import type { Engine } from './runtime.ts';
import { readSafetensors, writeSafetensors, type NamedTensorData } from './safetensors.ts';
import { ConfigError, fromHfConfig, toHfConfig, type ModelConfig } from './nn/config.ts';
import { tensorsInit, type Model } from './nn/module.ts';
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

/** Builds the model a checkpoint describes, with its weights. Bad files give clear errors. */
export function loadCheckpoint(engine: Engine, checkpoint: Checkpoint): AnyModel {
  const config: ModelConfig = fromHfConfig(checkpoint.config);
  const { tensors } = readSafetensors(checkpoint.weights);
  if (config.kind === 'decoder') tensors.delete('lm_head.weight'); // tied to model.embed_tokens.weight
  const model = config.kind === 'encoder' ? new EncoderClassifier(engine, config, tensorsInit(tensors)) : new DecoderLM(engine, config, tensorsInit(tensors));
  const unused = [...tensors.keys()].filter((n) => !model.params.has(n));
  if (unused.length) {
    model.release();
    throw new ConfigError(`the checkpoint has tensors this ${config.kind} does not use: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}`);
  }
  return model;
}
