// How a decoder answers: the label is the most probable of the three label tokens at the prompt's
// last position (so even a barely trained model answers with a label), then the explanation is
// generated greedily after it. The in-house teacher writes D_synth this way and explain students
// are evaluated this way. Prompts are cut by the model's DecoderLayout (task.ts), the one it was
// trained with.
import type { Engine } from '../../engine/runtime.ts';
import type { DecoderLM } from '../../engine/nn/decoder.ts';
import { generate } from '../../engine/nn/generate.ts';
import { logitRows } from '../../engine/nn/train.ts';
import { FIT_LABELS, type Example, type FitLabel } from '../../data/schema.ts';
import { SPECIAL_IDS } from '../../data/vocab.ts';
import type { DecoderLayout, TaskCodec } from '../task.ts';

export interface DecodedAnswer {
  exampleId: string;
  label: FitLabel;
  /** Logits of " low", " medium", " high" at the label position. */
  labelLogits: number[];
  /** Response ids: label token, explanation, end-of-text when generation stopped. */
  response: number[];
  explanation: string;
  /** New tokens written (explanation, without the label). */
  newTokens: number;
}

/**
 * Label-token logits at the end of each prompt (no gradients), `batch` prompts per forward pass:
 * left-padded as generate.ts does (pads masked out, rotary positions counted from each prompt's
 * first real token), so the last position is every row's label position.
 */
export async function labelLogits(engine: Engine, model: DecoderLM, codec: TaskCodec, prompts: readonly (readonly number[])[], batch = 8): Promise<number[][]> {
  const out: number[][] = [];
  const V = model.config.vocabSize;
  for (let start = 0; start < prompts.length; start += batch) {
    const chunk = prompts.slice(start, start + batch);
    const B = chunk.length;
    const T = Math.max(...chunk.map((p) => p.length));
    const ids = new Int32Array(B * T).fill(SPECIAL_IDS.pad);
    const positions = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    chunk.forEach((p, b) => {
      const pad = T - p.length;
      ids.set(p, b * T + pad);
      mask.fill(1, b * T + pad, (b + 1) * T);
      for (let t = pad; t < T; t++) positions[b * T + t] = t - pad;
    });
    const rows = await engine.autograd.noGrad(() =>
      engine.tidy(async () => {
        const logits = model.forward(
          { inputIds: engine.upload(ids, [B, T], 'i32'), positions: engine.upload(positions, [B, T], 'i32'), attentionMask: engine.upload(mask, [B, T]) },
          { lastOnly: true },
        );
        return (await logits.read()) as Float32Array;
      }),
    );
    for (let b = 0; b < B; b++) out.push(codec.labelTokenIds.map((id) => rows[b * V + id]!));
  }
  return out;
}

const argmax = (xs: readonly number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

/**
 * Answers for `examples`, `batch` at a time: the label and at most `maxNewTokens` more tokens
 * (never more than the layout's response holds). `onAnswered(ms, n)` gets each batch's wall time
 * (latency measurements use batch 1).
 */
export async function answer(
  engine: Engine,
  model: DecoderLM,
  codec: TaskCodec,
  examples: readonly Example[],
  opts: { layout: DecoderLayout; maxNewTokens: number; batch: number; now?: () => number; onAnswered?: (ms: number, n: number) => void; onProgress?: (done: number) => void },
): Promise<DecodedAnswer[]> {
  const maxNewTokens = Math.min(opts.maxNewTokens, opts.layout.responseTokens - 1);
  const out: DecodedAnswer[] = [];
  for (let start = 0; start < examples.length; start += opts.batch) {
    const chunk = examples.slice(start, start + opts.batch);
    const t0 = opts.now?.() ?? 0;
    const prompts = chunk.map((e) => codec.prompt(e, opts.layout.promptTokens));
    const logits = await labelLogits(engine, model, codec, prompts, opts.batch);
    const labels = logits.map(argmax);
    const generations = await generate(
      model,
      prompts.map((p, i) => [...p, codec.labelTokenIds[labels[i]!]!]),
      { maxNewTokens, stopTokens: [SPECIAL_IDS.eos], padTokenId: SPECIAL_IDS.pad },
    );
    opts.onAnswered?.((opts.now?.() ?? 0) - t0, chunk.length);
    chunk.forEach((e, i) => {
      const g = generations[i]!;
      const response = [codec.labelTokenIds[labels[i]!]!, ...g.tokens, ...(g.finishReason === 'stop' ? [SPECIAL_IDS.eos] : [])];
      out.push({
        exampleId: e.id,
        label: FIT_LABELS[labels[i]!]!,
        labelLogits: logits[i]!,
        response,
        explanation: codec.parseResponse(response).explanation,
        newTokens: g.tokens.length,
      });
    });
    opts.onProgress?.(out.length);
  }
  return out;
}

/** Teacher-forced top-k log-probs (T = 1) at each response position of one sequence. */
export async function responseTopK(engine: Engine, model: DecoderLM, ids: readonly number[], responseStart: number, k: number): Promise<{ ids: number[][]; logprobs: number[][] }> {
  const rows = await engine.autograd.noGrad(() =>
    engine.tidy(async () => (await logitRows(model.forward({ inputIds: engine.upload(Int32Array.from(ids), [1, ids.length], 'i32') })).read()) as Float32Array),
  );
  const V = model.config.vocabSize;
  const K = Math.min(k, V);
  const out = { ids: [] as number[][], logprobs: [] as number[][] };
  for (let t = responseStart - 1; t < ids.length - 1; t++) {
    const row = rows.subarray(t * V, (t + 1) * V);
    let max = -Infinity;
    for (const z of row) max = Math.max(max, z);
    let sum = 0;
    for (const z of row) sum += Math.exp(z - max);
    const lse = max + Math.log(sum);
    const top = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b).slice(0, K);
    out.ids.push(top);
    out.logprobs.push(top.map((id) => Math.min(0, row[id]! - lse)));
  }
  return out;
}
