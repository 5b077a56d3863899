// A pretrained student in the studio (Chromium, the real worker, the WASM backend): pick a tiny
// Hugging Face Qwen2 folder (written here, with Qwen's tokenizer.json) through the builder's folder
// input, see its type, size and memory estimate, switch LoRA on, run the experiment in the trainer
// worker (which reads the folder from the browser's storage) and find the merged checkpoint and
// the PEFT adapter among the run's artifacts.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../helpers/chromium.ts';
import { runArtifact } from '../helpers/studio-db.ts';
import { loadQwenTokenizer, qwenTokenizerPaths } from '../../src/data/tokenizer-node.ts';
import type { RunResults } from '../../src/experiment/run/pipeline.ts';
import { parseExperiment } from '../../src/experiment/schema.ts';
import { encodeShareLink } from '../../src/experiment/share-link.ts';
import { decoderSpecs, hfFolderFiles, makeTensors, qwen2Config, type DecoderSpec } from '../helpers/hf-folder.ts';

const BASE = {
  version: 1,
  name: 'pretrained (e2e)',
  seed: 2,
  engine: 'wasm',
  dataset: { demo: { seed: 1, n: 16 }, split: { train: 0.75, val: 0, test: 0.25 } },
  inHouseTeacher: { preset: 'tiny', steps: 2, batchSize: 2, maxSeqLen: 96, evalEvery: 0 },
  synthetic: { maxNewTokens: 6 },
  eval: { maxNewTokens: 6, metrics: ['rouge', 'consistency'] },
  stages: [{ id: 'qwen', task: 'explain', student: { preset: 'tiny' }, steps: 2, batchSize: 2, maxSeqLen: 96, evalEvery: 0 }],
};
const LONG = { timeout: 300_000 };

describe('a pretrained student in the studio', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  let root: string;
  beforeAll(async () => {
    browser = await launchChromium({});
    root = mkdtempSync(join(tmpdir(), 'lantern-e2e-hf-'));
    const dims: DecoderSpec = { vocab: loadQwenTokenizer().vocabSize, hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, maxPosition: 256 };
    const dir = join(root, 'qwen-tiny');
    mkdirSync(dir);
    for (const [name, bytes] of hfFolderFiles(qwen2Config(dims), makeTensors(decoderSpecs(dims, { qkvBias: true, lmHead: false }), 5, 0.05), { dtype: 'BF16' })) writeFileSync(join(dir, name), bytes);
    copyFileSync(qwenTokenizerPaths().tokenizer, join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'README.md'), '# not a model file: left out\n');
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('picks a folder, shows what it will train, runs it with LoRA and keeps the adapter', async () => {
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseURL}/#/experiment`);
    await page.getByTestId('json-editor').fill(JSON.stringify(BASE, null, 2));
    await expect.poll(() => page.locator('[data-path="stages.0.id"] input').inputValue()).toBe('qwen');

    // The folder input (the fallback of showDirectoryPicker, which a test cannot drive).
    await page.getByTestId('pretrained-input').setInputFiles(join(root, 'qwen-tiny'));
    await expect.poll(() => page.getByTestId('pretrained-source').textContent(), LONG).toBe('qwen-tiny');
    const summary = await page.getByTestId('pretrained-summary').textContent();
    expect(summary).toMatch(/qwen2 · [\d.,]+ ?[KM]? parameters/);
    expect(await page.getByTestId('pretrained-wasm').textContent()).toBe('Fits the WASM backend (4 GiB).');
    expect(await page.locator('[data-path="stages.0.student.preset"]').count()).toBe(0);

    await page.getByLabel('LoRA adapters only (frozen base)').check();
    const rank = page.locator('[data-path="stages.0.student.pretrained.lora.rank"] input');
    await rank.fill('4');
    await rank.press('Tab');
    await expect.poll(async () => JSON.parse(await page.getByTestId('json-editor').inputValue()).stages[0].student).toEqual({ pretrained: { source: 'qwen-tiny', lora: { rank: 4 } } });

    const doc = await page.getByTestId('json-editor').inputValue();
    await page.getByTestId('run').click();
    await page.waitForURL(/#\/runs\/[\w-]+$/);
    const runId = decodeURIComponent(page.url().split('/').at(-1)!);
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('done');
    const results = JSON.parse((await runArtifact(page, runId, 'results.json'))!) as RunResults;
    const stage = results.stages[0]!;
    expect(stage.pretrained).toMatchObject({ source: 'qwen-tiny', modelType: 'qwen2', lora: { rank: 4, modules: ['q_proj', 'v_proj'] } });
    expect(stage.curves.train).toHaveLength(2);
    const adapterConfig = JSON.parse((await runArtifact(page, runId, 'checkpoints/qwen/adapter/adapter_config.json'))!) as Record<string, unknown>;
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', r: 4, base_model_name_or_path: 'qwen-tiny' });
    expect(JSON.parse((await runArtifact(page, runId, 'checkpoints/qwen/config.json'))!)).toMatchObject({ model_type: 'qwen2', vocab_size: results.data.vocabSize });
    // Only the model's files were stored.
    const stored = await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('models').then((d) => d.getDirectoryHandle('qwen-tiny'));
      const names: string[] = [];
      for await (const [name] of (dir as unknown as { entries(): AsyncIterable<[string, unknown]> }).entries()) names.push(name);
      return names.sort();
    });
    expect(stored).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);

    // The experiment's share link names the folder; here it is stored, in a fresh profile it is not.
    const link = `${baseURL}/${encodeShareLink(parseExperiment(JSON.parse(doc)).config)}`;
    await page.goto(link);
    await expect.poll(() => page.getByTestId('model-needs').textContent()).toMatch(/Stage qwen starts from model folder “qwen-tiny”, which this browser has/);
    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    await other.goto(link);
    await expect.poll(() => other.getByTestId('model-needs').textContent()).toMatch(/model folder qwen-tiny, which this browser does not have: pick that\s+folder/);
    expect(await other.getByTestId('pretrained-missing').textContent()).toMatch(/no model "qwen-tiny" is stored in this browser/);
    await fresh.close();
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);
});
