// Reverse-mode autograd as a tape: ops record a backward closure during forward; backward()
// replays the tape in reverse. Parameter gradients accumulate in param.grad across backward calls
// (gradient accumulation) until the optimizer zeroes them.
import type { Engine } from './runtime.ts';
import type { Tensor } from './tensor.ts';
import { EngineError } from './errors.ts';

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
        // Gradients nobody keeps are released only after every input was served: one tensor may
        // go to several inputs (pass-through), and a later one copies it.
        const consumed = new Set<Tensor>();
        const stored = new Set<Tensor>();
        entry.inputs.forEach((input, j) => {
          let g = inGrads[j];
          if (!g) return;
          if (!input.requiresGrad) {
            consumed.add(g);
            return;
          }
          if (handedOut.has(g) || g === rootGrad) g = engine.clone(g);
          handedOut.add(g);
          if (input.isParam) {
            if (accumulateInto(engine, input, g)) consumed.add(g);
            else stored.add(g);
          } else {
            const prev = grads.get(input);
            if (prev) {
              engine.addInPlace(prev, g);
              consumed.add(g);
            } else {
              grads.set(input, g);
              stored.add(g);
            }
          }
        });
        for (const g of consumed) if (g !== rootGrad && !stored.has(g)) g.release();
      }
    } finally {
      this.gradDepth--;
      for (const [t, g] of grads) if (!t.isParam && g !== rootGrad) g.release();
    }
  }
}

/** Adds g into param.grad (true: g was consumed) or makes g the gradient (false: g is kept). */
function accumulateInto(engine: Engine, param: Tensor, g: Tensor): boolean {
  if (param.grad) {
    engine.addInPlace(param.grad, g);
    return true;
  }
  engine.untrack(g);
  param.grad = g;
  return false;
}
