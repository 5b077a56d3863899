// The module base: a model owns named parameters (Hugging Face names, so checkpoints need no
// renaming) and its Linear layers. Initial values come from an Initializer: seeded random
// (deterministic per seed and parameter name) or the tensors of a checkpoint.
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { deriveSeed, nameSeed, randn } from '../random.ts';
import { dropout } from '../ops/dropout.ts';
import { ConfigError } from './config.ts';
import { linear } from '../ops/matmul.ts';
import { add, scale } from '../ops/elementwise.ts';

export type InitKind = 'normal' | 'ones' | 'zeros';
/** Returns a parameter's initial values (row-major, f32). */
export type Initializer = (name: string, shape: readonly number[], kind: InitKind) => Float32Array;

/** Normal(0, std) weights, ones for norm scales, zeros for biases; each parameter's stream depends only on (seed, name). */
export function seededInit(seed: number, std = 0.02): Initializer {
  return (name, shape, kind) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (kind === 'ones') return new Float32Array(n).fill(1);
    if (kind === 'zeros') return new Float32Array(n);
    return Float32Array.from(randn(n, nameSeed(name, seed), std));
  };
}

/** Values from named tensors (a checkpoint); a missing name or a wrong shape is a clear error. */
export function tensorsInit(tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): Initializer {
  return (name, shape) => {
    const t = tensors.get(name);
    if (!t) throw new ConfigError(`the checkpoint has no tensor "${name}"`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`checkpoint tensor "${name}" has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
    }
    return t.data;
  };
}

/** A LoRA adapter on a Linear: y += (alpha / rank) · dropout(x)·Aᵀ·Bᵀ, A [rank, in], B [out, rank]. */
export interface LoraAdapter {
  A: Tensor;
  B: Tensor;
  rank: number;
  alpha: number;
  /**
   * PEFT's lora_dropout on the adapter's input, only while gradients are recorded (training): the
   * mask of training step `clock.step` is seeded by (seed, step), so a resumed run draws the masks
   * the uninterrupted one drew. Absent or p = 0: no dropout.
   */
  dropout?: { p: number; seed: number; clock: { step: number } };
}

/** x·Wᵀ + b in Hugging Face layout (weight [out, in]), with an optional LoRA adapter. */
export class Linear {
  lora: LoraAdapter | null = null;

  constructor(
    /** The module path, e.g. "model.layers.0.self_attn.q_proj"; parameters are NAME.weight / NAME.bias. */
    readonly name: string,
    public weight: Tensor,
    public bias: Tensor | null,
  ) {}

  get inFeatures(): number {
    return this.weight.shape[1]!;
  }

  get outFeatures(): number {
    return this.weight.shape[0]!;
  }

  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias ?? undefined);
    if (!this.lora) return y;
    const { A, B, rank, alpha, dropout: drop } = this.lora;
    const input = drop && drop.p > 0 && x.engine.autograd.enabled ? dropout(x, drop.p, deriveSeed(drop.seed, drop.clock.step)) : x;
    return add(y, scale(linear(linear(input, A), B), alpha / rank));
  }
}

export interface NamedParameter {
  name: string;
  tensor: Tensor;
}

export abstract class Model<C> {
  /** Every parameter by Hugging Face name (LoRA adapters as NAME.lora_A.weight / NAME.lora_B.weight). */
  readonly params = new Map<string, Tensor>();
  /** Every Linear layer by module path (LoRA targets). */
  readonly linears = new Map<string, Linear>();

  protected constructor(
    readonly engine: Engine,
    readonly config: C,
    private readonly init: Initializer,
  ) {}

  /** Parameters in creation order, named. */
  parameters(): NamedParameter[] {
    return [...this.params].map(([name, tensor]) => ({ name, tensor }));
  }

  /** The tensors an optimizer updates (requiresGrad). */
  trainableParameters(): Tensor[] {
    return [...this.params.values()].filter((t) => t.requiresGrad);
  }

  parameterCount(): number {
    let n = 0;
    for (const t of this.params.values()) n += t.size;
    return n;
  }

  /** Releases every parameter (and its gradient). */
  release(): void {
    for (const t of this.params.values()) t.release();
    this.params.clear();
    this.linears.clear();
  }

  /** Adds a parameter created elsewhere (LoRA adapters). */
  registerParameter(name: string, tensor: Tensor): void {
    if (this.params.has(name)) throw new ConfigError(`parameter "${name}" defined twice`);
    this.params.set(name, tensor);
  }

  /** Forgets and releases a parameter (merged LoRA adapters). */
  removeParameter(name: string): void {
    this.params.get(name)?.release();
    this.params.delete(name);
  }

  protected param(name: string, shape: number[], kind: InitKind): Tensor {
    if (this.params.has(name)) throw new ConfigError(`parameter "${name}" defined twice`);
    let data: Float32Array;
    try {
      data = this.init(name, shape, kind);
    } catch (e) {
      this.release(); // a half-built model frees what it already holds
      throw e;
    }
    const t = this.engine.upload(data, shape, 'f32', { isParam: true, requiresGrad: true, name });
    this.params.set(name, t);
    return t;
  }

  protected linear(name: string, inFeatures: number, outFeatures: number, bias: boolean): Linear {
    const l = new Linear(name, this.param(`${name}.weight`, [outFeatures, inFeatures], 'normal'), bias ? this.param(`${name}.bias`, [outFeatures], 'zeros') : null);
    this.linears.set(name, l);
    return l;
  }
}
