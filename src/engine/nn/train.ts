// Training steps that stay on the GPU: forward, backward, optional clipping and the optimizer
// update are recorded into one command submission; the loss is read back only every N steps (a
// read waits for the GPU, everything else runs ahead of it). Everything a step allocates is
// released at its end, so live memory stays flat from one step to the next.
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { EngineError } from '../errors.ts';
import { gradNormScale, type AdamW } from '../optim.ts';
import { reshapeCopy, scale } from '../ops/elementwise.ts';

export interface TrainerOptions {
  /** Read the loss back every N steps (default 10); other steps return null. */
  readLossEvery?: number;
  /** Clip the global gradient norm to this value (on the GPU). */
  clipNorm?: number;
}

export interface StepResult {
  step: number;
  /** The step's loss, when it was read back. */
  loss: number | null;
}

export class Trainer {
  /** Steps taken so far. */
  steps = 0;
  private readonly readEvery: number;

  constructor(
    readonly engine: Engine,
    readonly params: readonly Tensor[],
    readonly optimizer: AdamW,
    private readonly opts: TrainerOptions = {},
  ) {
    this.readEvery = opts.readLossEvery ?? 10;
    if (!Number.isInteger(this.readEvery) || this.readEvery < 1) throw new EngineError(`readLossEvery must be a positive integer (got ${opts.readLossEvery})`);
  }

  /**
   * One step: `lossFn` builds the forward pass and returns a scalar loss. An array of loss
   * functions is gradient accumulation: each micro-batch runs forward and backward in its own
   * scope (its activations are freed before the next one), the losses are averaged, and the
   * optimizer updates once. `lr` overrides the optimizer's rate (schedules); `readLoss` forces a
   * readback on this step.
   */
  async step(lossFn: (() => Tensor) | readonly (() => Tensor)[], opts: { lr?: number; readLoss?: boolean } = {}): Promise<StepResult> {
    const engine = this.engine;
    const micro = typeof lossFn === 'function' ? [lossFn] : lossFn;
    if (micro.length === 0) throw new EngineError('Trainer.step: no loss function given');
    const step = ++this.steps;
    const read = opts.readLoss ?? step % this.readEvery === 0;
    let loss: Tensor | null = null;
    try {
      for (const fn of micro) {
        const l = engine.tidy(() => {
          const raw = fn();
          const part = micro.length === 1 ? raw : scale(raw, 1 / micro.length);
          engine.autograd.backward(part);
          return part;
        });
        if (!loss) loss = l;
        else {
          engine.addInPlace(loss, l);
          l.release();
        }
      }
      engine.tidy(() => {
        // Clipping: one pass for the norm, the coefficient applied inside the update.
        const clip = this.opts.clipNorm === undefined ? undefined : gradNormScale(this.params, this.opts.clipNorm);
        this.optimizer.step(opts.lr, clip?.coef);
      });
    } catch (e) {
      engine.autograd.clear();
      loss?.release();
      throw e;
    } finally {
      this.optimizer.zeroGrad();
    }
    try {
      if (!read) {
        engine.flush();
        return { step, loss: null };
      }
      return { step, loss: (await loss!.read())[0]! };
    } finally {
      loss!.release();
    }
  }
}

/** Mean loss of `lossFn` over batches without recording gradients (evaluation); one readback per batch. */
export async function evaluateLoss(engine: Engine, batches: Iterable<() => Tensor>): Promise<number> {
  let sum = 0;
  let n = 0;
  for (const fn of batches) {
    sum += await engine.autograd.noGrad(() => engine.tidy(async () => (await fn().read())[0]!));
    n++;
  }
  return n ? sum / n : NaN;
}

/** Right-padded next-token batch: inputs [B, T], targets [B·T] (input shifted left) and a mask [B·T] over real targets. */
export interface NextTokenBatch {
  inputIds: Tensor;
  targets: Tensor;
  mask: Tensor;
}

/**
 * Builds a next-token batch from token sequences. `lossFrom[b]` (default 0) excludes the targets
 * before it (e.g. the prompt, so only the response is learned).
 */
export function nextTokenBatch(engine: Engine, sequences: readonly (readonly number[])[], opts: { padTokenId?: number; lossFrom?: readonly number[] } = {}): NextTokenBatch {
  const B = sequences.length;
  const T = Math.max(...sequences.map((s) => s.length)) - 1;
  if (B === 0 || T < 1) throw new EngineError('nextTokenBatch: needs at least one sequence of two or more tokens');
  const ids = new Int32Array(B * T).fill(opts.padTokenId ?? 0);
  const targets = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  sequences.forEach((s, b) => {
    for (let t = 0; t < s.length - 1; t++) {
      ids[b * T + t] = s[t]!;
      targets[b * T + t] = s[t + 1]!;
      mask[b * T + t] = t + 1 >= (opts.lossFrom?.[b] ?? 0) ? 1 : 0;
    }
  });
  return { inputIds: engine.upload(ids, [B, T], 'i32'), targets: engine.upload(targets, [B * T], 'i32'), mask: engine.upload(mask, [B * T]) };
}

/** Logits [B, T, V] as the [B·T, V] rows the losses take. */
export function logitRows(logits: Tensor): Tensor {
  const V = logits.shape.at(-1)!;
  return reshapeCopy(logits, [logits.size / V, V]);
}
