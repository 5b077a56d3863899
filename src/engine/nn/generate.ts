// Text generation with a decoder: prompts are left-padded to one length (pads masked out, rotary
// positions counted from each prompt's first real token), the prompt fills the KV cache in one
// pass, then one token per step is appended. Only the last position's logits are read back.
import { mulberry32 } from '../random.ts';
import { EngineError } from '../errors.ts';
import type { DecoderLM, KvCache } from './decoder.ts';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling.ts';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Generation of a row ends at any of these ids (the stop token is not returned). */
  stopTokens?: readonly number[];
  /** Seeds the sampling stream (ignored by greedy decoding). */
  seed?: number;
  /** Fed for padding and for rows that already stopped (masked out, so any id works). */
  padTokenId?: number;
  /** false: recompute the whole sequence every step (the reference the cache is tested against). */
  useCache?: boolean;
}

export interface Generation {
  /** New tokens, without the prompt and without the stop token. */
  tokens: number[];
  finishReason: 'stop' | 'length';
}

export async function generate(model: DecoderLM, prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<Generation[]> {
  validateSampling(opts);
  const { maxNewTokens } = opts;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new EngineError(`maxNewTokens must be a positive integer (got ${maxNewTokens})`);
  if (prompts.length === 0) return [];
  const V = model.config.vocabSize;
  for (const p of prompts) {
    if (p.length === 0) throw new EngineError('every prompt needs at least one token');
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= V) throw new EngineError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
  }
  const engine = model.engine;
  const B = prompts.length;
  const promptLen = Math.max(...prompts.map((p) => p.length));
  const maxLen = promptLen + maxNewTokens;
  if (maxLen > model.config.maxPosition) throw new EngineError(`prompt (${promptLen}) + maxNewTokens (${maxNewTokens}) exceeds the model's maxPosition ${model.config.maxPosition}`);
  const padId = opts.padTokenId ?? model.config.padTokenId ?? 0;
  const pads = prompts.map((p) => promptLen - p.length);
  const stop = new Set(opts.stopTokens ?? []);
  const random = mulberry32(opts.seed ?? 0);
  const useCache = opts.useCache ?? true;

  // The whole (padded) sequence so far, row-major [B, len].
  const seq: number[][] = prompts.map((p, b) => [...new Array<number>(pads[b]!).fill(padId), ...p]);
  const results: Generation[] = prompts.map(() => ({ tokens: [], finishReason: 'length' }));
  const done = new Array<boolean>(B).fill(false);

  return engine.autograd.noGrad(async () => {
    const cache: KvCache | null = useCache ? model.createKvCache(B, maxLen) : null;
    // With a cache the key mask covers the whole cache: pads 0, everything else 1 (causality hides the future).
    const cacheMask = cache ? engine.upload(keyMask(pads, maxLen), [B, maxLen]).keep() : null;
    try {
      for (let step = 0; step < maxNewTokens; step++) {
        const len = seq[0]!.length;
        const from = cache && step > 0 ? len - 1 : 0; // positions fed this step
        const T = len - from;
        const logits = await engine.tidy(async () => {
          const ids = new Int32Array(B * T);
          const positions = new Int32Array(B * T);
          for (let b = 0; b < B; b++) {
            for (let t = 0; t < T; t++) {
              ids[b * T + t] = seq[b]![from + t]!;
              positions[b * T + t] = Math.max(0, from + t - pads[b]!);
            }
          }
          const out = model.forward(
            {
              inputIds: engine.upload(ids, [B, T], 'i32'),
              positions: engine.upload(positions, [B, T], 'i32'),
              attentionMask: cacheMask ?? engine.upload(keyMask(pads, T), [B, T]),
            },
            { lastOnly: true, ...(cache ? { cache, offset: from } : {}) },
          );
          return (await out.read()) as Float32Array;
        });
        for (let b = 0; b < B; b++) {
          let next = padId;
          if (!done[b]) {
            next = sampleToken(logits, opts, random, b * V, V);
            if (stop.has(next)) {
              done[b] = true;
              results[b]!.finishReason = 'stop';
              next = padId;
            } else results[b]!.tokens.push(next);
          }
          seq[b]!.push(next);
        }
        if (done.every(Boolean)) break;
      }
      return results;
    } finally {
      cache?.release();
      cacheMask?.release();
    }
  });
}

function keyMask(pads: readonly number[], len: number): Float32Array {
  const m = new Float32Array(pads.length * len).fill(1);
  pads.forEach((p, b) => m.fill(0, b * len, b * len + Math.min(p, len)));
  return m;
}
