// The Teacher page's labelling job against a scripted teacher stream and a real LanternStore
// (fake-indexeddb): labels saved as they arrive, cancel keeps them, a second run resumes,
// per-pair errors are listed and retried, budget and fatal stops are told in words.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LanternStore } from '../../src/data/store.ts';
import { demoDataset } from '../../src/data/datasets.ts';
import type { Example } from '../../src/data/schema.ts';
import { LabellingJob } from '../../src/app/state/labelling-job.svelte.ts';
import type { LabelStream, LabelStreamLine } from '../../src/app/lib/teacher-api.ts';

const teacher = { provider: 'offline', model: 'rules', templateVersion: 'v1' };
let n = 0;
const opened: LanternStore[] = [];
afterEach(() => opened.splice(0).forEach((s) => s.close()));

interface Script {
  /** Pair ids that get an error line instead of a result. */
  failing?: Set<string>;
  /** Abort the job's signal after this many results in all (a user pressing Cancel). */
  cancelAfter?: number;
  cached?: boolean;
  stopAfter?: { count: number; why: 'budget' | 'upstream' };
  fatal?: boolean;
}

/** A teacher stream like the server's: start, a result or error then progress per pair, summary. */
function scripted(script: Script, calls: Example[][], cancel: () => void): LabelStream {
  let results = 0;
  return async function* (pairs, _provider, signal) {
    calls.push([...pairs]);
    yield { type: 'start', total: pairs.length, teacher } satisfies LabelStreamLine;
    let done = 0;
    let labelled = 0;
    let errors = 0;
    for (const [index, p] of pairs.entries()) {
      if (signal.aborted) throw new DOMException('aborted', 'AbortError');
      if (script.fatal) return void (yield { type: 'fatal', error: 'The labelling job failed unexpectedly (see the server log).' });
      if (script.stopAfter && done >= script.stopAfter.count) break;
      done++;
      if (script.failing?.has(p.id)) {
        errors++;
        yield { type: 'error', index, exampleId: p.id, code: 'upstream', error: 'HTTP 500 (gave up after 4 attempts)' };
      } else {
        labelled++;
        const result = { exampleId: p.id, teacher, label: 'medium', labelProbs: { low: 0.2, medium: 0.5, high: 0.3 }, explanation: `about ${p.id}`, steps: { requirements: [] }, labelProbsSource: 'rule-based', usage: { promptTokens: 10, completionTokens: 5, upstreamCalls: script.cached ? 0 : 5, cachedSteps: 0 }, cached: !!script.cached, createdAt: 't' };
        yield { type: 'result', index, result: result as never };
        if (++results === script.cancelAfter) cancel();
      }
      yield { type: 'progress', done, total: pairs.length, labelled, errors, cachedPairs: script.cached ? labelled : 0, upstreamRequests: script.cached ? 0 : labelled * 5, tokens: script.cached ? 0 : labelled * 15 };
    }
    yield { type: 'summary', total: pairs.length, labelled, errors, cachedPairs: script.cached ? labelled : 0, upstreamRequests: script.cached ? 0 : labelled * 5, tokens: script.cached ? 0 : labelled * 15, stopped: script.stopAfter ? script.stopAfter.why : null };
  };
}

async function setup(script: Script, size = 30) {
  const store = await LanternStore.open({ name: `label-${process.pid}-${++n}`, storage: null });
  opened.push(store);
  const { dataset, examples } = await demoDataset(3, size);
  await store.saveDataset(dataset, examples);
  const calls: Example[][] = [];
  let clock = 0;
  const job: LabellingJob = new LabellingJob({ store: async () => store, changed: () => undefined, stream: scripted(script, calls, () => job.cancel()), now: () => (clock += 100) });
  const stored = async () => (await store.getLabelsByTeacher(dataset.id, teacher)).length;
  return { store, dataset, examples, job, calls, stored };
}

