// The same experiment in the browser and headless (issue 6): the built studio's trainer worker
// runs a tiny experiment end to end on Chromium's WebGPU (SwiftShader) — teacher labels through
// the page's own origin, artifacts in IndexedDB — while `lantern run`'s Node host runs the same
// config; both must give real results of the same shape, from the same data.
//
// The worker is driven as the studio drives it: Comlink over the built worker script (its URL
// read from the built app's bundle), with comlink's UMD build injected into a page of the studio's
// origin. The app itself carries no test hook.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ComlinkModule from 'comlink';
import { launchChromium } from '../helpers/chromium.ts';
import { runArtifact, runRecord } from '../helpers/studio-db.ts';
import { parseExperiment, type ExperimentInput } from '../../src/experiment/schema.ts';
import { createNodeHost, fileStore } from '../../src/experiment/run/node-host.ts';
import { runExperiment, type RunResults } from '../../src/experiment/run/pipeline.ts';
import { flatMetrics, orderMetricKeys, type SweepResults } from '../../src/experiment/run/sweep.ts';
import type { RunEvent } from '../../src/experiment/run/host.ts';
import type { ExperimentRun, TrainerApi } from '../../workers/trainer.worker.ts';

declare global {
  // Set by comlink's UMD build inside the page.
  var Comlink: typeof ComlinkModule;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** examples/sweep-losses.tiny.json cut further: one divergence, fewer pairs and steps, plus a classifier (confusion matrix). */
function tinyExperiment(): ExperimentInput {
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/sweep-losses.tiny.json'), 'utf8')) as Record<string, unknown> & { stages: Record<string, unknown>[] };
  const { sweep: _sweep, eval: _eval, ...rest } = example;
  const short = { steps: 3, batchSize: 2, maxSeqLen: 96, evalEvery: 0 };
  const explainer = { ...example.stages[0]!, ...short, loss: { divergence: 'tvd', wCe: 0.5, wKd: 1 } };
  const classifier = { id: 'classifier', task: 'classify', student: { preset: 'tiny', pooling: 'mean' }, source: 'teacher', loss: { divergence: 'fkl', temperature: 2, wCe: 0.5, wKd: 1 }, batching: 'by-length', ...short };
  return {
    ...rest,
    name: 'browser vs headless (e2e)',
    dataset: { demo: { seed: 1, n: 16 }, split: { train: 0.75, val: 0, test: 0.25 } },
    inHouseTeacher: { preset: 'tiny', ...short },
    synthetic: { logits: 'full', maxNewTokens: 6 },
    stages: [explainer, classifier],
    eval: { maxNewTokens: 6, eceBins: 5 },
  } as ExperimentInput;
}

/** Every key path of a JSON value, array items folded into "[]" (the shape of a results.json). */
function keyPaths(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => keyPaths(v, `${at}[]`)))];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [`${at}.${k}`, ...keyPaths(v, `${at}.${k}`)]);
  return [];
}

/** The built worker's URL, as the built app's bundle names it. */
async function workerUrl(baseURL: string): Promise<string> {
  const html = await (await fetch(`${baseURL}/`)).text();
  const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
  if (!script) throw new Error('the built index.html has no script');
  const bundleUrl = new URL(script, `${baseURL}/`);
  const name = /trainer\.worker-[\w-]+\.js/.exec(await (await fetch(bundleUrl)).text())?.[0];
  if (!name) throw new Error('the built app does not reference the trainer worker');
  return new URL(name, bundleUrl).href;
}

