// Exported students in Chromium: onnxruntime-web's WebGPU execution provider against our engine
// (logits on padded batches, greedy with-past generation), transformers.js loading the bundle from
// a local folder with remote models off, and the Export & Try-it page (Export gives the CLI's bytes;
// Try it answers as onnxruntime-web does in Node; the latency panel fills its table).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import * as ortWasm from 'onnxruntime-web';
import { launchChromium } from '../helpers/chromium.ts';
import { testDevice } from '../helpers/webgpu.ts';
import { checkpointOf, exportFixture, initTensors, writeRunFolder, type ExportFixture } from '../helpers/export-fixture.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { loadCheckpoint } from '../../src/engine/checkpoint.ts';
import type { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import type { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { generate } from '../../src/engine/nn/generate.ts';
import { SPECIAL_IDS } from '../../src/data/vocab.ts';
import { fileStore } from '../../src/experiment/run/node-host.ts';
import { buildBundle, readBundle, type Bundle } from '../../src/export/bundle.ts';
import { bundleSourceFromRun } from '../../src/export/from-run.ts';
import { qwenTokenizerJson } from '../../src/export/node.ts';
import { OnnxStudent, type OnnxClassifier, type OnnxExplainer } from '../../src/export/onnx-student.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TEST_PREFIX = '/__export_test__/';
const MIME: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.onnx': 'application/octet-stream', '.safetensors': 'application/octet-stream', '.md': 'text/markdown' };

/** ES modules for the page: onnxruntime-web (WebGPU build), our ONNX student, transformers.js, the studio store. */
async function buildPageModules(): Promise<string> {
  // Inside the project, so that the entry's bare imports resolve from its node_modules.
  const dir = join(ROOT, 'node_modules', '.lantern-e2e-export');
  await mkdir(dir, { recursive: true });
  const entry = join(dir, 'entry.ts');
  await writeFile(
    entry,
    [
      `export * as ort from 'onnxruntime-web/webgpu';`,
      `export * as transformers from '@huggingface/transformers';`,
      `export { OnnxStudent } from ${JSON.stringify(`${ROOT}src/export/onnx-student.ts`)};`,
      `export { readBundle } from ${JSON.stringify(`${ROOT}src/export/bundle.ts`)};`,
      `export { openStore } from ${JSON.stringify(`${ROOT}src/data/store.ts`)};`,
      `export { indexedDbArtifacts } from ${JSON.stringify(`${ROOT}src/experiment/run/browser-host.ts`)};`,
    ].join('\n'),
  );
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'silent',
    build: {
      outDir: join(dir, 'out'),
      emptyOutDir: true,
      minify: false,
      assetsInlineLimit: 0,
      target: 'es2022',
      rollupOptions: { input: entry, preserveEntrySignatures: 'strict', output: { entryFileNames: 'entry.js', format: 'es' } },
    },
  });
  return join(dir, 'out');
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('exported students in Chromium', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let fx: ExportFixture;
  let runDir: string;
  let zips: { classifier: Uint8Array; explainer: Uint8Array };
  let bundles: { classifier: Bundle; explainer: Bundle };
  let engine: Engine;
  const offsite: string[] = [];

  beforeAll(async () => {
    fx = exportFixture();
    const root = await mkdtemp(join(tmpdir(), 'lantern-export-run-'));
    runDir = join(root, 'run');
    await writeRunFolder(runDir, fx, { explainer: checkpointOf(fx.decoder, initTensors(fx.decoder, seededInit(52, 0.3))), classifier: checkpointOf(fx.encoder, initTensors(fx.encoder, seededInit(51, 0.3))) });
    const qwen = await qwenTokenizerJson();
    zips = {
      classifier: await buildBundle(await bundleSourceFromRun(fileStore(runDir), 'classifier', qwen)),
      explainer: await buildBundle(await bundleSourceFromRun(fileStore(runDir), 'explainer', qwen)),
    };
    bundles = { classifier: await readBundle(zips.classifier), explainer: await readBundle(zips.explainer) };
    await writeFile(join(root, 'classifier.zip'), zips.classifier);
    await writeFile(join(root, 'explainer.zip'), zips.explainer);
    engine = new Engine((await testDevice()).device);

    const modules = await buildPageModules();
    browser = await launchChromium({ webgpu: true });
    context = await browser.newContext({ acceptDownloads: true });
    // Nothing may leave this machine: every request outside the studio's origin is refused and noted.
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== baseURL) {
        offsite.push(url.href);
        return route.abort();
      }
      if (!url.pathname.startsWith(TEST_PREFIX)) return route.fallback();
      const rest = decodeURIComponent(url.pathname.slice(TEST_PREFIX.length));
      const [kind, ...parts] = rest.split('/');
      let body: Uint8Array | undefined;
      if (kind === 'models') body = bundles[parts[0] as 'classifier' | 'explainer']?.files.get(parts.slice(1).join('/'));
      else body = await readFile(join(modules, rest)).catch(() => undefined);
      if (!body) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ status: 200, body: Buffer.from(body), contentType: MIME[extname(rest)] ?? 'application/octet-stream' });
    });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('pageerror', e));
    await page.goto(`${baseURL}/#/system`);
    const wasm = (await readdir(join(modules, 'assets'))).find((f) => f.endsWith('.wasm'))!;
    // A string, not a function: vitest would rewrite a dynamic import() inside a function body.
    await page.evaluate(`(async () => {
      const m = await import('${TEST_PREFIX}entry.js');
      m.ort.env.wasm.wasmPaths = { wasm: '${TEST_PREFIX}assets/${wasm}' };
      m.ort.env.wasm.numThreads = 1;
      m.ort.env.logLevel = 'error';
      globalThis.M = m;
    })()`);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('onnxruntime-web WebGPU: classifier logits on a padded batch match the engine within 1e-4', async () => {
    const inputs = fx.examples.slice(0, 3).map((e, i) => fx.codec.encoderInput(e, 14 + 8 * i));
    const got = (await page.evaluate(
      async ({ zip, inputs }) => {
        const M = (globalThis as Record<string, any>).M;
        const bundle = await M.readBundle(Uint8Array.from(atob(zip), (c) => c.charCodeAt(0)));
        const s = await M.OnnxStudent.load(M.ort, bundle, { executionProvider: 'webgpu' });
        const logits = await s.logits(inputs);
        await s.release();
        return logits;
      },
      { zip: b64(zips.classifier), inputs },
    )) as number[][];
    const model = loadCheckpoint(engine, { weights: bundles.classifier.files.get('model.safetensors')!, config: bundles.classifier.hfConfig }) as EncoderClassifier;
    const T = Math.max(...inputs.map((x) => x.length));
    const ids = new Int32Array(3 * T);
    const mask = new Float32Array(3 * T);
    inputs.forEach((x, b) => (ids.set(x, b * T), mask.fill(1, b * T, b * T + x.length)));
    const want = await engine.autograd.noGrad(() => engine.tidy(async () => (await model.forward({ inputIds: engine.upload(ids, [3, T], 'i32'), attentionMask: engine.upload(mask, [3, T]) }).read()) as Float32Array));
    model.release();
    expect(maxAbs(got.flat(), want)).toBeLessThan(1e-4);
  });

  it('onnxruntime-web WebGPU: label logits and greedy with-past generation of left-padded prompts equal the engine’s', async () => {
    const prompts = fx.examples.slice(0, 2).map((e, i) => fx.codec.prompt(e, 10 + 6 * i));
    const got = (await page.evaluate(
      async ({ zip, prompts }) => {
        const M = (globalThis as Record<string, any>).M;
        const bundle = await M.readBundle(Uint8Array.from(atob(zip), (c) => c.charCodeAt(0)));
        const s = await M.OnnxStudent.load(M.ort, bundle, { executionProvider: 'webgpu' });
        const out = { labels: await s.labelLogits(prompts), generated: await s.generate(prompts, { maxNewTokens: 6 }) };
        await s.release();
        return out;
      },
      { zip: b64(zips.explainer), prompts },
    )) as { labels: number[][]; generated: { tokens: number[]; finishReason: string }[] };
    const model = loadCheckpoint(engine, { weights: bundles.explainer.files.get('model.safetensors')!, config: bundles.explainer.hfConfig }) as DecoderLM;
    const { labelLogits } = await import('../../src/experiment/run/decode.ts');
    expect(maxAbs(got.labels.flat(), (await labelLogits(engine, model, fx.codec, prompts)).flat())).toBeLessThan(1e-4);
    const want = await generate(model, prompts, { maxNewTokens: 6, stopTokens: [SPECIAL_IDS.eos], padTokenId: SPECIAL_IDS.pad });
    model.release();
    expect(want.reduce((n, g) => n + g.tokens.length, 0)).toBeGreaterThan(4);
    expect(got.generated).toEqual(want);
  });

  it('transformers.js loads the bundle from a local folder (remote models off) and gives the same label and text', async () => {
    // Short enough that neither side truncates (the bundle's students read at most 64 tokens).
    const job = 'Job: Data Analyst\nLocation: Remote\nRequirements:\n- SQL\n- Python';
    const profile = 'Candidate: Analyst\nSkills: SQL';
    ortWasm.env.wasm.numThreads = 1;
    const classifier = (await OnnxStudent.load(ortWasm, bundles.classifier, { executionProvider: 'wasm' })) as OnnxClassifier;
    const explainer = (await OnnxStudent.load(ortWasm, bundles.explainer, { executionProvider: 'wasm' })) as OnnxExplainer;
    const ids = classifier.codec.encodeTexts(job, profile);
    const wantClass = await classifier.classify(ids);
    const [wantAnswer] = await explainer.explain([ids], { maxNewTokens: 6 });
    const prompt = explainer.codec.prompt(ids, explainer.promptTokens);
    expect(prompt).toEqual(explainer.codec.prompt(ids, 10_000)); // nothing cut
    const got = (await page.evaluate(
      async ({ prefix, job, profile, labelIds }) => {
        const { env, AutoTokenizer, AutoModelForSequenceClassification, AutoModelForCausalLM, Tensor } = (globalThis as Record<string, any>).M.transformers;
        env.allowRemoteModels = false;
        env.allowLocalModels = true;
        env.localModelPath = `${prefix}models/`;
        env.useBrowserCache = false;
        const ctok = await AutoTokenizer.from_pretrained('classifier');
        const cmodel = await AutoModelForSequenceClassification.from_pretrained('classifier', { dtype: 'fp32', device: 'wasm' });
        const inputs = ctok(job, { text_pair: profile });
        const { logits } = await cmodel(inputs);
        const z = Array.from(logits.data as Float32Array);
        const e = z.map((v) => Math.exp(v - Math.max(...z)));
        const probs = e.map((v) => v / e.reduce((a, b) => a + b, 0));
        const etok = await AutoTokenizer.from_pretrained('explainer');
        const emodel = await AutoModelForCausalLM.from_pretrained('explainer', { dtype: 'fp32', device: 'wasm' });
        const enc = (t: string) => etok.encode(t, { add_special_tokens: false }) as number[];
        // The README's recipe: <|im_start|>, then job, gap, profile and "\nFit:" encoded one by one.
        const prompt = [2, ...enc(job), ...enc('\n\n'), ...enc(profile), ...enc('\nFit:')];
        const tensor = (a: number[]) => new Tensor('int64', BigInt64Array.from(a.map(BigInt)), [1, a.length]);
        const out = await emodel({ input_ids: tensor(prompt), attention_mask: tensor(prompt.map(() => 1)) });
        const V = out.logits.dims[2];
        const last = (out.logits.data as Float32Array).subarray((prompt.length - 1) * V, prompt.length * V);
        const label = labelIds.reduce((best: number, id: number) => (last[id]! > last[best]! ? id : best), labelIds[0]);
        const gen = await emodel.generate({ inputs: tensor([...prompt, label]), max_new_tokens: 6, do_sample: false, eos_token_id: 1 });
        const text = etok.decode((gen.tolist()[0] as bigint[]).slice(prompt.length + 1).map(Number), { skip_special_tokens: true }).trim();
        return { probs, id2label: cmodel.config.id2label, label, text, encoded: [...inputs.input_ids.data].map(Number), prompt };
      },
      { prefix: TEST_PREFIX, job, profile, labelIds: explainer.codec.labelTokenIds },
    )) as { probs: number[]; id2label: Record<string, string>; label: number; text: string; encoded: number[]; prompt: number[] };
    expect(got.encoded).toEqual(classifier.codec.encoderInput(ids, 64));
    expect(got.prompt).toEqual(prompt);
    const best = got.probs.indexOf(Math.max(...got.probs));
    expect(got.id2label[String(best)]).toBe(wantClass.label);
    expect(maxAbs(got.probs, ['low', 'medium', 'high'].map((l) => wantClass.probabilities[l as 'low']))).toBeLessThan(1e-5);
    expect(got.label).toBe(explainer.codec.labelTokenIds[['low', 'medium', 'high'].indexOf(wantAnswer!.label)]);
    expect(wantAnswer!.newTokens).toBeGreaterThan(0);
    expect(got.text).toBe(wantAnswer!.explanation);
    expect(offsite).toEqual([]);
    await Promise.all([classifier.release(), explainer.release()]);
  });

  it('the Export & Try-it page: Export gives the CLI’s bytes, Try it answers as onnxruntime-web does in Node, the latency panel fills its table', async () => {
    // A finished run in the studio store, with the artifacts `lantern run` wrote.
    const files: Record<string, string> = {};
    for (const key of ['results.json', 'vocab.json', 'checkpoints/classifier/model.safetensors', 'checkpoints/classifier/config.json', 'checkpoints/explainer/model.safetensors', 'checkpoints/explainer/config.json']) files[key] = b64(await readFile(join(runDir, key)));
    await page.evaluate(
      async ({ files, experimentJson }) => {
        const M = (globalThis as Record<string, any>).M;
        const experiment = JSON.parse(experimentJson);
        const store = await M.openStore();
        const now = new Date().toISOString();
        await store.putRun({ id: 'run-e2e', name: 'export e2e', createdAt: now, updatedAt: now, status: 'done', config: experiment, metrics: {} });
        const artifacts = M.indexedDbArtifacts(store, 'run-e2e');
        for (const [key, data] of Object.entries(files)) await artifacts.write(key, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
        store.close?.();
      },
      { files, experimentJson: JSON.stringify(fx.experiment) },
    );
    const ui = await context.newPage();
    const errors: string[] = [];
    ui.on('pageerror', (e) => errors.push(e.message));
    await ui.goto(`${baseURL}/#/export`);
    await ui.getByTestId('export-run').waitFor();
    await ui.getByTestId('export-stage').selectOption('classifier');
    const [download] = await Promise.all([ui.waitForEvent('download'), ui.getByTestId('export-button').click()]);
    expect(download.suggestedFilename()).toBe('classifier.zip');
    const saved = await readFile((await download.path())!);
    expect(Buffer.compare(saved, Buffer.from(zips.classifier))).toBe(0);
    await ui.getByTestId('export-done').waitFor();

    // A damaged zip is refused with its reason; WebGPU is picked where the adapter allows.
    await ui.getByTestId('open-classifier').setInputFiles({ name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from(zips.classifier.subarray(0, 5000)) });
    await expect.poll(() => ui.getByTestId('load-error').textContent(), { timeout: 60_000 }).toMatch(/truncated or damaged/);
    await ui.getByTestId('open-classifier').setInputFiles({ name: 'classifier.zip', mimeType: 'application/zip', buffer: Buffer.from(zips.classifier) });
    await expect.poll(() => ui.getByTestId('provider-classifier').textContent(), { timeout: 120_000 }).toBe('WebGPU');

    // The rest on WASM (a software GPU compiles WebGPU pipelines for minutes).
    await ui.getByTestId('provider').selectOption('wasm');
    await ui.getByTestId('try-stage').click();
    await ui.getByTestId('export-stage').selectOption('explainer');
    await ui.getByTestId('try-stage').click();
    await expect.poll(() => ui.getByTestId('provider-explainer').textContent(), { timeout: 120_000 }).toBe('WASM');
    await expect.poll(() => ui.getByTestId('provider-classifier').textContent(), { timeout: 120_000 }).toBe('WASM');
    await ui.getByTestId('example').selectOption('3');
    await ui.getByTestId('try-run').click();
    await ui.getByTestId('explainer-ms').waitFor({ timeout: 120_000 });

    const { generateDemoExamples } = await import('../../src/data/demo.ts');
    const { jobText, profileText } = await import('../../src/data/format.ts');
    const { modelJobText } = await import('../../src/app/lib/try-input.ts');
    const e = generateDemoExamples({ seed: 1, n: 12 })[3]!;
    const classifier = (await OnnxStudent.load(ortWasm, bundles.classifier, { executionProvider: 'wasm' })) as OnnxClassifier;
    const explainer = (await OnnxStudent.load(ortWasm, bundles.explainer, { executionProvider: 'wasm' })) as OnnxExplainer;
    const ids = classifier.codec.encodeTexts(modelJobText(jobText(e.job), true), profileText(e.profile));
    const want = await classifier.classify(ids);
    const [wantAnswer] = await explainer.explain([ids]);
    await Promise.all([classifier.release(), explainer.release()]);
    const shown = await ui.getByTestId('classifier-answer').textContent();
    expect(shown).toContain(`Classifier: ${want.label}`);
    for (const l of ['low', 'medium', 'high'] as const) expect(await ui.getByTestId(`prob-${l}`).textContent()).toBe(`${(want.probabilities[l] * 100).toFixed(1)}%`);
    expect(await ui.getByTestId('explanation').textContent()).toBe(wantAnswer!.explanation || '(an empty explanation)');
    expect(await ui.getByTestId('explainer-answer').textContent()).toContain(`Explainer: ${wantAnswer!.label}`);
    await ui.screenshot({ path: '/tmp/lantern-export-try.png', fullPage: true });

    // The latency panel on WASM only, small: one call per case.
    await ui.locator('section[data-testid=bench] input[type=checkbox]').nth(0).uncheck();
    await ui.locator('section[data-testid=bench] input[type=checkbox]').nth(1).uncheck();
    await ui.getByTestId('bench-batches').fill('1, 2');
    await ui.getByTestId('bench-calls').fill('1');
    await ui.getByTestId('bench-tokens').fill('2');
    await ui.getByTestId('bench-run').click();
    await ui.getByTestId('bench-table').waitFor({ timeout: 180_000 });
    expect(await ui.locator('[data-testid=bench-table] tbody tr').count()).toBe(8);
    expect(await ui.locator('[data-testid=bench-ratios] tbody tr').count()).toBe(4);
    expect(await ui.getByTestId('bench-ratio').first().textContent()).toMatch(/classifier answers \d+(\.\d)?× as many requests per second as the explainer/);
    await ui.screenshot({ path: '/tmp/lantern-export-bench.png', fullPage: true });
    expect(errors).toEqual([]);
    expect(offsite).toEqual([]);
    await ui.close();
  });
});

