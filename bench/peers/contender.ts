// What every contender of the peer race (ours, jax-js, TF.js) provides. Preparing a workload
// also runs it once (pipeline compilation, jit tracing) and returns its answer for the
// cross-check; `run(reps)` then repeats it back to back and resolves when the GPU is done.
import type { MatmulCase, TrainingCase } from './workloads.ts';

export interface Prepared<Answer> {
  /** The answer of the warm-up run, compared across contenders. */
  answer: Answer;
  /** Runs the workload `reps` times and waits for the GPU to finish them. */
  run(reps: number): Promise<void>;
  dispose(): void;
}

/** Initial weights by Hugging Face name, [out, in] for linear layers (our models' layout). */
export type Weights = Map<string, { shape: number[]; data: Float32Array }>;

export interface Contender {
  /** Short name for the table. */
  name: string;
  /** Library, version and mode. */
  detail: string;
  /** a [batch, m, k] · b [batch, k, n] → the product. */
  matmul(c: MatmulCase, a: Float32Array, b: Float32Array): Promise<Prepared<Float32Array>>;
  /**
   * One forward + backward + AdamW step of the model from `weights` on a fixed batch; the answer
   * is the loss of the first two steps (initial weights, then after one update).
   */
  training(c: TrainingCase, weights: Weights): Promise<Prepared<[number, number]>>;
  /** x + y on 4 floats, read back: the round trip of one tiny op. */
  tinyOp(): Promise<Prepared<Float32Array>>;
  /** `length` dependent tiny adds, one readback at the end: the cost per op in a chain. */
  tinyChain(length: number): Promise<Prepared<Float32Array>>;
  destroy(): Promise<void> | void;
}

/** Inputs of the tiny-op rows: x = [1, 2, 3, 4], y = [0.5, 0.25, 0.125, 0.0625]. */
export const TINY_X = Float32Array.of(1, 2, 3, 4);
export const TINY_Y = Float32Array.of(0.5, 0.25, 0.125, 0.0625);

/** The exact answer of a chain of `length` adds of y to x. */
export function tinyChainAnswer(length: number): Float32Array {
  return TINY_X.map((x, i) => x + length * TINY_Y[i]!);
}

/** A workload run one awaited call at a time (round trips): the warm-up call gives the answer. */
export async function sequential(once: () => Promise<Float32Array>, dispose: () => void): Promise<Prepared<Float32Array>> {
  const answer = await once();
  return {
    answer,
    async run(reps) {
      for (let i = 0; i < reps; i++) await once();
    },
    dispose,
  };
}