describe('LabellingJob', () => {
  it('labels every pair in requests of chunkSize, counting requests and tokens and measuring throughput', async () => {
    const { dataset, examples, job, calls, stored } = await setup({});
    await job.start(dataset.id, examples, { provider: 'offline', teacher, chunkSize: 8 });
    expect(job.status).toBe('done');
    expect(calls.map((c) => c.length)).toEqual([8, 8, 8, 6]);
    expect([job.done, job.total, job.labelled, job.requests, job.tokens]).toEqual([30, 30, 30, 150, 450]);
    expect(job.rate).toBeGreaterThan(0);
    expect(await stored()).toBe(30);
  });

  it('keeps every label that arrived when cancelled, and a second run sends only the rest', async () => {
    const { dataset, examples, job, calls, stored } = await setup({ cancelAfter: 13 });
    await job.start(dataset.id, examples, { provider: 'offline', teacher, chunkSize: 5 });
    expect(job.status).toBe('cancelled');
    // 13 results arrived (the 13th mid-request, still in the write buffer): all are stored.
    expect(await stored()).toBe(13);
    calls.length = 0;
    await job.start(dataset.id, examples, { provider: 'offline', teacher, chunkSize: 100 });
    expect(job.status).toBe('done');
    expect(job.skipped).toBe(13);
    expect(calls.flat()).toHaveLength(17);
    expect(await stored()).toBe(30);
    // Nothing left: a third run sends nothing.
    calls.length = 0;
    await job.start(dataset.id, examples, { provider: 'offline', teacher });
    expect([job.status, job.total, job.skipped, calls.length]).toEqual(['done', 0, 30, 0]);
  });

  it('lists the pairs that failed and retries only those', async () => {
    const failing = new Set<string>();
    const { dataset, examples, job, calls, stored } = await setup({ failing }, 10);
    failing.add(examples[2]!.id).add(examples[7]!.id);
    await job.start(dataset.id, examples, { provider: 'openai', teacher });
    expect(job.errors.map((e) => e.exampleId)).toEqual([examples[2]!.id, examples[7]!.id]);
    expect(job.errors[0]!.error).toMatch(/gave up/);
    expect(await stored()).toBe(8);
    failing.clear();
    calls.length = 0;
    await job.retryFailed();
    expect(calls.flat().map((p) => p.id)).toEqual([examples[2]!.id, examples[7]!.id]);
    expect(job.errors).toEqual([]);
    expect(await stored()).toBe(10);
  });

  it('relabels through the server cache when asked: cache hits, no requests, no tokens', async () => {
    const { dataset, examples, job, stored } = await setup({ cached: true }, 6);
    await job.start(dataset.id, examples, { provider: 'openai', teacher });
    await job.start(dataset.id, examples, { provider: 'openai', teacher, relabel: true });
    expect([job.skipped, job.labelled, job.cachedPairs, job.requests, job.tokens]).toEqual([0, 6, 6, 0, 0]);
    expect(await stored()).toBe(6);
  });

  it('says why a job stopped early or failed, keeping what it labelled', async () => {
    const budget = await setup({ stopAfter: { count: 4, why: 'budget' } }, 10);
    await budget.job.start(budget.dataset.id, budget.examples, { provider: 'openai', teacher, chunkSize: 100 });
    expect(budget.job.message).toMatch(/budget of one job ran out.*labels so far are kept/);
    expect(await budget.stored()).toBe(4);
    const fatal = await setup({ fatal: true }, 3);
    await fatal.job.start(fatal.dataset.id, fatal.examples, { provider: 'openai', teacher });
    expect(fatal.job.status).toBe('failed');
    expect(fatal.job.message).toMatch(/failed unexpectedly/);
    await expect(fatal.job.start(fatal.dataset.id, fatal.examples, { provider: 'openai', teacher, chunkSize: 0 })).rejects.toThrow(/whole number/);
  });
});
