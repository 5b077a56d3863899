// Studio II in Chromium, as a researcher uses it (real worker, real engine on the software adapter,
// tiny configs): build a two-stage chain in the builder, run it, watch its curves, stop, reload,
// resume, finish and find it in the run list; then open its share link in a fresh profile and get
// the same experiment and, after running, the same final losses; a tampered link changes nothing.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { deflateSync } from 'fflate';
import { launchChromium } from '../helpers/chromium.ts';
import { runArtifact, runRecord } from '../helpers/studio-db.ts';
import { parseExperiment, type ExperimentConfig } from '../../src/experiment/schema.ts';
import { crc32, encodeShareLink } from '../../src/experiment/share-link.ts';
import type { RunResults } from '../../src/experiment/run/pipeline.ts';

/** The experiment's tiny base, typed into the JSON view; the stages are built with the form. */
const BASE = {
  version: 1,
  name: 'chain (e2e)',
  seed: 3,
  // On WebGPU (SwiftShader here), slow enough to watch it run and stop it mid-stage; on the WASM
  // backend ('auto' here) this run is over before the page can.
  engine: 'webgpu',
  dataset: { demo: { seed: 1, n: 16 }, split: { train: 0.75, val: 0, test: 0.25 } },
  inHouseTeacher: { preset: 'tiny', steps: 3, batchSize: 2, maxSeqLen: 96, evalEvery: 0 },
  synthetic: { maxNewTokens: 6 },
  eval: { maxNewTokens: 6, metrics: ['rouge', 'consistency', 'hallucination'] },
  stages: [{ id: 'mid', task: 'explain', student: { preset: 'tiny' }, steps: 3, batchSize: 2, maxSeqLen: 96, evalEvery: 0 }],
};

const LONG = { timeout: 300_000 };
const timings: Record<string, number> = {};

async function open(page: Page, url: string) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return errors;
}

/** Sets one form field (by its config path) to a value, as a user would. */
async function setField(page: Page, path: string, value: string) {
  const field = page.locator(`[data-path="${path}"]`);
  const select = field.locator('select');
  if (await select.count()) await select.selectOption(value);
  else {
    await field.locator('input').fill(value);
    await field.locator('input').press('Tab');
  }
}

const points = (page: Page, model: string) => page.locator(`[data-testid="loss-chart"][data-model="${model}"]`).getAttribute('data-points').then(Number);

