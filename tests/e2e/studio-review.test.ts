// The Review page in Chromium against the real server: ten pairs reviewed with the keyboard only
// (undo and a rewritten explanation included), every decision found again after a reload, the bulk
// table, and the seed set the orchestrator reads.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { openStudio, storedCounts, testText } from './helpers/studio.ts';

const text = testText;
const current = (page: Page) => page.getByTestId('focus-view').getAttribute('data-example');

/** Presses a key and waits until the focus view shows another pair. */
async function pressAndAdvance(page: Page, key: string): Promise<void> {
  const before = await current(page);
  await page.keyboard.press(key);
  await expect.poll(() => current(page)).not.toBe(before);
}

describe('Review page', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium({ webgpu: false })));
  afterAll(async () => browser?.close());

  it('reviews 10 pairs with the keyboard only, keeps every decision over a reload, and builds the seed set', async () => {
    const { context, page, errors } = await openStudio(browser, baseURL, '#/review');
    await page.getByTestId('review-empty').waitFor();
    await page.goto(`${baseURL}/#/data`);
    await page.getByTestId('demo-seed').fill('9');
    await page.getByTestId('demo-size').fill('12');
    await page.getByTestId('demo-load').click();
    await page.getByTestId('dataset-name').waitFor();
    await page.goto(`${baseURL}/#/teacher/demo-9-12`);
    await page.getByTestId('label-start').click();
    await page.locator('[data-testid="label-job"][data-status="done"]').waitFor();
    await page.getByTestId('to-review').click();
    await page.getByTestId('focus-view').waitFor();
    expect(await text(page, 'count-pending')).toBe('12');
    expect(await text(page, 'queue-position')).toBe('Pair 1 of 12');

    const expected = new Map<string, { decision: string; fixedLabel?: string; fixedExplanation?: string }>();
    const decide = async (key: string, decision: string) => {
      expected.set((await current(page))!, { decision });
      await pressAndAdvance(page, key);
    };
    await decide('Enter', 'accepted');
    await decide('Enter', 'accepted');
    await decide('x', 'rejected');

    // A fixed label: 1/2/3 pick another level than the teacher's, Enter saves it as a fix.
    const teacherLabel = (await page.locator('[data-testid^="set-"][aria-pressed="true"]').getAttribute('data-testid'))!.replace('set-', '');
    const [key, fixedLabel] = teacherLabel === 'low' ? ['3', 'high'] : ['1', 'low'];
    await page.keyboard.press(key);
    expected.set((await current(page))!, { decision: 'fixed', fixedLabel });
    await pressAndAdvance(page, 'Enter');

    // A fixed explanation: E edits, Escape leaves the field, Enter saves.
    await page.keyboard.press('e');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('explanation');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Meets the core skills but the posting asks for more years than the profile shows.');
    await page.keyboard.press('Escape');
    expected.set((await current(page))!, { decision: 'fixed', fixedExplanation: 'Meets the core skills but the posting asks for more years than the profile shows.' });
    await pressAndAdvance(page, 'Enter');

    // Accept, then undo it (back to that pair, pending again) and reject it instead.
    const sixth = (await current(page))!;
    await pressAndAdvance(page, 'Enter');
    await page.keyboard.press('u');
    await expect.poll(() => current(page)).toBe(sixth);
    expect(await page.getByTestId('focus-view').getAttribute('data-state')).toBe('pending');
    await decide('x', 'rejected');

    // Skip one with Space, decide the next, then come back with ← to decide the skipped one.
    const skipped = (await current(page))!;
    await pressAndAdvance(page, ' ');
    await decide('Enter', 'accepted');
    await pressAndAdvance(page, 'ArrowLeft');
    await pressAndAdvance(page, 'ArrowLeft');
    expect(await current(page)).toBe(skipped);
    await decide('Enter', 'accepted');
    // → moves on past the pair decided before; two more accepts make ten decisions.
    await pressAndAdvance(page, 'ArrowRight');
    await decide('Enter', 'accepted');
    await decide('Enter', 'accepted');
    expect(expected.size).toBe(10);
    const counts = { pending: '2', accepted: '6', fixed: '2', rejected: '2' };
    for (const [k, v] of Object.entries(counts)) expect(await text(page, `count-${k}`)).toBe(v);

    // A reload finds every decision, in the counts, in the table and in IndexedDB.
    await page.reload();
    await page.getByTestId('review-counts').waitFor();
    for (const [k, v] of Object.entries(counts)) expect(await text(page, `count-${k}`)).toBe(v);
    const stored = await page.evaluate(
      () =>
        new Promise<{ exampleId: string; decision: string; fixedLabel?: string; fixedExplanation?: string }[]>((resolve) => {
          indexedDB.open('lantern-studio').onsuccess = (e) => {
            const r = (e.target as IDBOpenDBRequest).result.transaction('reviews').objectStore('reviews').getAll();
            r.onsuccess = () => resolve(r.result);
          };
        }),
    );
    expect(stored).toHaveLength(10);
    for (const r of stored) expect({ decision: r.decision, fixedLabel: r.fixedLabel, fixedExplanation: r.fixedExplanation }).toEqual({ fixedLabel: undefined, fixedExplanation: undefined, ...expected.get(r.exampleId) });
    await page.getByTestId('mode-table').click();
    await page.getByTestId('bulk-table').waitFor();
    for (const [id, e] of expected) {
      expect(await page.locator(`[data-testid="bulk-row"][data-id="${id}"] [data-testid="bulk-decision"]`).textContent()).toMatch(new RegExp(`^${e.decision}`));
    }

    // Bulk: select the two pending pairs with a shift-click range and accept them.
    await page.getByTestId('bulk-show').selectOption('pending');
    const boxes = page.locator('[data-testid="bulk-row"] input[type="checkbox"]');
    await boxes.nth(0).click();
    await boxes.nth(1).click({ modifiers: ['Shift'] });
    expect(await text(page, 'bulk-selected')).toBe('2 selected');
    await page.getByTestId('bulk-accept').click();
    await expect.poll(() => text(page, 'count-pending')).toBe('0');
    expect(await text(page, 'count-accepted')).toBe('8');

    // The seed set: accepted + fixed = 10 pairs, written as the dataset's seed split.
    expect(await text(page, 'seed-preview')).toMatch(/Would hold 10 pairs .* of the 10 accepted or fixed/);
    await page.getByTestId('seed-build').click();
    await expect.poll(() => text(page, 'seed-size')).toBe('10');
    expect((await storedCounts(page, 'demo-9-12')).seed).toBe(10);
    // Capped and balanced: the stored split follows the choice.
    await page.getByTestId('seed-max').fill('6');
    await page.getByTestId('seed-balance').check();
    const preview = (await text(page, 'seed-preview'))!;
    const size = Number(/Would hold (\d+) pairs/.exec(preview)![1]);
    const [, low, medium, high] = /low (\d+) · medium (\d+) · high (\d+)/.exec(preview)!.map(Number);
    expect(low).toBe(medium);
    expect(medium).toBe(high);
    expect(size).toBeLessThanOrEqual(6);
    await page.getByTestId('seed-build').click();
    await expect.poll(() => text(page, 'seed-size')).toBe(String(size));
    expect((await storedCounts(page, 'demo-9-12')).seed).toBe(size);

    // A second tab on the same dataset: a decision made there shows here without a reload.
    const other = await context.newPage();
    await other.goto(`${baseURL}/#/review/demo-9-12?view=table`);
    await other.getByTestId('bulk-table').waitFor();
    await other.getByTestId('bulk-show').selectOption('accepted');
    await other.locator('[data-testid="bulk-row"] input[type="checkbox"]').first().click();
    await other.getByTestId('bulk-reject').click();
    await expect.poll(() => text(page, 'count-rejected')).toBe('3');
    expect(await text(page, 'count-accepted')).toBe('7');
    expect(errors).toEqual([]);
    await context.close();
  });
});
