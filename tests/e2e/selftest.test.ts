// The System page's self-test in Chromium: the trainer worker runs op checks and KD reference cases
// on the chosen backend (SwiftShader WebGPU, or WASM, which it picks by itself here) and the page
// lists every result.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';

// A subset keeps SwiftShader quick: a dense and a sparse KD kernel, CE, the optimizer, and three
// reference cases (dense T = 2, labels, sparse).
const SUBSET = '^(kdLoss fkl dense|kdLoss jsd sparse|crossEntropy|adamw 3 steps$|clipGradNorm above|kd-reference #(1|18|19) )';

describe('System page self-test', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium({ webgpu: true })));
  afterAll(async () => browser?.close());

  it.each(['wasm', 'webgpu'])('runs the selected checks on %s in the trainer worker and shows every one as ok', async (backend) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(baseURL + '/#/system');
    await page.getByTestId('adapter').waitFor({ timeout: 60_000 });
    // The backend experiments use here is preselected; the other one is a choice away.
    expect(await page.getByTestId('selftest-backend').inputValue()).toBe('wasm');
    await page.getByTestId('selftest-backend').selectOption(backend);
    await page.getByTestId('selftest-only').fill(SUBSET);
    await page.getByTestId('selftest-run').click();
    const summary = page.getByTestId('selftest-summary');
    await summary.waitFor({ timeout: 150_000 });
    expect((await summary.textContent())?.trim()).toBe('All 8 checks passed.');
    const rows = page.getByTestId('selftest-results').locator('tbody tr');
    expect(await rows.count()).toBe(8);
    const text = await page.getByTestId('selftest-results').textContent();
    for (const name of ['kdLoss fkl dense', 'kdLoss jsd sparse', 'crossEntropy', 'adamw', 'clipGradNorm above', 'kd-reference #1 ', 'kd-reference #18 ce', 'kd-reference #19 fkl sparse']) expect(text).toContain(name);
    expect(await rows.locator('td:last-child').allTextContents()).toEqual(Array(8).fill('ok'));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says so when the pattern is not a valid regular expression', async () => {
    const page = await browser.newPage();
    await page.goto(baseURL + '/#/system');
    await page.getByTestId('adapter').waitFor({ timeout: 60_000 });
    await page.getByTestId('selftest-only').fill('kdLoss(');
    await page.getByTestId('selftest-run').click();
    await expect(page.getByTestId('selftest-error').textContent()).resolves.toMatch(/not a valid pattern/);
    await page.close();
  });
});
