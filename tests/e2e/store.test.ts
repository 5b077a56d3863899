// The IndexedDB store (and the Qwen tokenizer) in real Chromium: src/data is bundled with Vite (IIFE, global `LanternData`)
// and injected into pages of the studio's origin, then driven from the page and from a worker.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../helpers/chromium.ts';
import type * as StoreModule from '../../src/data/store.ts';
import type * as DemoModule from '../../src/data/demo.ts';
import type * as ImportModule from '../../src/data/import.ts';
import type * as TokenizerModule from '../../src/data/tokenizer.ts';
import type * as VocabModule from '../../src/data/vocab.ts';
import type * as FormatModule from '../../src/data/format.ts';
import { loadQwenTokenizer, qwenTokenizerPaths } from '../../src/data/tokenizer-node.ts';
import { StudentTokenizer, buildStudentVocab } from '../../src/data/vocab.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { exampleText } from '../../src/data/format.ts';

type LanternData = typeof StoreModule & typeof DemoModule & typeof ImportModule & typeof TokenizerModule & typeof VocabModule & typeof FormatModule;
declare global {
  // Set by the injected bundle inside the page.
  var LanternData: LanternData;
}

const ROOT = new URL('../../', import.meta.url).pathname;

async function bundleDataLayer(): Promise<string> {
  // A throwaway entry that re-exports the modules the tests drive.
  const dir = mkdtempSync(join(tmpdir(), 'lantern-data-bundle-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, ['store', 'demo', 'import', 'tokenizer', 'vocab', 'format'].map((m) => `export * from ${JSON.stringify(`${ROOT}src/data/${m}.ts`)};`).join('\n'));
  const result = await build({
    configFile: false,
    root: ROOT,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry, name: 'LanternData', formats: ['iife'], fileName: 'lantern-data' } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o): o is Rollup.OutputChunk => o.type === 'chunk');
  rmSync(dir, { recursive: true, force: true });
  if (!chunk) throw new Error('bundling src/data produced no chunk');
  return chunk.code;
}

describe('LanternStore in Chromium', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  let context: BrowserContext;
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleDataLayer();
    browser = await launchChromium({ webgpu: false });
    context = await browser.newContext();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  async function dataPage(inContext: BrowserContext = context): Promise<Page> {
    const page = await inContext.newPage();
    await page.goto(baseURL + '/#/system');
    await page.addScriptTag({ content: bundle });
    return page;
  }

  it('saves, reads and deletes datasets, labels, reviews and multi-chunk checkpoints', async () => {
    const page = await dataPage();
    const result = await page.evaluate(async () => {
      const D = globalThis.LanternData;
      const store = await D.LanternStore.open({ name: 'e2e-crud', chunkBytes: 4 * 1024 * 1024 });
      const examples = D.generateDemoExamples({ seed: 1, n: 30 });
      const dataset = { id: 'd1', name: 'demo', createdAt: 'now', splits: { raw: examples.map((e) => e.id), seed: [], synthetic: [], eval: [] }, contentHash: 'h' };
      await store.saveDataset(dataset, examples);
      const teacher = { provider: 'offline', model: 'rules', templateVersion: '1' };
      await store.putLabels('d1', examples.slice(0, 3).map((e) => ({ exampleId: e.id, teacher, label: 'high' as const, labelProbs: null, explanation: 'ok', createdAt: 'now' })));
      await store.putReview('d1', { exampleId: examples[0]!.id, decision: 'rejected', reviewedAt: 'now' });
      // 9 MB + 5 bytes: three 4 MB chunks.
      const bytes = new Uint8Array(9 * 1024 * 1024 + 5);
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 255;
      const meta = await store.putCheckpoint({ id: 'ck', runId: 'r', step: 1, createdAt: 'now', format: 'safetensors' }, bytes);
      const back = await store.getCheckpointBytes('ck');
      let same = back.length === bytes.length;
      for (let i = 0; same && i < bytes.length; i += 4096) same = back[i] === bytes[i];
      const out = {
        version: store.version,
        count: await store.countExamples('d1'),
        first: (await store.getExample('d1', examples[0]!.id))?.job.title === examples[0]!.job.title,
        labels: (await store.getLabelsByTeacher('d1', teacher)).length,
        reviews: (await store.getReviews('d1')).map((r) => r.decision),
        chunks: meta.chunkCount,
        same,
        persisted: typeof store.persisted,
      };
      await store.deleteDataset('d1');
      await store.deleteCheckpoint('ck');
      const afterDelete = { datasets: (await store.listDatasets()).length, examples: await store.countExamples('d1'), labels: (await store.getLabels('d1')).length, checkpoints: (await store.listCheckpoints()).length };
      store.close();
      return { ...out, afterDelete };
    });
    expect(result).toEqual({
      version: 2,
      count: 30,
      first: true,
      labels: 3,
      reviews: ['rejected'],
      chunks: 3,
      same: true,
      // Chromium answers the persistence request (granted or not) after the first save.
      persisted: 'boolean',
      afterDelete: { datasets: 0, examples: 0, labels: 0, checkpoints: 0 },
    });
    await page.close();
  });

  it('upgrades a version-1 database and keeps its data; an old tab is told to reload', async () => {
    const oldTab = await dataPage();
    await oldTab.evaluate(async () => {
      const D = globalThis.LanternData;
      const examples = D.generateDemoExamples({ seed: 2, n: 5 });
      const store = await D.LanternStore.open({ name: 'e2e-upgrade', version: 1, onVersionChange: (m) => ((globalThis as { versionMessage?: string }).versionMessage = m) });
      await store.saveDataset({ id: 'old', name: 'old data', createdAt: 'then', splits: { raw: examples.map((e) => e.id), seed: [], synthetic: [], eval: [] }, contentHash: 'h' }, examples);
      (globalThis as { oldStore?: unknown }).oldStore = store;
    });
    const newTab = await dataPage();
    const upgraded = await newTab.evaluate(async () => {
      const store = await globalThis.LanternData.LanternStore.open({ name: 'e2e-upgrade' });
      const out = { version: store.version, stores: store.objectStoreNames.sort(), examples: await store.countExamples('old'), name: (await store.getDataset('old'))?.name };
      store.close();
      return out;
    });
    expect(upgraded).toEqual({ version: 2, stores: ['checkpointChunks', 'checkpoints', 'datasets', 'examples', 'labels', 'reviews', 'runs', 'sweeps'], examples: 5, name: 'old data' });
    const oldTabState = await oldTab.evaluate(async () => {
      const store = (globalThis as unknown as { oldStore: StoreModule.LanternStore }).oldStore;
      const error = await store.listDatasets().then(() => null, (e: Error) => `${e.name}: ${e.message}`);
      return { message: (globalThis as { versionMessage?: string }).versionMessage, error };
    });
    expect(oldTabState.message).toMatch(/updated in another tab.*reload/);
    expect(oldTabState.error).toMatch(/^StoreClosedError: .*reload/);
    await oldTab.close();
    await newTab.close();
  });

  it('checks navigator.storage.estimate() before a large write and reports a clear quota error', async () => {
    const page = await dataPage();
    const result = await page.evaluate(async () => {
      const store = await globalThis.LanternData.LanternStore.open({ name: 'e2e-quota' });
      const estimate = await store.estimate();
      const tooBig = estimate ? Math.ceil((estimate.quota - estimate.usage) * 1.2) : 0;
      const error = await store.ensureSpace(tooBig, 'a huge checkpoint').then(() => null, (e: Error) => ({ name: e.name, message: e.message }));
      // A QuotaExceededError thrown by put itself (simulated; the next test lowers the real quota).
      const realPut = IDBObjectStore.prototype.put;
      let puts = 0;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
        if (++puts === 3) throw new DOMException('quota', 'QuotaExceededError');
        return realPut.apply(this, args);
      };
      const examples = globalThis.LanternData.generateDemoExamples({ seed: 3, n: 6 });
      const writeError = await store
        .saveDataset({ id: 'q', name: 'quota test', createdAt: 'now', splits: { raw: [], seed: [], synthetic: [], eval: [] }, contentHash: 'h' }, examples)
        .then(() => null, (e: Error) => e.name);
      IDBObjectStore.prototype.put = realPut;
      const left = { datasets: (await store.listDatasets()).length, examples: await store.countExamples('q') };
      store.close();
      return { hasEstimate: estimate !== null, error, writeError, left };
    });
    expect(result.hasEstimate).toBe(true);
    expect(result.error?.name).toBe('StorageQuotaError');
    expect(result.error?.message).toMatch(/Not enough browser storage to save a huge checkpoint: it needs about .* MB.*Nothing was saved/);
    expect(result.writeError).toBe('StorageQuotaError');
    expect(result.left).toEqual({ datasets: 0, examples: 0 });
    await page.close();
  });

  it('hits a real QuotaExceededError (quota lowered through DevTools) and keeps the earlier data', async () => {
    // A context of its own: empty storage, so a 3 MB quota holds the small write and not the big one.
    const own = await browser.newContext();
    const page = await dataPage(own);
    const cdp = await own.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL).origin, quotaSize: 3 * 1024 * 1024 });
    try {
      const result = await page.evaluate(async () => {
        const D = globalThis.LanternData;
        // navigator.storage.estimate() does not see the DevTools override (it reports the disk-sized
        // quota), so the store's own check passes and the browser refuses the write at commit.
        const store = await D.LanternStore.open({ name: 'e2e-real-quota', chunkBytes: 1024 * 1024 });
        const small = new Uint8Array(100_000).fill(1);
        await store.putCheckpoint({ id: 'small', runId: 'r', step: 1, createdAt: 'now', format: 'x' }, small);
        const big = new Uint8Array(6 * 1024 * 1024);
        for (let i = 0; i < big.length; i++) big[i] = Math.imul(i, 2654435761) >>> 24; // incompressible
        const failed = await store
          .putCheckpoint({ id: 'big', runId: 'r', step: 2, createdAt: 'now', format: 'x' }, big)
          .then(() => null, (e: Error) => `${e.name}: ${e.message}`);
        const out = {
          failed,
          checkpoints: (await store.listCheckpoints()).map((c) => c.id),
          smallIntact: (await store.getCheckpointBytes('small')).every((b) => b === 1),
        };
        store.close();
        return out;
      });
      expect(result.failed).toMatch(/^StorageQuotaError: The browser ran out of storage while saving checkpoint big; nothing was saved/);
      expect(result.checkpoints).toEqual(['small']);
      expect(result.smallIntact).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('works from a worker: what a worker saves, the page reads', async () => {
    const page = await dataPage();
    const result = await page.evaluate(async (code) => {
      const workerSource = `${code}
        self.onmessage = async () => {
          try {
            const D = self.LanternData;
            const store = await D.LanternStore.open({ name: 'e2e-worker' });
            const source = D.parseJsonl(D.generateDemoExamples({ seed: 4, n: 7 }).map((e) => JSON.stringify(e)).join('\\n'));
            const { dataset } = await D.commitImport(store, D.applyMapping(source, D.suggestMapping(source.fields)), { name: 'from worker', datasetId: 'w' });
            store.close();
            self.postMessage({ ok: true, id: dataset.id });
          } catch (e) {
            self.postMessage({ ok: false, error: String(e) });
          }
        };`;
      const worker = new Worker(URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' })));
      const reply = await new Promise<{ ok: boolean; id?: string; error?: string }>((resolve) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.postMessage('go');
      });
      worker.terminate();
      const store = await globalThis.LanternData.LanternStore.open({ name: 'e2e-worker' });
      const out = { reply, count: await store.countExamples('w'), name: (await store.getDataset('w'))?.name };
      store.close();
      return out;
    }, bundle);
    expect(result).toEqual({ reply: { ok: true, id: 'w' }, count: 7, name: 'from worker' });
    await page.close();
  });

  it('runs the Qwen tokenizer and the pruned vocabulary in the page, with the same ids as in Node', async () => {
    const page = await dataPage();
    const paths = qwenTokenizerPaths();
    const files = { tokenizer: readFileSync(paths.tokenizer, 'utf8'), config: readFileSync(paths.config, 'utf8') };
    const result = await page.evaluate((f) => {
      const D = globalThis.LanternData;
      const qwen = new D.QwenTokenizer({ tokenizer: JSON.parse(f.tokenizer), config: JSON.parse(f.config) });
      const texts = D.generateDemoExamples({ seed: 1, n: 20 }).map((e) => D.exampleText(e));
      const tok = new D.StudentTokenizer(D.buildStudentVocab(qwen, texts), qwen);
      const tricky = 'e\u0301 👩‍👩‍👧‍👦 日本語 <|im_start|> \u0000 ' + 'x'.repeat(500);
      return {
        hello: qwen.encode('Hello World'),
        size: tok.size,
        roundTrips: [...texts, tricky].every((t) => tok.decode(tok.encode(t)) === t),
        firstIds: tok.encode(texts[0]!).slice(0, 12),
      };
    }, files);
    // The same computation in Node.
    const qwen = loadQwenTokenizer();
    const texts = generateDemoExamples({ seed: 1, n: 20 }).map((e) => exampleText(e));
    const tok = new StudentTokenizer(buildStudentVocab(qwen, texts), qwen);
    expect(result).toEqual({ hello: [9707, 4337], size: tok.size, roundTrips: true, firstIds: tok.encode(texts[0]!).slice(0, 12) });
    await page.close();
  });
});
