// Generation: the KV cache gives the tokens a full recomputation gives; batching (left padding),
// stop tokens, seeded sampling and the sampling rules themselves.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { decoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { generate } from '../../src/engine/nn/generate.ts';
import { argmax, sampleToken } from '../../src/engine/nn/sampling.ts';
import { mulberry32 } from '../../src/engine/random.ts';

const VOCAB = 48;

describe('generation with a KV cache', () => {
  let engine: Engine;
  let model: DecoderLM;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
    // Large init so that the untrained model's next token depends on the whole context.
    model = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: VOCAB }), seededInit(7, 0.4));
  });
  afterAll(() => model.release());

  const prompts = [
    [5, 17, 3, 40, 22],
    [9, 1],
    [30, 31, 32],
  ];

  it('gives the same greedy tokens as recomputing the whole sequence, in a left-padded batch', async () => {
    const before = engine.pool.getStats().liveBytes;
    const cached = await generate(model, prompts, { maxNewTokens: 10 });
    const recomputed = await generate(model, prompts, { maxNewTokens: 10, useCache: false });
    expect(cached).toEqual(recomputed);
    for (const g of cached) expect(g.tokens).toHaveLength(10);
    // Not a degenerate model that repeats one token: the test would prove little.
    expect(new Set(cached.flatMap((g) => g.tokens)).size).toBeGreaterThan(4);
    // The cache and masks are released afterwards.
    expect(engine.pool.getStats().liveBytes).toBe(before);
  });

  it('gives each prompt the same tokens alone as inside a batch', async () => {
    const batch = await generate(model, prompts, { maxNewTokens: 6 });
    for (let i = 0; i < prompts.length; i++) {
      const [alone] = await generate(model, [prompts[i]!], { maxNewTokens: 6 });
      expect(alone).toEqual(batch[i]);
    }
  });

  it('reproduces seeded sampling with and without the cache, and a new seed changes it', async () => {
    const opts = { maxNewTokens: 8, temperature: 1.5, topP: 0.95, seed: 123 };
    const a = await generate(model, prompts, opts);
    const b = await generate(model, prompts, { ...opts, useCache: false });
    const again = await generate(model, prompts, opts);
    const other = await generate(model, prompts, { ...opts, seed: 124 });
    expect(b).toEqual(a);
    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
  });

  it('stops a row at a stop token and leaves the other rows running', async () => {
    const [free] = await generate(model, [prompts[0]!], { maxNewTokens: 10 });
    const stopAt = free!.tokens.findIndex((t, i) => i >= 2 && free!.tokens.indexOf(t) === i);
    expect(stopAt).toBeGreaterThan(0);
    const stopToken = free!.tokens[stopAt]!;
    const [stopped, other] = await generate(model, [prompts[0]!, prompts[1]!], { maxNewTokens: 10, stopTokens: [stopToken] });
    expect(stopped).toEqual({ tokens: free!.tokens.slice(0, stopAt), finishReason: 'stop' });
    const [otherAlone] = await generate(model, [prompts[1]!], { maxNewTokens: 10, stopTokens: [stopToken] });
    expect(other).toEqual(otherAlone);
  });

  it('rejects bad requests with clear errors', async () => {
    await expect(generate(model, [[1, VOCAB]], { maxNewTokens: 2 })).rejects.toThrow(/outside the vocabulary/);
    await expect(generate(model, [[]], { maxNewTokens: 2 })).rejects.toThrow(/at least one token/);
    await expect(generate(model, [[1]], { maxNewTokens: 200 })).rejects.toThrow(/maxPosition/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, topP: 0 })).rejects.toThrow(/topP/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, temperature: -1 })).rejects.toThrow(/temperature/);
  });
});

describe('sampling', () => {
  const logits = Float32Array.from([0.5, 2, -1, 1.2, 2]);

  it('greedy takes the first largest logit', () => {
    expect(argmax(logits)).toBe(1);
    expect(sampleToken(logits, { temperature: 0 }, mulberry32(1))).toBe(1);
  });

  it('samples in proportion to softmax(logits / T)', () => {
    const T = 0.8;
    const r = mulberry32(42);
    const counts = new Array(5).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: T }, r)]++;
    const e = [...logits].map((v) => Math.exp(v / T));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => expect(Math.abs(counts[i] / n - v / z)).toBeLessThan(0.015));
  });

  it('top-p keeps only the smallest set of likely tokens reaching p', () => {
    const r = mulberry32(3);
    // softmax at T = 1: ids 1 and 4 hold ≈ 0.33 each, id 3 ≈ 0.15, the rest less.
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.6 }, r));
    expect([...seen].sort()).toEqual([1, 4]);
    const tiny = new Set<number>();
    for (let i = 0; i < 200; i++) tiny.add(sampleToken(logits, { temperature: 1, topP: 0.01 }, r));
    expect([...tiny]).toEqual([1]);
  });
});