/** A page of the studio's origin; pages of one context share its IndexedDB (browser.newPage makes a new context each time). */
async function studioPage(opener: Browser | BrowserContext, baseURL: string): Promise<{ page: Page; errors: string[] }> {
  const page = await opener.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseURL}/`);
  await page.addScriptTag({ path: join(ROOT, 'node_modules/comlink/dist/umd/comlink.min.js') });
  return { page, errors };
}

/** Runs `runExperiment` in a fresh trainer worker of the page; gives its answer (or error message) and the events it sent. */
function runInWorker(page: Page, url: string, configJson: string, opts: { runId?: string; checkpointEvery?: number } = {}) {
  return page.evaluate(
    async ({ url, configJson, opts }) => {
      const trainer = Comlink.wrap<TrainerApi>(new Worker(url, { type: 'module' }));
      const events: RunEvent[] = [];
      try {
        const run: ExperimentRun = await trainer.runExperiment(configJson, Comlink.proxy((e: RunEvent) => void events.push(e)), opts);
        return { run, events, error: null };
      } catch (e) {
        return { run: null, events, error: (e as Error).message };
      }
    },
    { url, configJson, opts },
  );
}

const inUnit = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;

describe('experiments in the trainer worker', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  let url: string;
  const dirs: string[] = [];
  /** The headless run's results: what an uninterrupted run of tinyExperiment() gives. */
  let reference: RunResults | undefined;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
    url = await workerUrl(baseURL);
  });
  afterAll(async () => {
    await browser?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs the same experiment as lantern run: real results of the same shape from the same data', async () => {
    const input = tinyExperiment();
    const config = parseExperiment(input).config;
    const { page, errors } = await studioPage(browser, baseURL);

    const headless = async (): Promise<RunResults> => {
      const out = mkdtempSync(join(tmpdir(), 'lantern-e2e-run-'));
      dirs.push(out);
      const host = await createNodeHost();
      try {
        return await runExperiment(config, host, fileStore(out));
      } finally {
        await host.close();
      }
    };
    const [browserSide, node] = await Promise.all([runInWorker(page, url, JSON.stringify(input)), headless()]);
    reference = node;
    expect(browserSide.error).toBeNull();
    const { runId, results } = browserSide.run!;
    const run = results as RunResults;

    // The same experiment, the same shape of results.json as a headless run.
    expect(run.format).toBe('lantern-results');
    expect(run.experiment).toEqual(config);
    expect(keyPaths(run).sort()).toEqual(keyPaths(node).sort());
    // Same data pipeline: split, labels, vocabulary and seed set are computed identically.
    expect(run.data).toEqual(node.data);
    expect(run.device?.adapter).toBeDefined();
    // Same training: the same seeds give the same batches and initial weights, so the loss curves
    // agree (to float32 rounding across two WebGPU implementations).
    const curves = (r: RunResults) => [r.teacher.curves.train, ...r.stages.map((s) => s.curves.train)];
    curves(run).forEach((curve, i) => curve.forEach((p, j) => expect(p.loss).toBeCloseTo(curves(node)[i]![j]!.loss, 3)));

    // Real training: every step of every model has a finite loss.
    for (const curve of curves(run)) {
      expect(curve.map((p) => p.step)).toEqual([1, 2, 3]);
      for (const p of curve) expect(Number.isFinite(p.loss)).toBe(true);
    }
    const [explainer, classifier] = run.stages as [RunResults['stages'][0], RunResults['stages'][0]];
    const test = run.data.test;
    expect(test).toBeGreaterThan(0);
    // Classifier: proportions in [0, 1]; the confusion matrix counts each test example once.
    const cm = classifier.metrics as { n: number; accuracy: number; macroF1: number; ece: number; confusion: { matrix: number[][] }; perClass: { precision: number; recall: number; f1: number }[] };
    expect(cm.n).toBe(test);
    expect(cm.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(test);
    for (const x of [cm.accuracy, cm.macroF1, cm.ece, ...cm.perClass.flatMap((c) => [c.precision, c.recall, c.f1])]) expect(inUnit(x)).toBe(true);
    // Explainer: ROUGE, consistency and hallucination rates are proportions.
    const em = explainer.metrics as { n: number; labelAccuracy: number; rouge: Record<string, Record<string, number>>; consistency: { rate: number }; hallucination: { mentionRate: number } };
    expect(em.n).toBe(test);
    for (const x of [em.labelAccuracy, em.consistency.rate, em.hallucination.mentionRate, ...Object.values(em.rouge).flatMap((r) => Object.values(r))]) expect(inUnit(x)).toBe(true);

    // Progress reached the page: every phase finished, every training step was reported.
    const done = browserSide.events.filter((e) => e.type === 'phase' && e.status === 'done').map((e) => (e as { phase: string }).phase);
    expect(done).toEqual(['teacher-labels', 'vocabulary', 'seed-set', 'in-house-teacher', 'synthetic', 'evaluate:teacher', 'baselines', 'stage:explainer', 'stage:classifier']);
    expect(browserSide.events.filter((e) => e.type === 'train' && e.model === 'classifier')).toHaveLength(3);

    // The run is kept in the studio's IndexedDB: results.json and the checkpoints.
    expect(JSON.parse((await runArtifact(page, runId, 'results.json'))!)).toEqual(run);
    const cfg = JSON.parse((await runArtifact(page, runId, 'checkpoints/classifier/config.json'))!) as { architectures: string[]; vocab_size: number };
    expect(cfg.architectures).toEqual(['ModernBertForSequenceClassification']);
    expect(cfg.vocab_size).toBe(run.data.vocabSize);
    expect((await runRecord<{ status: string; summary: Record<string, number> }>(page, runId))?.status).toBe('done');
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('resumes a run whose tab closed mid-training from its last resume point in IndexedDB', async () => {
    // On WebGPU (SwiftShader here): on the WASM backend this tiny run ends before the tab can close mid-stage.
    // Its losses still match the reference run's, which ran on WASM ('auto' here).
    const configJson = JSON.stringify({ ...tinyExperiment(), engine: 'webgpu' });
    const runId = `resume-${Date.now()}`;
    const context = await browser.newContext();
    const first = await studioPage(context, baseURL);
    type Log = { events: RunEvent[] };
    await first.page.evaluate(
      ({ url, configJson, runId }) => {
        const trainer = Comlink.wrap<TrainerApi>(new Worker(url, { type: 'module' }));
        const log = window as unknown as Log;
        log.events = [];
        void trainer.runExperiment(configJson, Comlink.proxy((e: RunEvent) => void log.events.push(e)), { runId, checkpointEvery: 1 }).catch(() => undefined);
      },
      { url, configJson, runId },
    );
    // The tab goes away in the middle of the explainer's training, and its worker with it.
    await first.page.waitForFunction(() => (window as unknown as Log).events.some((e) => e.type === 'train' && e.model === 'explainer' && e.step === 2), null, { polling: 50, timeout: 300_000 });
    await first.page.close();

    const { page, errors } = await studioPage(context, baseURL);
    expect((await runRecord<{ status: string }>(page, runId))?.status).toBe('running');
    const second = await runInWorker(page, url, configJson, { runId, checkpointEvery: 1 });
    expect(second.error).toBeNull();
    const skipped = second.events.filter((e) => e.type === 'phase' && e.status === 'skip').map((e) => (e as { phase: string }).phase);
    expect(skipped).toEqual(['teacher-labels', 'vocabulary', 'seed-set', 'in-house-teacher', 'synthetic', 'evaluate:teacher', 'baselines']);
    const resume = second.events.find((e) => e.type === 'resume') as Extract<RunEvent, { type: 'resume' }>;
    expect(resume.model).toBe('explainer');
    // Step 1's resume point was stored before step 2 ran; step 2's may have been too.
    expect([1, 2]).toContain(resume.step);
    expect(second.events.filter((e) => e.type === 'train' && e.model === 'explainer').map((e) => (e as { step: number }).step)).toEqual([1, 2, 3].slice(resume.step));

    const resumed = second.run!.results as RunResults;
    expect(second.run!.runId).toBe(runId);
    expect(resumed.stages[0]!.resumedFrom).toBe(resume.step);
    // Weights, optimizer moments and batch order came back from IndexedDB: the uninterrupted run's losses.
    expect(reference).toBeDefined();
    const curves = (r: RunResults) => r.stages.map((s) => s.curves.train);
    curves(resumed).forEach((curve, i) => {
      expect(curve.map((p) => p.step)).toEqual([1, 2, 3]);
      curve.forEach((p, j) => expect(p.loss).toBeCloseTo(curves(reference!)[i]![j]!.loss, 3));
    });
    expect((await runRecord<{ status: string }>(page, runId))?.status).toBe('done');
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);

  it('runs a sweep (one divergence) into comparable rows with the headless run\'s metric keys', async () => {
    const input = { ...tinyExperiment(), sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['tvd'] }] } };
    const { page, errors } = await studioPage(browser, baseURL);
    const { run, error } = await runInWorker(page, url, JSON.stringify(input));
    expect(error).toBeNull();
    const sweep = run!.results as SweepResults;
    expect(sweep.format).toBe('lantern-sweep-results');
    expect(sweep.rows.map((r) => [r.status, r.assignments])).toEqual([['done', { 'stages.0.loss.divergence': 'tvd' }]]);
    expect(reference).toBeDefined();
    const headless = flatMetrics(reference!);
    expect(sweep.metricKeys).toEqual(orderMetricKeys(Object.keys(headless)));
    const row = sweep.rows[0]!.metrics;
    // The sweep's one run is the experiment above: the same final losses.
    for (const key of sweep.metricKeys.filter((k) => k.endsWith('.finalLoss'))) expect(row[key]).toBeCloseTo(headless[key]!, 3);
    for (const key of ['classifier.accuracy', 'classifier.macroF1', 'explainer.rougeL', 'teacher.rougeL']) expect(inUnit(row[key])).toBe(true);
    expect(sweep.aggregate.map((g) => g.metrics['classifier.accuracy']!.n)).toEqual([1]);
    expect(JSON.parse((await runArtifact(page, run!.runId, 'results.json'))!)).toEqual(sweep);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('stops a running experiment between training steps and records it as stopped', async () => {
    const runId = `stop-${Date.now()}`;
    const { page, errors } = await studioPage(browser, baseURL);
    const outcome = await page.evaluate(
      async ({ url, configJson, runId }) => {
        const trainer = Comlink.wrap<TrainerApi>(new Worker(url, { type: 'module' }));
        let stopAnswer: Promise<boolean> | undefined;
        const steps: string[] = [];
        try {
          await trainer.runExperiment(
            configJson,
            Comlink.proxy((e: RunEvent) => {
              if (e.type !== 'train') return;
              steps.push(`${e.model}:${e.step}`);
              if (e.model === 'teacher' && e.step === 1) stopAnswer ??= trainer.stop();
            }),
            { runId },
          );
          return { error: null, stopped: await stopAnswer, steps };
        } catch (e) {
          return { error: (e as Error).message, stopped: await stopAnswer, steps };
        }
      },
      // On WebGPU (SwiftShader here), with 30 teacher steps: the stop asked for at step 1 lands in them.
      { url, configJson: JSON.stringify({ ...tinyExperiment(), engine: 'webgpu', inHouseTeacher: { ...(tinyExperiment().inHouseTeacher as object), steps: 30 } }), runId },
    );
    expect(outcome.stopped).toBe(true);
    expect(outcome.error).toMatch(/stopped by the user at step \d of teacher/);
    // It stopped inside the in-house teacher's training: no stage trained.
    expect(outcome.steps.every((s) => s.startsWith('teacher:'))).toBe(true);
    const record = await runRecord<{ status: string; error: string }>(page, runId);
    expect(record?.status).toBe('stopped');
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('refuses an invalid experiment, a file dataset or a second run at once with a clear message', async () => {
    const { page } = await studioPage(browser, baseURL);
    const invalid = await runInWorker(page, url, JSON.stringify({ ...tinyExperiment(), seed: -1 }));
    expect(invalid.error).toMatch(/invalid experiment[\s\S]*seed/);
    const fromFile = await runInWorker(page, url, JSON.stringify({ ...tinyExperiment(), dataset: { path: 'pairs.jsonl' } }));
    expect(fromFile.error).toMatch(/only headless runs read/);
    // One run at a time per worker: a second start while one runs is refused, the first goes on.
    const busy = await page.evaluate(async ({ url, configJson }) => {
      const trainer = Comlink.wrap<TrainerApi>(new Worker(url, { type: 'module' }));
      const first = trainer.runExperiment(configJson);
      first.catch(() => undefined);
      try {
        await trainer.runExperiment(configJson);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    }, { url, configJson: JSON.stringify(tinyExperiment()) });
    expect(busy).toMatch(/already running in this tab/);
    await page.close();
  });
});
