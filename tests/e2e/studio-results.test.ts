// Results files in the studio, in Chromium against the real server: a published result
// (docs/results/*.json, bundled) opens in Compare with the figures docs/results.md reports, and a
// results.json picked from disk becomes an imported run (a broken one is refused and stores nothing).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { launchChromium } from '../helpers/chromium.ts';
import { runRecord } from '../helpers/studio-db.ts';
import { openStudio } from './helpers/studio.ts';

const DOCS = new URL('../../docs/results/', import.meta.url);
const SHOTS = process.env.LANTERN_SHOTS_DIR;

/** The demo classifier's macro-F1 cell as docs/results.md's demo table reports it ("0.863 [0.803, 0.913]"). */
function demoClassifierMacroF1(): string {
  const md = readFileSync(new URL('../results.md', DOCS), 'utf8');
  const row = md.split('\n').find((l) => l.startsWith('| classifier (student, tiny, from seed) |'));
  if (!row) throw new Error('docs/results.md has no demo classifier row');
  return row.split('|').map((c) => c.trim()).filter(Boolean).at(-1)!;
}

describe('results files in the studio', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium({ webgpu: false })));
  afterAll(async () => browser?.close());

  it('opens a published result in Compare with its tables', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/compare');
    const chunks: string[] = [];
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (/^\/assets\/(demo|staged-vs-direct|sweep-losses)[\w.-]*\.js$/.test(path)) chunks.push(path);
    });
    await page.getByTestId('published-results').waitFor();
    // The files are not read until opened.
    expect(chunks).toEqual([]);
    await page.locator('[data-published="staged-vs-direct.laptop"] a').click();
    await page.getByTestId('published-note').waitFor();
    expect(page.url()).toContain('#/compare?published=staged-vs-direct.laptop');
    expect(await page.getByTestId('published-note').textContent()).toContain('npx lantern run examples/staged-vs-direct.laptop.json');
    // The paired difference docs/results.md reports: staged − direct ROUGE-L −0.001 [−0.015, +0.014].
    const diff = page.getByTestId('difference');
    expect(await diff.locator('td').nth(2).textContent()).toBe('-0.001 [-0.015, 0.014]');
    expect(await diff.locator('th').textContent()).toBe('small-staged − small-direct');
    // An interval that holds 0: neither chain is marked best.
    expect(await page.getByTestId('paper-staged').locator('td.best').count()).toBe(0);
    // Beside the baselines: the template baseline's ROUGE-L over the 3 seeds.
    const template = page.locator('[data-testid="metric-table-explainer"] tr[data-row="baseline: template"] td[data-column="ROUGE-L"]');
    expect(await template.textContent()).toBe('0.362 [0.360, 0.364]');
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/compare-staged-vs-direct.png`, fullPage: true });
    // Its own chunk, which the service worker precaches (so it opens offline).
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatch(/^\/assets\/staged-vs-direct\.laptop-/);
    expect(await (await page.request.get(`${baseURL}/sw.js`)).text()).toContain(chunks[0]!.slice(1));

    // The demo run, a single run: its intervals are over the 160 test pairs.
    await page.goto(`${baseURL}/#/compare?published=demo`);
    const classifier = page.locator('[data-testid="metric-table-classifier"] tr[data-row="classifier (student, tiny, from seed)"] td[data-column="macro-F1"]');
    await classifier.waitFor();
    expect(await classifier.textContent()).toBe(demoClassifierMacroF1());
    expect(await page.getByTestId('metric-table-classifier').textContent()).toContain('160 test pairs');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('imports a results file from disk as a run, and refuses a broken one', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/compare');
    const input = page.getByTestId('results-file');
    await page.getByTestId('open-results').waitFor();

    await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "lantern-sweep-results", "rows": [') });
    await page.getByTestId('results-file-error').waitFor();
    expect(await page.getByTestId('results-file-error').textContent()).toMatch(/^broken\.json: not a results file: /);
    expect(page.url()).toMatch(/#\/compare$/);

    await input.setInputFiles({ name: 'sweep.json', mimeType: 'application/json', buffer: readFileSync(new URL('sweep-losses.laptop.json', DOCS)) });
    await page.getByTestId('imported-note').waitFor();
    const runId = decodeURIComponent(page.url().split('#/compare/')[1]!);
    expect(await page.getByTestId('imported-note').textContent()).toContain('sweep.json');
    // The loss sweep as docs/results.md reports it: TVD's ROUGE-L, and forward KL best.
    const sweep = page.getByTestId('paper-loss-sweep');
    expect(await sweep.locator('tr[data-group="divergence=tvd"] td[data-key="explainer.rougeL"]').textContent()).toBe('0.002 [0.001, 0.003]');
    expect(await sweep.locator('tr[data-group="divergence=fkl"] td[data-key="explainer.rougeL"]').textContent()).toBe('0.265 [0.197, 0.333]★');

    const record = await runRecord<{ status: string; imported?: { file: string }; name?: string }>(page, runId);
    expect(record).toMatchObject({ status: 'done', imported: { file: 'sweep.json' } });
    // Listed as imported; its run view says what it lacks; Export does not offer it.
    await page.goto(`${baseURL}/#/runs`);
    await page.locator(`tr[data-run="${runId}"] [data-testid="list-imported"]`).waitFor();
    await page.goto(`${baseURL}/#/runs/${runId}`);
    expect(await page.getByTestId('run-imported').textContent()).toContain('no checkpoints');
    // Evaluate needs the runs' own answers, which a sweep's file does not hold: it says where they are.
    await page.goto(`${baseURL}/#/evaluate/${runId}`);
    expect(await page.getByRole('alert').textContent()).toMatch(/open its own results\.json \(runs\/divergence-fkl_seed-1\/results\.json/);
    await page.goto(`${baseURL}/#/export`);
    await page.getByTestId('no-runs').waitFor();

    // A single run's file: Evaluate reads its kept answers (the demo's pairs are regenerated from its seed).
    await page.goto(`${baseURL}/#/compare`);
    await page.getByTestId('results-file').setInputFiles({ name: 'demo.json', mimeType: 'application/json', buffer: readFileSync(new URL('demo.json', DOCS)) });
    await page.getByTestId('imported-note').waitFor();
    const demoId = decodeURIComponent(page.url().split('#/compare/')[1]!);
    await page.goto(`${baseURL}/#/runs/${demoId}`);
    await page.getByTestId('open-evaluate').click();
    await page.getByTestId('explainer-eval').waitFor();
    expect(await page.getByTestId('explainer-eval').textContent()).toContain('n = 160');
    expect(errors).toEqual([]);
    await context.close();
  });
});
