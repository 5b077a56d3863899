// The studio as an installable offline app, in Chromium against the shared server: one online visit
// installs the service worker and "Make available offline" saves the large files; then, with the
// network off and the server unreachable from this browser (the shared e2e server keeps serving the
// other test files, so this context's /api requests are aborted instead of stopping it), a reload
// still opens the studio, the rule-based teacher labels in the page, and a tiny experiment (whose
// teacher labels come from the trainer worker) runs to "done". Then a new version, deployed to a
// server of this file's own over a copy of the build (the service worker script with a comment
// appended: bytes are all the browser compares), waits until the user presses "Reload to update".
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.ts';
import { buildServer } from '../../server/app.ts';
import { storedCounts, testText } from './helpers/studio.ts';

const LONG = { timeout: 300_000 };

/** An explainer and a classifier from the seed set on the demo data with the offline teacher, as small as the schema allows to be useful. */
const TINY = {
  version: 1,
  name: 'offline (e2e)',
  seed: 5,
  dataset: { demo: { seed: 1, n: 16 }, split: { train: 0.75, val: 0, test: 0.25 } },
  teacher: { provider: 'offline' },
  inHouseTeacher: { preset: 'tiny', steps: 2, batchSize: 2, maxSeqLen: 96, evalEvery: 0 },
  synthetic: { maxNewTokens: 4 },
  eval: { maxNewTokens: 4, metrics: ['rouge', 'accuracy', 'macroF1'] },
  stages: [
    { id: 'mid', task: 'explain', student: { preset: 'tiny' }, steps: 2, batchSize: 2, maxSeqLen: 96, evalEvery: 0 },
    { id: 'classifier', task: 'classify', student: { preset: 'tiny' }, source: 'seed', steps: 2, batchSize: 2, maxSeqLen: 96, evalEvery: 0 },
  ],
};

/** Bytes held in each Cache Storage cache of this origin. */
function cacheSizes(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const out: Record<string, number> = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      let bytes = 0;
      for (const req of await cache.keys()) bytes += (await (await cache.match(req))!.blob()).size;
      out[name] = bytes;
    }
    return out;
  });
}

describe('Offline app (PWA)', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium({ webgpu: true })));
  afterAll(async () => browser?.close());

  it('opens, labels and trains with the network off and no server, after one visit and "Make available offline"', async () => {
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseURL}/#/system`);

    // The service worker installs and precaches the app shell on the first visit.
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.ready).active)).toBe(true);
    await page.getByTestId('offline-shell').waitFor();
    // Installable: Chromium finds nothing missing in the manifest, icons or service worker (a test
    // context is an incognito profile, which is never offered an install: that one is the profile's).
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
    const precached = await cacheSizes(page);
    const precache = Object.entries(precached).find(([name]) => name.startsWith('workbox-precache'));
    expect(precache?.[1]).toBeGreaterThan(0);

    // The large files: listed, downloaded with progress, then all saved.
    expect(await testText(page, 'offline-status')).toMatch(/MiB to download/);
    await page.getByTestId('offline-download').click();
    await expect.poll(() => testText(page, 'offline-status'), LONG).toMatch(/All large files are saved/);
    const sizes = await cacheSizes(page);
    expect(sizes['lantern-large-assets']).toBeGreaterThan(10 * 1024 * 1024);
    const usage = await testText(page, 'offline-usage');
    expect(usage).toMatch(/uses [\d.]+ [KMG]iB/);

    // No network, no server.
    await context.setOffline(true);
    await context.route('**/api/**', (route) => route.abort('internetdisconnected'));
    const t0 = Date.now();
    await page.reload();
    await page.getByTestId('offline-panel').waitFor();
    const offlineLoadMs = Date.now() - t0;
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

    // Demo data → the rule-based teacher, running in this page.
    await page.goto(`${baseURL}/#/data`);
    await page.getByTestId('demo-seed').fill('7');
    await page.getByTestId('demo-size').fill('12');
    await page.getByTestId('demo-load').click();
    await page.getByTestId('dataset-name').waitFor();
    await page.getByTestId('to-teacher').click();
    await page.getByTestId('teacher-local').waitFor();
    expect(await testText(page, 'teacher-answered-by')).toBe('this browser (no server)');
    expect(await testText(page, 'teacher-model')).toBe('lantern-rule-based-teacher-v1');
    await page.getByTestId('label-start').click();
    await page.locator('[data-testid="label-job"][data-status="done"]').waitFor();
    expect(await testText(page, 'count-labelled')).toBe('12');
    expect(await testText(page, 'count-errors')).toBe('0');
    expect((await storedCounts(page, 'demo-7-12')).labels).toBe(12);

    // A tiny experiment: its teacher labels come from the worker, its tokenizer from the cache.
    await page.goto(`${baseURL}/#/experiment`);
    await page.getByTestId('json-editor').fill(JSON.stringify(TINY, null, 2));
    await expect.poll(() => page.getByTestId('run').isDisabled()).toBe(false);
    await page.getByTestId('run').click();
    await page.waitForURL(/#\/runs\/[\w-]+$/);
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('done');

    expect(errors).toEqual([]);
    console.log('offline-app e2e:', JSON.stringify({ precacheBytes: precache?.[1], cacheBytes: sizes, offlineLoadMs, usage }));
    await context.close();
  }, 600_000);

  it('shows "Reload to update" for a new version and swaps only when it is pressed', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'lantern-dist-'));
    cpSync(fileURLToPath(new URL('../../dist/', import.meta.url)), dist, { recursive: true });
    const server = await buildServer({ distDir: dist });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/#/system`);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    expect(await page.getByTestId('update-prompt').count()).toBe(0);

    // "Deploy" a new version and let the browser look for it.
    appendFileSync(join(dist, 'sw.js'), '\n// the next version\n');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await page.getByTestId('update-prompt').waitFor();
    // It waits: the old version still controls the page until the user says so.
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())!.waiting)).toBe(true);
    expect(await page.getByTestId('update-reload').isEnabled()).toBe(true);

    await Promise.all([page.waitForEvent('load'), page.getByTestId('update-reload').click()]);
    await page.getByTestId('offline-panel').waitFor();
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.waiting)).toBeNull();
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    expect(await page.getByTestId('update-prompt').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
    await server.close();
    rmSync(dist, { recursive: true, force: true });
  }, 300_000);
});
