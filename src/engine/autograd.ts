// Reverse-mode autograd as a tape: ops record a backward closure during forward; backward()
// replays the tape in reverse. Parameter gradients accumulate in param.grad across backward calls
// (gradient accumulation) until the optimizer zeroes them.
import type { Engine } from './runtime.ts';
import type { Tensor } from './tensor.ts';
import { EngineError } from './errors.ts';
import { addInPlace, copyOf } from './ops/elementwise.ts';

/** Given the gradients of an op's outputs (null where none flowed), returns its inputs' gradients. */
export type BackwardFn = (outputGrads: (Tensor | null)[]) => (Tensor | null)[];

interface TapeEntry {
  inputs: Tensor[];
  outputs: Tensor[];
  backward: BackwardFn;
}

export class Autograd {
  private tape: TapeEntry[] = [];
  private gradDepth = 0; // > 0 inside noGrad

  constructor(private readonly engine: Engine) {}

  get enabled(): boolean {
    return this.gradDepth === 0;
  }

  /** Runs fn without recording (evaluation, teacher forward passes). */
  noGrad<T>(fn: () => T): T {
    this.gradDepth++;
    try {
      const r = fn();
      if (r instanceof Promise) return r.finally(() => this.gradDepth--) as T;
      this.gradDepth--;
      return r;
    } catch (e) {
      this.gradDepth--;
      throw e;
    }
  }

  /** Whether an op over these inputs must be recorded. */
  needsGrad(inputs: readonly Tensor[]): boolean {
    return this.enabled && inputs.some((t) => t.requiresGrad);
  }

  /** Records an op; its outputs then require grad. Call only when needsGrad(inputs). */
  record(inputs: Tensor[], outputs: Tensor[], backward: BackwardFn): void {
    for (const o of outputs) o.requiresGrad = true;
    this.tape.push({ inputs, outputs, backward });
  }

  get tapeLength(): number {
    return this.tape.length;
  }

  /** Drops the tape without running it (e.g. after an evaluation forward that recorded). */
  clear(): void {
    this.tape = [];
  }

  /**
   * Backpropagates from `root` (a scalar loss unless `rootGrad` is given). Parameter gradients are
   * added to param.grad; intermediate gradients are released as soon as they are consumed.
   */
  backward(root: Tensor, rootGrad?: Tensor): void {
    if (!root.requiresGrad) throw new EngineError('backward: the loss does not depend on any tensor that requires grad');
    if (!rootGrad && root.size !== 1) throw new EngineError(`backward: the loss must be a scalar, got shape [${root.shape.join(', ')}]`);
    const engine = this.engine;
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, rootGrad ?? engine.full(root.shape, 1));
    const tape = this.tape;
    this.tape = [];
    this.gradDepth++; // backward kernels are never recorded
    try {
      for (let i = tape.length - 1; i >= 0; i--) {
        const entry = tape[i]!;
        const outGrads = entry.outputs.map((o) => grads.get(o) ?? null);
        if (outGrads.every((g) => g === null)) continue;
        const inGrads = entry.backward(outGrads);
        // A backward may pass an output gradient straight through (e.g. add): such a tensor is
        // handed on, not released, and copied when it goes to a second input.
        const passed = new Set(inGrads.filter((g): g is Tensor => g !== null));
        for (const o of entry.outputs) {
          const g = grads.get(o);
          if (g && g !== rootGrad && !passed.has(g)) g.release();
          grads.delete(o);
        }
        const handedOut = new Set<Tensor>();
        entry.inputs.forEach((input, j) => {
          let g = inGrads[j];
          if (!g) return;
          if (handedOut.has(g) || g === rootGrad) g = copyOf(engine, g);
          handedOut.add(g);
          if (!input.requiresGrad) {
            g.release();
            return;
          }
          if (input.isParam) accumulateInto(engine, input, g);
          else {
            const prev = grads.get(input);
            if (prev) {
              addInPlace(engine, prev, g);
              g.release();
            } else grads.set(input, g);
          }
        });
      }
    } finally {
      this.gradDepth--;
      for (const [t, g] of grads) if (!t.isParam && g !== rootGrad) g.release();
    }
  }
}

function accumulateInto(engine: Engine, param: Tensor, g: Tensor): void {
  if (param.grad) {
    addInPlace(engine, param.grad, g);
    g.release();
  } else {
    engine.untrack(g);
    param.grad = g;
  }
}
