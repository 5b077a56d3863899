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
   *
   * Ownership: autograd owns every gradient it holds (the `grads` map, one tensor per tensor that
   * needs one) and every tensor a backward closure returns, fresh or passed straight through from
   * an output gradient (add returns its output's gradient for both inputs). Each input is given a
   * tensor of its own: the first input a returned tensor goes to takes it, a second one (and the
   * caller's rootGrad, which autograd never owns) gets a copy. An input keeps what it is given
   * when it has no gradient yet, and otherwise adds it into the one it has. Once every input of
   * an entry is served, whatever is held by no one (the outputs' gradients, added or unused
   * returns) is released.
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
        for (const o of entry.outputs) grads.delete(o);
        const inGrads = entry.backward(outGrads);
        const handed = new Set<Tensor>(); // returned tensors already given to an input
        const held = new Set<Tensor>(); // given tensors an input now keeps
        entry.inputs.forEach((input, j) => {
          let g = inGrads[j];
          if (!g || !input.requiresGrad) return;
          if (handed.has(g) || g === rootGrad) g = engine.clone(g);
          handed.add(g);
          if (giveGradient(engine, input, g, grads)) held.add(g);
        });
        for (const g of new Set([...outGrads, ...inGrads, ...handed])) if (g && g !== rootGrad && !held.has(g)) g.release();
      }
    } finally {
      this.gradDepth--;
      for (const [t, g] of grads) if (!t.isParam && g !== rootGrad) g.release();
    }
  }
}

/**
 * Gives input its gradient g: input keeps g when it has no gradient yet (true; a parameter's moves
 * to param.grad, out of every scope), else g is added into the one it has (false: g is free).
 */
function giveGradient(engine: Engine, input: Tensor, g: Tensor, grads: Map<Tensor, Tensor>): boolean {
  const current = input.isParam ? input.grad : grads.get(input);
  if (current) {
    engine.addInPlace(current, g);
    return false;
  }
  if (input.isParam) {
    engine.untrack(g);
    input.grad = g;
  } else {
    grads.set(input, g);
  }
  return true;
}
