// Picking the next token from one row of logits: greedy (temperature 0), temperature, nucleus
// (top-p). Runs on the host on the one row generation reads back per step; `random` is a seeded
// stream (random.ts mulberry32) so a seed reproduces a generation.
import { EngineError } from '../errors.ts';

export interface SamplingOptions {
  /** 0 (default) = greedy; otherwise logits are divided by it before sampling. */
  temperature?: number;
  /** Nucleus sampling: keep the most likely tokens whose probabilities add up to topP (default 1). */
  topP?: number;
}

export function validateSampling(opts: SamplingOptions): void {
  const t = opts.temperature ?? 0;
  const p = opts.topP ?? 1;
  if (!Number.isFinite(t) || t < 0) throw new EngineError(`temperature must be ≥ 0 (got ${t})`);
  if (!(p > 0 && p <= 1)) throw new EngineError(`topP must be in (0, 1] (got ${p})`);
}

/** Index of the largest logit (the first one on ties). */
export function argmax(logits: ArrayLike<number>, start = 0, length = logits.length - start): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = logits[start + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Samples a token id from logits[start .. start+length). */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, random: () => number, start = 0, length = logits.length - start): number {
  const temperature = opts.temperature ?? 0;
  if (temperature === 0) return argmax(logits, start, length);
  const topP = opts.topP ?? 1;
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, logits[start + i]!);
  const probs = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) sum += probs[i] = Math.exp((logits[start + i]! - max) / temperature);
  let order: number[];
  let mass = 1;
  if (topP < 1) {
    // Smallest set of most likely tokens with probability ≥ topP (ties broken by id, so it is deterministic).
    order = Array.from({ length }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
    let acc = 0;
    let keep = 0;
    while (keep < length && acc < topP * sum) acc += probs[order[keep++]!]!;
    order = order.slice(0, Math.max(1, keep));
    mass = acc / sum;
  } else order = Array.from({ length }, (_, i) => i);
  let r = random() * mass * sum;
  for (const i of order) {
    r -= probs[i]!;
    if (r < 0) return i;
  }
  return order.at(-1)!;
}
