// Shared steps of the studio page tests: a fresh browser profile per test, CSV fixtures, and
// reading the studio's IndexedDB from inside the page (what a reload would find).
import Papa from 'papaparse';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateDemoExamples } from '../../../src/data/demo.ts';
import type { Example } from '../../../src/data/schema.ts';

export interface StudioPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors (a test expects none). */
  errors: string[];
}

/** A new browser profile (empty IndexedDB) with one page of the studio. */
export async function openStudio(browser: Browser, baseURL: string, hash = ''): Promise<StudioPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseURL}/${hash}`);
  return { context, page, errors };
}

/** The pairs as a CSV with one column per field (lists joined, experience as JSON). */
export function pairsCsv(examples: readonly Example[]): string {
  return Papa.unparse(
    examples.map((e) => ({
      id: e.id,
      job_title: e.job.title,
      company: e.job.company,
      job_location: e.job.location,
      remote: e.job.remotePolicy,
      description: e.job.description,
      headline: e.profile.headline,
      summary: e.profile.summary,
      skills: e.profile.skills.join('; '),
      experience: JSON.stringify(e.profile.experience),
      education: JSON.stringify(e.profile.education),
      certifications: e.profile.certifications.join('; '),
    })),
    { newline: '\n' },
  );
}

/** A CSV of `valid` good demo rows plus three bad ones (lines 3, 6 and the last): no title, an unknown remote policy, negative years. */
export function csvWithThreeBadRows(valid: number): { csv: string; badLines: number[] } {
  const rows = generateDemoExamples({ seed: 21, n: valid + 3 });
  rows[1] = { ...rows[1]!, job: { ...rows[1]!.job, title: '' } };
  rows[4] = { ...rows[4]!, job: { ...rows[4]!.job, remotePolicy: 'sometimes' as never } };
  const last = rows.length - 1;
  rows[last] = { ...rows[last]!, profile: { ...rows[last]!.profile, experience: [{ title: 'Clerk', company: 'X', years: -2, description: '' }] } };
  const csv = pairsCsv(rows);
  // Line numbers of each row's start (cells hold newlines, so count them).
  const parsed = Papa.parse<string[]>(csv, { header: false });
  const starts: number[] = [];
  let line = 1;
  parsed.data.forEach((cells) => {
    starts.push(line);
    line += cells.join('').split('\n').length - 1 + 1;
  });
  return { csv, badLines: [starts[2]!, starts[5]!, starts[last + 1]!] };
}

/** What the studio's IndexedDB holds, read in the page. */
export async function storedCounts(page: Page, datasetId?: string): Promise<{ datasets: number; examples: number; labels: number; reviews: number; seed: number }> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('lantern-studio');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const count = (store: string, range?: IDBKeyRange) =>
      new Promise<number>((resolve) => {
        if (!db.objectStoreNames.contains(store)) return resolve(0);
        const r = db.transaction(store).objectStore(store).count(range);
        r.onsuccess = () => resolve(r.result);
      });
    const range = id ? IDBKeyRange.bound([id], [id, []]) : undefined;
    const seed = await new Promise<number>((resolve) => {
      if (!id || !db.objectStoreNames.contains('datasets')) return resolve(0);
      const r = db.transaction('datasets').objectStore('datasets').get(id);
      r.onsuccess = () => resolve((r.result?.splits?.seed ?? []).length);
    });
    const out = { datasets: await count('datasets'), examples: await count('examples', range), labels: await count('labels', range), reviews: await count('reviews', range), seed };
    db.close();
    return out;
  }, datasetId);
}

/** The trimmed text of the element with this data-testid. */
export async function testText(page: Page, testid: string): Promise<string | undefined> {
  return (await page.getByTestId(testid).textContent())?.trim();
}
