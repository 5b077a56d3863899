// The Data page in Chromium against the real server: an empty profile lands on it, the demo loads,
// a CSV with bad rows is reported before anything is written, and the store's state survives reloads.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { csvWithThreeBadRows, openStudio, storedCounts } from './helpers/studio.ts';

describe('Data page', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium({ webgpu: false })));
  afterAll(async () => browser?.close());

  it('lands an empty profile on the empty Data page, loads the demo and browses it', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL);
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByRole('link', { name: 'Data' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('empty-state').textContent()).toMatch(/No datasets yet — load the demo or import a file/);

    await page.getByTestId('demo-seed').fill('5');
    await page.getByTestId('demo-size').fill('24');
    await page.getByTestId('demo-load').click();
    await page.getByTestId('dataset-name').waitFor();
    expect(page.url()).toContain('#/data/demo-5-24');
    expect(await page.getByTestId('dataset-name').textContent()).toBe('Demo (seed 5, 24 pairs)');
    expect(await page.getByTestId('dataset-size').textContent()).toBe('24');
    expect(await page.getByTestId('dataset-hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.getByTestId('examples-count').textContent()).toBe('Showing 24 of 24 pairs');
    // Not labelled yet: the label chart counts every pair as "no label".
    expect(await page.locator('[data-testid="chart-labels"] svg').getAttribute('aria-label')).toMatch(/low 0, medium 0, high 0, no label 24/);

    // Search and filters narrow the table, and the filter is in the link.
    await page.getByTestId('examples-search').fill('nurse');
    // The table filters once typing pauses.
    await expect.poll(() => page.getByTestId('examples-count').textContent()).not.toBe('Showing 24 of 24 pairs');
    const narrowed = await page.getByTestId('examples-count').textContent();
    expect(narrowed).toMatch(/^Showing \d+ of 24 pairs$/);
    expect(narrowed).not.toBe('Showing 24 of 24 pairs');
    expect(page.url()).toContain('q=nurse');
    await page.getByTestId('examples-search').fill('');
    await expect.poll(() => page.getByTestId('examples-count').textContent()).toBe('Showing 24 of 24 pairs');

    // One pair in detail: job and profile side by side, the kept requirement sections marked.
    const first = page.getByTestId('example-row').first();
    const id = await first.getAttribute('data-id');
    await first.click();
    await page.getByTestId('pair-detail').waitFor();
    expect(await page.getByTestId('pair-detail').textContent()).toContain(id!);
    expect(await page.locator('[data-testid="job-description"] [data-kept="true"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="job-description"] [data-kept="false"]').count()).toBeGreaterThan(0);

    // Deep link and reload: the same pair opens again; Back returns to the list.
    await page.reload();
    await page.getByTestId('pair-detail').waitFor();
    expect(await page.getByTestId('pair-detail').textContent()).toContain(id!);
    await page.getByRole('link', { name: '← All datasets' }).click();
    await page.getByTestId('dataset-list').waitFor();
    expect(await page.getByTestId('dataset-row').count()).toBe(1);
    await page.goBack();
    await page.getByTestId('dataset-name').waitFor();

    // Export JSONL: every pair, one JSON object a line.
    const download = page.waitForEvent('download');
    await page.getByTestId('export').click();
    const file = await download;
    const text = await (await file.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(24);
    expect(lines[0]).toMatchObject({ id: 'demo-5-00000', splits: ['raw'], labels: [], review: null });

    // Delete asks first, then removes everything.
    await page.getByTestId('delete').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('empty-state').waitFor();
    expect(await storedCounts(page, 'demo-5-24')).toMatchObject({ datasets: 0, examples: 0 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('reports the three bad rows of a CSV before writing; cancel writes nothing, importing the valid rows writes the rest', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/data');
    const { csv, badLines } = csvWithThreeBadRows(20);
    await page.getByTestId('file-input').setInputFiles({ name: 'pairs.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('mapping').waitFor();
    // The mapping is suggested from the header names; the preview shows the first rows.
    expect(await page.getByTestId('map-job.title').inputValue()).toBe('job_title');
    expect(await page.getByTestId('map-job.remotePolicy').inputValue()).toBe('remote');
    expect(await page.getByTestId('map-profile.headline').inputValue()).toBe('headline');
    expect(await page.locator('[data-testid="preview-table"] tbody tr').count()).toBe(5);
    await page.getByTestId('import-check').click();
    await page.getByTestId('bad-rows').waitFor();
    expect(await page.getByTestId('check-summary').textContent()).toMatch(/20 of 23 rows are valid.*3 rows have problems/s);
    const reported = await page.getByTestId('bad-row').allTextContents();
    expect(reported).toHaveLength(3);
    badLines.forEach((line, i) => expect(reported[i]).toMatch(new RegExp(`^${line}`)));
    expect(reported[0]).toMatch(/job\.title/);
    expect(reported[1]).toMatch(/remotePolicy.*sometimes/);
    expect(reported[2]).toMatch(/years/);

    await page.getByTestId('import-cancel').click();
    expect(await page.getByTestId('import-notice').textContent()).toMatch(/nothing was written/);
    expect(await storedCounts(page)).toMatchObject({ datasets: 0, examples: 0 });

    // Drag and drop the same file this time, then import the valid rows.
    const transfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'pairs.csv', { type: 'text/csv' }));
      return dt;
    }, csv);
    await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer: transfer });
    await page.getByTestId('import-check').click();
    await page.getByTestId('import-commit').click();
    await page.getByTestId('dataset-name').waitFor();
    expect(await page.getByTestId('dataset-name').textContent()).toBe('pairs');
    expect(await page.getByTestId('dataset-size').textContent()).toBe('20');
    const datasetId = decodeURIComponent(page.url().split('#/data/')[1]!.split('?')[0]!);
    expect(await storedCounts(page, datasetId)).toMatchObject({ datasets: 1, examples: 20 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses a file of the wrong type in words; a file that is not UTF-8 names its rows and reads as Windows-1252 on request; nothing is written', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/data');
    await page.getByTestId('file-input').setInputFiles({ name: 'pairs.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from('PK\x03\x04') });
    expect(await page.getByTestId('import-error').textContent()).toMatch(/is a \.xlsx file.*CSV UTF-8/);
    await page.getByTestId('file-input').setInputFiles({ name: 'latin1.csv', mimeType: 'text/csv', buffer: Buffer.from([0x69, 0x64, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]) });
    expect(await page.getByTestId('not-utf8').textContent()).toMatch(/^1 row is not UTF-8 text.*Windows-1252/);
    await page.getByTestId('import-encoding').selectOption('windows-1252');
    await expect.poll(() => page.getByTestId('import-panel').textContent()).toContain('Read as windows-1252');
    expect(await page.getByTestId('import-panel').textContent()).toContain('café');
    expect(await page.getByTestId('not-utf8').count()).toBe(0);
    await page.getByTestId('import-cancel').first().click();
    expect(await storedCounts(page)).toMatchObject({ datasets: 0 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says so in words when the browser storage is full, and saves nothing', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/data');
    await page.getByTestId('empty-state').waitFor();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL).origin, quotaSize: 2 * 1024 * 1024 });
    await page.getByTestId('demo-size').fill('2000');
    await page.getByTestId('demo-load').click();
    await page.getByTestId('demo-message').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('demo-message').textContent()).toMatch(/ran out of storage.*nothing was saved.*Free space/);
    expect(await storedCounts(page)).toMatchObject({ datasets: 0, examples: 0 });
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL).origin });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('tells a tab that another tab upgraded the saved data to reload, instead of failing silently', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/data');
    await page.getByTestId('empty-state').waitFor();
    const other = await context.newPage();
    await other.goto(`${baseURL}/#/system`);
    // A newer studio version in the other tab opens the database with a higher version.
    await other.evaluate(() => new Promise((resolve) => (indexedDB.open('lantern-studio', 99).onsuccess = resolve)));
    await page.getByTestId('store-closed').waitFor();
    expect(await page.getByTestId('store-closed').textContent()).toMatch(/updated in another tab.*reload it/);
    expect(errors).toEqual([]);
    await context.close();
  });
});