describe('Studio II: builder, run view, run list, share links', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  let config: ExperimentConfig;
  let runId: string;
  let results: RunResults;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    console.log('studio-experiment e2e timings (s):', JSON.stringify(timings));
    await browser?.close();
  });

  it('builds a two-stage chain, runs it, stops, resumes after a reload, finishes and lists it', async () => {
    const t0 = Date.now();
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const page = await context.newPage();
    const errors = await open(page, `${baseURL}/#/experiment`);

    // The base through the JSON view…
    await page.getByTestId('json-editor').fill(JSON.stringify(BASE, null, 2));
    await expect.poll(() => page.locator('[data-path="stages.0.id"] input').inputValue()).toBe('mid');
    // …the second stage of the chain through the form: it learns from "mid".
    await page.getByTestId('add-explain').click();
    await expect.poll(() => page.locator('[data-path="stages.1.source"] select').inputValue()).toBe('mid');
    await setField(page, 'stages.1.id', 'small');
    await setField(page, 'stages.1.student.preset', 'tiny');
    await setField(page, 'stages.1.loss.divergence', 'tvd');
    await setField(page, 'stages.1.steps', '8');
    await setField(page, 'stages.1.batchSize', '2');
    await setField(page, 'stages.1.maxSeqLen', '96');
    await setField(page, 'stages.1.evalEvery', '0');
    // Batching: absent reads as shuffled; by-length is written into the document.
    expect(await page.locator('[data-path="stages.1.batching"] select').inputValue()).toBe('shuffled');
    await setField(page, 'stages.1.batching', 'by-length');
    // A wrong value is named beside its field in the schema's words, and blocks Run.
    await setField(page, 'stages.1.loss.temperature', '0');
    await expect.poll(() => page.locator('[data-path="stages.1.loss.temperature"] [data-testid="field-error"]').textContent()).toMatch(/expected number to be >0/);
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
    await setField(page, 'stages.1.loss.temperature', '1');
    await expect.poll(() => page.getByTestId('run').isDisabled()).toBe(false);
    // The JSON view followed the form; the graph draws the chain.
    const doc = JSON.parse(await page.getByTestId('json-editor').inputValue());
    expect(doc.stages[1]).toMatchObject({ id: 'small', source: 'mid', task: 'explain', student: { preset: 'tiny' }, loss: { divergence: 'tvd' }, steps: 8, batching: 'by-length' });
    config = parseExperiment(doc).config;
    expect(await page.locator('[data-testid="pipeline-graph"] [data-node="small"]').count()).toBe(1);
    await page.screenshot({ path: '/tmp/studio-builder.png', fullPage: false });

    await page.getByTestId('run').click();
    await page.waitForURL(/#\/runs\/[\w-]+$/);
    runId = decodeURIComponent(page.url().split('/').at(-1)!);
    // Live: phases progress, the in-house teacher's curve appears and grows.
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('running');
    await page.locator('[data-testid="loss-chart"][data-model="in-house teacher"]').waitFor(LONG);
    await expect.poll(() => points(page, 'mid'), LONG).toBeGreaterThanOrEqual(1);
    await expect.poll(() => points(page, 'mid'), LONG).toBe(3);
    expect(await page.locator('[data-phase="in-house-teacher"]').getAttribute('data-status')).toBe('done');
    expect(await page.getByTestId('gpu-memory').textContent()).toMatch(/[KMG]iB/);
    expect(await page.getByTestId('speed').textContent()).toMatch(/\d[\d,.]*( [kMB])? tokens\/s · \d+\.\d\d steps\/s/);
    await page.screenshot({ path: '/tmp/studio-run-live.png', fullPage: true });

    // Stop during the last stage: it stops after the step in flight, with a resume point.
    await expect.poll(() => points(page, 'small'), LONG).toBeGreaterThanOrEqual(1);
    await page.getByTestId('stop').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('stopped');
    const stoppedAt = await points(page, 'small');
    expect(stoppedAt).toBeLessThan(8);
    timings.runUntilStop = (Date.now() - t0) / 1000;

    // A reload: the run is still there, stopped, with its curves; Resume finishes it.
    await page.reload();
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('stopped');
    expect(await page.getByTestId('run-stopped').textContent()).toMatch(/resume point/);
    expect(await points(page, 'small')).toBe(stoppedAt);
    await page.getByTestId('resume').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('done');
    await expect.poll(() => points(page, 'small')).toBe(8);
    await page.screenshot({ path: '/tmp/studio-run-done.png', fullPage: true });

    const record = await runRecord<{ status: string; metrics: Record<string, [number, number][]>; summary: Record<string, number>; runSeconds: number }>(page, runId);
    expect(record?.status).toBe('done');
    // Steps 1–8 of the resumed stage, each once: the resume point continued where Stop left it.
    expect(record!.metrics['small/train/loss']!.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    results = JSON.parse((await runArtifact(page, runId, 'results.json'))!) as RunResults;
    expect(results.stages.find((s) => s.id === 'small')!.resumedFrom).toBe(stoppedAt);
    expect(record!.summary['small.finalLoss']).toBe(results.stages.find((s) => s.id === 'small')!.curves.train.at(-1)!.loss);

    // The run list: done, its running time, device and headline metric (the chain's final student).
    await page.goto(`${baseURL}/#/runs`);
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    expect(await row.getByTestId('list-status').textContent()).toBe('done');
    expect(await row.getByTestId('list-metrics').textContent()).toMatch(/small ROUGE-L \d\.\d{3}/);
    expect(await row.locator('td.device').textContent()).not.toBe('—');
    await page.screenshot({ path: '/tmp/studio-run-list.png' });
    expect(errors).toEqual([]);
    await context.close();
    timings.chainStopReloadResume = (Date.now() - t0) / 1000;
  }, 900_000);

  it('opens the run\'s share link in a fresh profile: the same experiment, and after running the same final losses', async () => {
    const t0 = Date.now();
    expect(results).toBeDefined();
    const link = `${baseURL}/${encodeShareLink(config)}`;
    expect(link.length).toBeLessThan(2048);
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const page = await context.newPage();
    const errors = await open(page, link);
    await expect.poll(() => page.getByTestId('origin').textContent()).toMatch(/share link/);
    expect(parseExperiment(JSON.parse(await page.getByTestId('json-editor').inputValue())).config).toEqual(config);
    expect(await page.getByTestId('dataset-needs').textContent()).toMatch(/demo dataset with seed 1 and 16 pairs/);
    // The builder's own link for it is the same link.
    expect(await page.getByTestId('share-link').inputValue()).toBe(link);

    await page.getByTestId('run').click();
    await page.waitForURL(/#\/runs\/[\w-]+$/);
    const second = decodeURIComponent(page.url().split('/').at(-1)!);
    expect(second).not.toBe(runId);
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('done');
    const again = JSON.parse((await runArtifact(page, second, 'results.json'))!) as RunResults;
    // Same seed, same device type: the same final losses (and curves), though the first run was stopped and resumed.
    const finals = (r: RunResults) => [r.teacher, ...r.stages].map((m) => m.curves.train.at(-1)!.loss);
    finals(again).forEach((loss, i) => expect(loss).toBeCloseTo(finals(results)[i]!, 5));
    expect(errors).toEqual([]);
    await context.close();
    timings.shareLinkRun = (Date.now() - t0) / 1000;
  }, 900_000);

  it('refuses a tampered, truncated or future-version link with a clear message and keeps the draft', async () => {
    const t0 = Date.now();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = await open(page, `${baseURL}/#/experiment`);
    await page.getByTestId('template').selectOption('staged-vs-direct.tiny');
    const before = await page.getByTestId('json-editor').inputValue();
    const hash = encodeShareLink(parseExperiment(BASE).config);
    const body = hash.slice(3);
    const flipped = body.slice(0, 20) + (body[20] === 'A' ? 'B' : 'A') + body.slice(21);
    const json = new TextEncoder().encode(JSON.stringify({ version: 2, name: 'from the future' }));
    const deflated = deflateSync(json);
    const future = new Uint8Array(deflated.length + 4);
    future.set(deflated);
    new DataView(future.buffer).setUint32(deflated.length, crc32(json));
    const futureBody = Buffer.from(future).toString('base64url');
    const cases: [string, RegExp][] = [
      [`#x=${flipped}`, /damaged|truncated/],
      [`#x=${body.slice(0, Math.floor(body.length / 2))}`, /damaged|truncated/],
      [`#x=${futureBody}`, /newer Lantern Studio/],
    ];
    for (const [bad, message] of cases) {
      await page.goto(`${baseURL}/${bad}`);
      await expect.poll(() => page.getByTestId('link-error').textContent()).toMatch(message);
      expect(await page.getByTestId('link-error').textContent()).toMatch(/Nothing was changed/);
      expect(await page.getByTestId('json-editor').inputValue()).toBe(before);
    }
    await page.screenshot({ path: '/tmp/studio-bad-link.png' });
    expect(errors).toEqual([]);
    await context.close();
    timings.badLinks = (Date.now() - t0) / 1000;
  });
});
