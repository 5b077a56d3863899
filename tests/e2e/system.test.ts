import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';

describe('System page', () => {
  const baseURL = inject('baseURL');

  describe('with WebGPU', () => {
    let browser: Browser;
    beforeAll(async () => (browser = await launchChromium({ webgpu: true })));
    afterAll(async () => browser?.close());

    it('shows the adapter, limits and features read inside the trainer worker', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(baseURL + '/#/system');
      await page.getByTestId('adapter').waitFor({ timeout: 60_000 });
      // A real adapter names its vendor (SwiftShader here: "google" / "swiftshader").
      expect((await page.getByTestId('vendor').textContent())?.trim()).not.toMatch(/^(—|)$/);
      const limits = await page.getByTestId('limits').textContent();
      for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup']) {
        expect(limits).toContain(name);
      }
      const features = await page.getByTestId('features').textContent();
      for (const name of ['shader-f16', 'subgroups', 'timestamp-query']) expect(features).toContain(name);
      // The worker, not the page, asked for the adapter: the page's navigator.gpu was never touched
      // by our code, and the worker script was loaded.
      const workerUrls = page.workers().map((w) => w.url());
      expect(workerUrls.some((u) => u.includes('trainer.worker'))).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('trains on the WASM backend here, chosen because the adapter is SwiftShader, on threads the isolated page allows', async () => {
      const page = await browser.newPage();
      await page.goto(baseURL + '/#/system');
      const panel = page.getByTestId('backend');
      await panel.waitFor({ timeout: 60_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await panel.locator('h2').textContent()).toBe('Students train on WASM SIMD');
      expect(await page.getByTestId('backend-reason').textContent()).toMatch(/software fallback \(google · swiftshader.*\): WASM SIMD on the same cores is faster/);
      // One thread per core here (2), each a worker of its own.
      const threads = Number((await page.getByTestId('backend-threads').textContent())!.match(/^\s*(\d+) thread/)![1]);
      expect(threads).toBeGreaterThanOrEqual(2);
      await expect.poll(() => page.workers().length).toBeGreaterThanOrEqual(threads);
      await page.close();
    });

    it('serves client-side routes and keeps unknown API paths as JSON 404s', async () => {
      const page = await browser.newPage();
      const res = await page.goto(baseURL + '/#/system');
      expect(res?.status()).toBe(200);
      await expect(page.getByRole('link', { name: 'System' }).getAttribute('aria-current')).resolves.toBe('page');
      const api = await page.request.get(baseURL + '/api/nope');
      expect(api.status()).toBe(404);
      expect((await api.json()).error).toMatch(/No route/);
      const health = await page.request.get(baseURL + '/api/health');
      expect(await health.json()).toMatchObject({ ok: true });
      await page.close();
    });
  });

  describe('without WebGPU', () => {
    let browser: Browser;
    beforeAll(async () => (browser = await launchChromium({ webgpu: false })));
    afterAll(async () => browser?.close());

    it('says so plainly and tells the user what to do, without crashing', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(baseURL + '/#/system');
      const panel = page.getByTestId('webgpu-missing');
      await panel.waitFor({ timeout: 60_000 });
      const text = await panel.textContent();
      expect(text).toContain('WebGPU is not available');
      expect(text).toMatch(/Chrome|Chromium/);
      expect(text).toContain('--enable-unsafe-webgpu');
      // Students still train: on the CPU.
      expect(await page.getByTestId('backend').locator('h2').textContent()).toBe('Students train on WASM SIMD');
      expect(await page.getByTestId('backend-reason').textContent()).toMatch(/no WebGPU adapter/);
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
