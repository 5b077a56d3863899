// The pieces of the LLM chain that read upstream answers: JSON steps, the label word, the label
// probabilities from top_logprobs, Retry-After and backoff.
import { describe, expect, it } from 'vitest';
import { labelProbsFromLogprobs, parseJsonAnswer, parseLabel } from '../../server/teacher/llm-teacher.ts';
import { RequirementsAnswer } from '../../server/teacher/steps.ts';
import { CHAIN, TEMPLATE_VERSION } from '../../server/teacher/templates.ts';
import { parseRetryAfter, UpstreamClient } from '../../server/teacher/upstream.ts';

const lp = Math.log;

describe('chain answers', () => {
  it('reads a step’s JSON inside code fences or prose, and rejects a wrong shape with the reason', () => {
    const json = '{"requirements":[{"id":"r1","text":"SQL","kind":"must","category":"skill"}]}';
    expect(parseJsonAnswer(`Here you go:\n\`\`\`json\n${json}\n\`\`\``, RequirementsAnswer).requirements[0]!.text).toBe('SQL');
    expect(() => parseJsonAnswer('no json here', RequirementsAnswer)).toThrow(/no JSON object/);
    expect(() => parseJsonAnswer('{"requirements": [}', RequirementsAnswer)).toThrow(/does not parse/);
    expect(() => parseJsonAnswer('{"requirements":[{"id":"r1","text":"SQL","kind":"required","category":"skill"}]}', RequirementsAnswer)).toThrow(/requirements\.0\.kind/);
    expect(() => parseJsonAnswer(`{"requirements":[${json.slice(17, -2)},${json.slice(17, -2)}]}`, RequirementsAnswer)).toThrow(/unique/);
  });

  it('reads the label word and refuses anything else', () => {
    expect(parseLabel(' High.')).toBe('high');
    expect(parseLabel('medium\n')).toBe('medium');
    expect(parseLabel('**Low**')).toBe('low');
    expect(() => parseLabel('maybe')).toThrow(/not exactly one of high, medium or low/);
    // Ambiguous answers used to be stored as their first word.
    for (const ambiguous of ['High? No. Low.', 'high or medium', 'Medium-high', 'low fit', 'High\n\nThe candidate', 'highly']) {
      expect(() => parseLabel(ambiguous)).toThrow(/not exactly one of high, medium or low/);
    }
  });

  it('turns the label token’s top_logprobs into probabilities over the three labels', () => {
    const probs = labelProbsFromLogprobs([
      { token: 'high', logprob: lp(0.6), top: [{ token: 'high', logprob: lp(0.6) }, { token: ' High', logprob: lp(0.1) }, { token: 'med', logprob: lp(0.2) }, { token: 'low', logprob: lp(0.05) }, { token: '**', logprob: lp(0.05) }] },
    ])!;
    expect(probs.high).toBeCloseTo(0.7 / 0.95, 10);
    expect(probs.medium).toBeCloseTo(0.2 / 0.95, 10);
    expect(probs.low).toBeCloseTo(0.05 / 0.95, 10);
    // A label missing from the top-k gets no more than the least shown alternative.
    const partial = labelProbsFromLogprobs([{ token: 'low', logprob: lp(0.9), top: [{ token: 'low', logprob: lp(0.9) }, { token: 'medium', logprob: lp(0.06) }] }])!;
    expect(partial.high).toBeGreaterThan(0);
    expect(partial.high).toBeLessThanOrEqual(partial.medium);
    expect(partial.low + partial.medium + partial.high).toBeCloseTo(1, 12);
    // No logprobs, or none naming a label: no probabilities.
    expect(labelProbsFromLogprobs(null)).toBeNull();
    expect(labelProbsFromLogprobs([{ token: 'high', logprob: 0, top: [] }])).toBeNull();
    expect(labelProbsFromLogprobs([{ token: 'The', logprob: lp(0.5), top: [{ token: 'The', logprob: lp(0.5) }] }])).toBeNull();
  });

  it('versions the chain from its steps', () => {
    expect(CHAIN.map((s) => s.name)).toEqual(['requirements', 'qualifications', 'evaluate', 'rate', 'explain']);
    expect(TEMPLATE_VERSION).toBe(`chain-${CHAIN.map((s) => s.version).join('.')}`);
  });
});

describe('upstream retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with jitter up to a cap, and honours Retry-After up to its own cap', () => {
    const config = { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 1, maxRetries: 5, backoffBaseMs: 100, backoffMaxMs: 1000, retryAfterMaxMs: 5000, concurrency: 1, logprobs: true };
    const low = new UpstreamClient(config, { random: () => 0 });
    const high = new UpstreamClient(config, { random: () => 0.999999 });
    expect([0, 1, 2, 3, 4].map((n) => low.backoffMs(n))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 4].map((n) => Math.round(high.backoffMs(n)))).toEqual([100, 200, 400, 800, 1000]);
    expect(low.backoffMs(0, 2000)).toBe(2000);
    expect(low.backoffMs(0, 60_000)).toBe(5000);
  });
});
