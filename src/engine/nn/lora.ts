// LoRA (Hu et al. 2021, as PEFT implements it): on each targeted Linear, y = x·Wᵀ + b + (α/r)·x·Aᵀ·Bᵀ
// with A [r, in] ~ U(±1/√in) (PEFT's kaiming-uniform default) and B [out, r] = 0, so training starts
// from the base model's outputs. Every other parameter is frozen (requiresGrad false) unless named
// in `trainable` (e.g. a new classification head). Merging folds W + (α/r)·B·A back into W.
import { mulberry32, nameSeed } from '../random.ts';
import { matmul } from '../ops/matmul.ts';
import { ConfigError } from './config.ts';
import { matchesModule } from './size.ts';
import type { Linear, Model } from './module.ts';
import { writeSafetensors, type NamedTensorData } from '../safetensors.ts';

export interface LoraSpec {
  rank: number;
  alpha: number;
  /** Module names or their last parts, as PEFT's target_modules: "q_proj", "Wqkv", "model.layers.0.mlp.Wi". */
  targets: readonly string[];
  /** Parameters that stay trainable besides the adapters (names or name prefixes, e.g. "classifier", "head"). */
  trainable?: readonly string[];
  /** Seeds A's initialisation and the dropout masks. */
  seed?: number;
  /** PEFT's lora_dropout: inverted dropout on each adapter's input while training (default 0). */
  dropout?: number;
}

/** Sensible targets per architecture: every attention and MLP projection. */
export const LORA_DEFAULT_TARGETS = {
  encoder: ['Wqkv', 'Wo', 'Wi'],
  decoder: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
} as const;

const matches = matchesModule;

/** Adds adapters to the targeted layers and freezes the rest; returns the adapted module names. */
export function applyLora(model: Model<unknown>, spec: LoraSpec): string[] {
  if (!Number.isInteger(spec.rank) || spec.rank < 1) throw new ConfigError(`LoRA rank must be a positive integer (got ${spec.rank})`);
  if (!(spec.alpha > 0)) throw new ConfigError(`LoRA alpha must be positive (got ${spec.alpha})`);
  const targets = [...model.linears.values()].filter((l) => matches(l.name, spec.targets));
  if (targets.length === 0) {
    throw new ConfigError(`LoRA targets [${spec.targets.join(', ')}] match no layer; layers are named like ${[...model.linears.keys()].slice(0, 4).join(', ')}`);
  }
  if (targets.some((l) => l.lora)) throw new ConfigError('this model already has LoRA adapters: merge them first');
  const p = spec.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new ConfigError(`LoRA dropout must be in [0, 1) (got ${spec.dropout})`);
  // One clock per model: setLoraStep moves every adapter's dropout masks to the next step.
  const clock = { step: 0 };
  for (const [name, t] of model.params) t.requiresGrad = matches(name, spec.trainable ?? []);
  const engine = model.engine;
  for (const l of targets) {
    const bound = 1 / Math.sqrt(l.inFeatures);
    const r = mulberry32(nameSeed(`${l.name}.lora_A`, spec.seed ?? 0));
    const a = Float32Array.from({ length: spec.rank * l.inFeatures }, () => (2 * r() - 1) * bound);
    const A = engine.upload(a, [spec.rank, l.inFeatures], 'f32', { isParam: true, requiresGrad: true, name: `${l.name}.lora_A.weight` });
    const B = engine.zeros([l.outFeatures, spec.rank], { isParam: true, requiresGrad: true, name: `${l.name}.lora_B.weight` });
    model.registerParameter(A.name!, A);
    model.registerParameter(B.name!, B);
    l.lora = { A, B, rank: spec.rank, alpha: spec.alpha, ...(p > 0 ? { dropout: { p, seed: nameSeed(`${l.name}.lora_dropout`, spec.seed ?? 0), clock } } : {}) };
  }
  return targets.map((l) => l.name);
}

/** Sets the training step whose dropout masks the adapters draw (train.ts calls it before each step). */
export function setLoraStep(model: Model<unknown>, step: number): void {
  for (const l of loraLayers(model)) if (l.lora!.dropout) l.lora!.dropout.clock.step = step;
}

/** Layers that carry an adapter. */
export function loraLayers(model: Model<unknown>): Linear[] {
  return [...model.linears.values()].filter((l) => l.lora);
}

/**
 * Folds every adapter into its base weight on the GPU (W += (α/r)·B·A), removes the adapters and
 * makes every parameter trainable again: the result is a plain model.
 */
export function mergeLora(model: Model<unknown>): void {
  const engine = model.engine;
  engine.autograd.noGrad(() =>
    engine.tidy(() => {
      for (const l of loraLayers(model)) {
        const { A, B, rank, alpha } = l.lora!;
        engine.addInPlace(l.weight, matmul(B, A), alpha / rank);
        l.lora = null;
        model.removeParameter(A.name!);
        model.removeParameter(B.name!);
      }
    }),
  );
  for (const t of model.params.values()) t.requiresGrad = true;
}

/** W + (α/r)·B·A on the host (saving a merged checkpoint without touching the live model). */
export function mergedWeight(weight: Float32Array, A: Float32Array, B: Float32Array, out: number, inF: number, rank: number, alpha: number): Float32Array {
  const merged = new Float32Array(weight.length);
  const s = alpha / rank;
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inF; i++) {
      let acc = 0;
      for (let k = 0; k < rank; k++) acc += B[o * rank + k]! * A[k * inF + i]!;
      merged[o * inF + i] = weight[o * inF + i]! + s * acc;
    }
  }
  return merged;
}

/** The adapters alone as a PEFT adapter (adapter_model.safetensors + adapter_config.json). */
export async function saveLoraAdapter(model: Model<unknown>, opts: { taskType?: 'CAUSAL_LM' | 'SEQ_CLS'; trainable?: readonly string[]; baseModel?: string } = {}): Promise<{ weights: Uint8Array; config: Record<string, unknown> }> {
  const layers = loraLayers(model);
  if (layers.length === 0) throw new ConfigError('this model has no LoRA adapters to save');
  const tensors = new Map<string, NamedTensorData>();
  for (const l of layers) {
    const { A, B } = l.lora!;
    tensors.set(`base_model.model.${l.name}.lora_A.weight`, { shape: [...A.shape], data: (await A.read()) as Float32Array });
    tensors.set(`base_model.model.${l.name}.lora_B.weight`, { shape: [...B.shape], data: (await B.read()) as Float32Array });
  }
  const saved = [...model.params].filter(([name, t]) => t.requiresGrad && !name.includes('.lora_') && matches(name, opts.trainable ?? []));
  for (const [name, t] of saved) tensors.set(`base_model.model.${name}`, { shape: [...t.shape], data: (await t.read()) as Float32Array });
  const { rank, alpha, dropout } = layers[0]!.lora!;
  return {
    weights: writeSafetensors(tensors, { format: 'pt' }),
    config: {
      peft_type: 'LORA',
      task_type: opts.taskType ?? null,
      r: rank,
      lora_alpha: alpha,
      lora_dropout: dropout?.p ?? 0,
      bias: 'none',
      fan_in_fan_out: false,
      target_modules: layers.map((l) => l.name),
      modules_to_save: opts.trainable?.length ? [...opts.trainable] : null,
      base_model_name_or_path: opts.baseModel ?? null,
    },
  };
}
