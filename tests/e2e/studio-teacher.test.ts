// The Teacher page in Chromium against the real server: label pairs with the offline teacher,
// cancel half way, resume for free; the decomposed chain step by step; an OpenAI-compatible
// teacher (a fake upstream) whose failures are listed and retried and whose second pass comes
// entirely from the server's cache.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { launchChromium } from '../helpers/chromium.ts';
import { buildServer } from '../../server/app.ts';
import { FakeUpstream } from '../server/helpers/fake-upstream.ts';
import { TEST_KEY, teacherOptions, tempDir } from '../server/helpers/teacher-server.ts';
import { openStudio, storedCounts, testText } from './helpers/studio.ts';

async function loadDemo(page: Page, seed: number, n: number): Promise<string> {
  await page.getByTestId('demo-seed').fill(String(seed));
  await page.getByTestId('demo-size').fill(String(n));
  await page.getByTestId('demo-load').click();
  await page.getByTestId('dataset-name').waitFor();
  return `demo-${seed}-${n}`;
}

const text = testText;

describe('Teacher page', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium({ webgpu: false })));
  afterAll(async () => browser?.close());

  it('labels 30 pairs with the offline teacher; cancel keeps what is done, and resuming sends only the rest', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/data');
    const datasetId = await loadDemo(page, 7, 30);
    await page.getByTestId('to-teacher').click();
    await page.getByTestId('teacher-info').waitFor();
    expect(await text(page, 'teacher-provider')).toMatch(/^offline/);
    expect(await text(page, 'teacher-model')).toBe('lantern-rule-based-teacher-v1');

    // Requests of 5 pairs; the 4th request hangs (a slow teacher) until Cancel is pressed.
    await page.getByTestId('chunk-size').fill('5');
    let requests = 0;
    let releaseHeld!: () => void;
    const held = new Promise<void>((r) => (releaseHeld = r));
    let fourthArrived!: () => void;
    const fourth = new Promise<void>((r) => (fourthArrived = r));
    await page.route('**/api/teacher/label', async (route) => {
      if (++requests <= 3) return route.continue();
      fourthArrived();
      await held;
      await route.abort();
    });
    expect(await text(page, 'label-start')).toBe('Label 30 pairs');
    await page.getByTestId('label-start').click();
    await fourth;
    await expect.poll(() => text(page, 'count-labelled')).toBe('15');
    await page.getByTestId('label-cancel').click();
    releaseHeld();
    await page.locator('[data-testid="label-job"][data-status="cancelled"]').waitFor();
    expect(await text(page, 'label-progress')).toMatch(/15 of 30 pairs — Cancelled/);
    expect((await storedCounts(page, datasetId)).labels).toBe(15);
    await page.unroute('**/api/teacher/label');

    // Again: the 15 labelled pairs are kept (not sent), the other 15 are labelled.
    await expect.poll(() => text(page, 'label-start')).toBe('Label 15 pairs');
    expect(await text(page, 'subset-summary')).toMatch(/15 already have a label from this teacher and are kept/);
    await page.getByTestId('label-start').click();
    await page.locator('[data-testid="label-job"][data-status="done"]').waitFor();
    expect(await text(page, 'count-skipped')).toBe('15');
    expect(await text(page, 'count-labelled')).toBe('15');
    expect(await text(page, 'count-requests')).toBe('0');
    expect(await text(page, 'count-tokens')).toBe('0');
    expect(await text(page, 'count-errors')).toBe('0');
    expect((await storedCounts(page, datasetId)).labels).toBe(30);
    // The same set once more costs nothing at all: there is nothing left to send.
    expect(await text(page, 'label-start')).toBe('Nothing to label');
    expect(requests).toBe(4);

    // One pair's chain, step by step.
    await page.getByTestId('chain-pair').selectOption(`demo-7-00004`);
    await page.getByTestId('chain-view').waitFor();
    expect(page.url()).toContain(`#/teacher/${datasetId}/demo-7-00004`);
    const steps: string[] = [];
    let probs: string | null = null;
    for (let i = 0; i < 5; i++) {
      steps.push((await text(page, 'chain-step'))!);
      if (i === 3) probs = await page.locator('[data-testid="chain-probs"] svg').getAttribute('aria-label');
      if (i < 4) await page.getByTestId('chain-next').click();
    }
    expect(steps[0]).toMatch(/^1\. What the job requires.*must have/s);
    expect(steps[1]).toMatch(/^2\. What the candidate brings/);
    expect(steps[2]).toMatch(/^3\. Each requirement against the profile.*(met|partly met|missing)/s);
    expect(steps[3]).toMatch(/^4\. The rating\s*Fit: (low|medium|high)/);
    expect(probs).toMatch(/low \d+, medium \d+, high \d+/);
    expect(steps[4]).toMatch(/^5\. The explanation/);
    expect(await page.getByTestId('chain-back').isEnabled()).toBe(true);
    expect(await page.getByTestId('chain-next').isEnabled()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  describe('with an OpenAI-compatible teacher', () => {
    let fake: FakeUpstream;
    let server: FastifyInstance;
    let url: string;
    let cache: ReturnType<typeof tempDir>;
    beforeAll(async () => {
      fake = await new FakeUpstream().start();
      cache = tempDir();
      server = await buildServer({ distDir: new URL('../../dist/', import.meta.url).pathname, teacher: teacherOptions(cache.dir, fake.url).options });
      url = await server.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => {
      await server?.close();
      await fake?.stop();
      cache?.remove();
    });

    it('shows it without its key, lists failed pairs and retries them, and relabels from the cache for free', async () => {
      const { context, page, errors } = await openStudio(browser, url, '#/data');
      const datasetId = await loadDemo(page, 8, 6);
      await page.goto(`${url}/#/teacher/${datasetId}`);
      await page.getByTestId('teacher-info').waitFor();
      expect(await text(page, 'teacher-provider')).toMatch(/^openai/);
      expect(await text(page, 'teacher-model')).toBe('fake-model');
      expect(await page.content()).not.toContain(TEST_KEY);

      // Every explanation request fails: each pair is reported, nothing is stored for it.
      fake.failNext('500', 10_000, 'explain');
      await page.getByTestId('label-start').click();
      await page.locator('[data-testid="label-job"][data-status="done"]').waitFor();
      expect(await text(page, 'count-errors')).toBe('6');
      expect(await text(page, 'label-errors')).toMatch(/gave up after 4 attempts/);
      expect((await storedCounts(page, datasetId)).labels).toBe(0);

      // Retry once the teacher is healthy: the earlier steps come from the cache, only explanations are asked.
      fake.clearFaults();
      const before = fake.requests.length;
      await page.getByTestId('label-retry').click();
      await page.locator('[data-testid="label-job"][data-status="done"]').waitFor();
      expect(await text(page, 'count-labelled')).toBe('6');
      expect(await text(page, 'count-errors')).toBe('0');
      expect(fake.requests.slice(before).every((r) => r.step === 'explain')).toBe(true);
      expect(Number(await text(page, 'count-tokens'))).toBeGreaterThan(0);
      expect((await storedCounts(page, datasetId)).labels).toBe(6);

      // Label the same set again: every pair is answered from the server's cache, no request, no token.
      const beforeRelabel = fake.requests.length;
      await page.getByTestId('relabel').check();
      await page.getByTestId('label-start').click();
      await page.locator('[data-testid="label-job"][data-status="done"]').waitFor();
      expect(await text(page, 'count-cached')).toBe('6');
      expect(await text(page, 'count-requests')).toBe('0');
      expect(await text(page, 'count-tokens')).toBe('0');
      expect(fake.requests.length).toBe(beforeRelabel);
      expect(errors).toEqual([]);
      await context.close();
    });
  });
});
