// The System page's "is this device fast enough?": the trainer worker measures the engine's matmul
// and training throughput on both backends (WASM SIMD and this WebGPU adapter), and the builder's
// time estimate uses the figures of the one experiments run on (WASM here: SwiftShader).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';

describe('Studio II: device speed', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => browser?.close());

  it('measures matmul GFLOP/s and training tokens/s on both backends in the worker, and the builder then estimates times', async () => {
    const t0 = Date.now();
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseURL}/#/system`);
    await page.getByTestId('speed-run').click();
    await page.getByTestId('speed-compare').waitFor({ timeout: 400_000 });
    for (const kind of ['wasm', 'webgpu']) {
      const text = (await page.getByTestId(`speed-figures-${kind}`).textContent())!;
      for (const size of [256, 512]) expect(text).toMatch(new RegExp(`matmul ${size}×${size}\\s*\\d+\\.\\d+ GFLOP/s`));
      const gflops = [...text.matchAll(/(\d+\.\d+) GFLOP\/s/g)].map((m) => Number(m[1]));
      expect(gflops.every((g) => g > 0)).toBe(true);
      expect(text).toMatch(/training, small encoder\s*[\d,]+ tokens\/s/);
      expect(text).toMatch(/training, small decoder\s*[\d,]+ tokens\/s/);
    }
    // The backend experiments use here is marked, and the two compared.
    expect(await page.getByText('WASM SIMD (what experiments use)').count()).toBe(1);
    expect(await page.getByTestId('speed-compare').textContent()).toMatch(/WASM against WebGPU: \d+\.\d× for the encoder, \d+\.\d× for the decoder/);
    // What it means for the shipped experiments, and the builder's estimate from the same figures.
    expect(await page.getByTestId('template-times').locator('tr').count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: '/tmp/studio-system.png', fullPage: true });
    await page.goto(`${baseURL}/#/experiment`);
    await page.getByTestId('template').selectOption('sweep-losses.tiny');
    await expect.poll(() => page.getByTestId('time-estimate').first().textContent()).toMatch(/\d+ (s|min|h)/);
    expect(errors).toEqual([]);
    await page.close();
    console.log(`studio-experiment-system e2e: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }, 600_000);
});
