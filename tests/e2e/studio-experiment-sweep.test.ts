// Studio II's compare view on a real sweep (two divergences × two seeds, tiny, in the trainer
// worker): the runs table, grouping and the loss-sweep paper view show exactly the numbers of the
// sweep's results.json (means and 95% CIs from the sweep code).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { runArtifact } from '../helpers/studio-db.ts';
import type { SweepResults } from '../../src/experiment/run/sweep.ts';
import { formatSummary } from '../../src/app/lib/paper-views.ts';
import { formatCell } from '../../src/app/lib/runs-table.ts';

const SWEEP = {
  version: 1,
  name: 'loss sweep (e2e)',
  seed: 1,
  // On WebGPU (SwiftShader here), so the page can be watched between the sweep's runs; on the
  // WASM backend ('auto' here) the four runs are over in a few seconds.
  engine: 'webgpu',
  dataset: { demo: { seed: 2, n: 16 }, split: { train: 0.75, val: 0, test: 0.25 } },
  inHouseTeacher: { preset: 'tiny', steps: 2, batchSize: 2, maxSeqLen: 96, evalEvery: 0 },
  synthetic: { maxNewTokens: 6 },
  eval: { maxNewTokens: 6, metrics: ['rouge', 'consistency', 'hallucination'] },
  stages: [{ id: 'explainer', task: 'explain', student: { preset: 'tiny' }, steps: 3, batchSize: 2, maxSeqLen: 96, evalEvery: 0, loss: { wCe: 0.5, wKd: 1 } }],
  sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['fkl', 'tvd'] }], seeds: [1, 2] },
};

describe('Studio II: compare a sweep', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => browser?.close());

  it('runs a 2-divergence × 2-seed sweep; the table and the loss-sweep view show results.json\'s numbers', async () => {
    const t0 = Date.now();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseURL}/#/experiment`);
    await page.getByTestId('json-editor').fill(JSON.stringify(SWEEP, null, 2));
    // The sweep builder shows what the sweep expands to.
    await expect.poll(() => page.getByTestId('run-count').first().textContent()).toBe('4 runs');
    expect(await page.locator('[data-testid="sweep-param-0"] input').nth(1).inputValue()).toBe('fkl, tvd');
    expect(await page.getByTestId('sweep-seeds').inputValue()).toBe('1, 2');
    await page.getByTestId('run').click();
    await page.waitForURL(/#\/runs\/[\w-]+$/);
    const runId = decodeURIComponent(page.url().split('/').at(-1)!);
    await expect.poll(() => page.getByTestId('sweep-progress').textContent(), { timeout: 300_000 }).toMatch(/Sweep run [2-4] of 4/);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 900_000, interval: 2000 }).toBe('done');
    const runSeconds = (Date.now() - t0) / 1000;
    const sweep = JSON.parse((await runArtifact(page, runId, 'results.json'))!) as SweepResults;
    expect(sweep.rows.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);

    await page.getByTestId('open-compare').click();
    const table = page.getByTestId('runs-table');
    await table.waitFor();
    // One row per run, every metric of results.json in its column.
    for (const row of sweep.rows) {
      const tr = table.locator(`tr[data-row="${row.id}"]`);
      expect(await tr.locator('td[data-key="stages.0.loss.divergence"]').textContent()).toBe(String(row.assignments['stages.0.loss.divergence']));
      for (const key of ['explainer.rougeL', 'explainer.finalLoss', 'teacher.rouge1']) expect(await tr.locator(`td[data-key="${key}"]`).textContent()).toBe(formatCell(row.metrics[key]));
    }
    // Filtering by a parameter.
    await page.getByTestId('filter-stages.0.loss.divergence').selectOption('"tvd"');
    expect(await page.getByTestId('rows-shown').textContent()).toMatch(/^2 of 4/);
    await page.getByTestId('filter-stages.0.loss.divergence').selectOption('');
    // Grouped by the divergence: the aggregate's mean [95% CI] per group.
    await page.getByTestId('group-by').selectOption('stages.0.loss.divergence');
    for (const g of sweep.aggregate) {
      const cell = table.locator(`tr[data-group="divergence=${g.assignments['stages.0.loss.divergence']}"] td[data-key="explainer.rougeL"]`);
      expect(await cell.textContent()).toBe(formatSummary(g.metrics['explainer.rougeL']!));
    }
    // The paper view: divergence × ROUGE with mean and CI over the seeds, from results.json.
    const paper = page.getByTestId('paper-loss-sweep');
    for (const g of sweep.aggregate) {
      for (const m of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']) {
        const text = await paper.locator(`tr[data-group="${g.group}"] td[data-key="explainer.${m}"]`).textContent();
        expect(text!.replace(/\s*★$/, '')).toBe(formatSummary(g.metrics[`explainer.${m}`]!));
        expect(g.metrics[`explainer.${m}`]!.n).toBe(2);
      }
    }
    await page.getByTestId('grouped-curves').waitFor();
    await page.screenshot({ path: '/tmp/studio-compare.png', fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
    console.log(`studio-experiment-sweep e2e: sweep ran in ${runSeconds.toFixed(0)} s, whole test ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }, 1_200_000);
});
