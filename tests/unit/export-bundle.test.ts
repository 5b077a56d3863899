// Export without a GPU: the bundle's tokenizer gives the studio's ids, the ONNX graphs run by
// onnxruntime-web (WASM) match the float64 reference forward, the zip is deterministic and the CLI
// writes the same bytes, and damaged bundles are refused by name.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-web';
import { Tokenizer } from '@huggingface/tokenizers';
import { zipSync, unzipSync } from 'fflate';
import { seededInit } from '../../src/engine/nn/module.ts';
import { encoderForwardRef, decoderForwardRef } from '../../src/engine/nn/reference.ts';
import { readSafetensors } from '../../src/engine/safetensors.ts';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import { buildStudentVocab, StudentTokenizer } from '../../src/data/vocab.ts';
import { jobText, profileText } from '../../src/data/format.ts';
import { fileStore } from '../../src/experiment/run/node-host.ts';
import { buildBundle, readBundle, BundleError, type Bundle } from '../../src/export/bundle.ts';
import { bundleSourceFromRun } from '../../src/export/from-run.ts';
import { qwenTokenizerJson } from '../../src/export/node.ts';
import { studentTokenizerFiles } from '../../src/export/tokenizer-json.ts';
import { decodeModel } from '../../src/export/onnx/proto.ts';
import { OPSET } from '../../src/export/onnx/index.ts';
import { OnnxStudent, type OnnxClassifier, type OnnxExplainer } from '../../src/export/onnx-student.ts';
import { checkpointOf, exportFixture, initTensors, writeRunFolder, type ExportFixture } from '../helpers/export-fixture.ts';

ort.env.wasm.numThreads = 1;
const run = promisify(execFile);

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('the student tokenizer.json', () => {
  it('gives the studio tokenizer’s ids for the demo data and Latin-script text, and decodes them back', async () => {
    const qwen = loadQwenTokenizer();
    const fx = exportFixture();
    const files = studentTokenizerFiles(fx.vocab, await qwenTokenizerJson(), 'decoder', 64);
    const hf = new Tokenizer(files.tokenizer, files.config);
    const student = new StudentTokenizer(fx.vocab, qwen);
    const texts = [
      ...fx.examples.flatMap((e) => [jobText(e.job, { compress: true }), jobText(e.job), profileText(e.profile)]),
      'Café résumé, naïve façade — “quoted” and it’s Größe · 5+ years',
      '\n\nFit: high\n',
      'e\u0301 unnormalized',
    ];
    for (const t of texts) {
      const ids = student.encode(t);
      expect(hf.encode(t, { add_special_tokens: false }).ids, t.slice(0, 60)).toEqual(ids);
      expect(hf.decode(ids, { skip_special_tokens: true })).toBe(t);
    }
    expect(files.representation.partialTokens).toBe(0);
    const vocab = (files.tokenizer.model as { vocab: Record<string, number> }).vocab;
    expect(vocab['<0x41>']).toBe(6 + 0x41);
    expect(Object.keys(vocab)).toHaveLength(student.size);
  }, 120_000);

  it('writes the encoder input as the text pair <|cls|> job <|sep|> profile', async () => {
    const fx = exportFixture();
    const files = studentTokenizerFiles(fx.vocab, await qwenTokenizerJson(), 'encoder', 64);
    const hf = new Tokenizer(files.tokenizer, files.config);
    const e = fx.examples[0]!;
    const job = jobText(e.job, { compress: true });
    const profile = profileText(e.profile);
    expect(hf.encode(job, { text_pair: profile }).ids).toEqual(fx.codec.encoderInput(fx.codec.encodeTexts(job, profile), 10_000));
  });

  it('counts the Qwen tokens a text tokenizer cannot hold (pieces of one character)', async () => {
    const qwen = loadQwenTokenizer();
    const vocab = buildStudentVocab(qwen, ['소프트웨어 엔지니어, 5년 이상의 경험', 'हिन्दी पाठ परीक्षण'], { maxVocab: 8192 });
    const files = studentTokenizerFiles(vocab, await qwenTokenizerJson(), 'decoder', 64);
    expect(files.representation.partialTokens).toBeGreaterThan(0);
    expect(files.representation.mergesLeftOut).toBeGreaterThan(0);
  });
});

describe('bundles', () => {
  let fx: ExportFixture;
  let dir: string;
  let encoderTensors: ReturnType<typeof initTensors>;
  let decoderTensors: ReturnType<typeof initTensors>;
  let zips: { explainer: Uint8Array; classifier: Uint8Array };
  let bundles: { explainer: Bundle; classifier: Bundle };

  beforeAll(async () => {
    fx = exportFixture();
    // Weights far from the 0.02 init, so that a wrong op shows in the logits.
    encoderTensors = initTensors(fx.encoder, seededInit(31, 0.3));
    decoderTensors = initTensors(fx.decoder, seededInit(32, 0.3));
    dir = await mkdtemp(join(tmpdir(), 'lantern-export-'));
    await writeRunFolder(join(dir, 'run'), fx, { explainer: checkpointOf(fx.decoder, decoderTensors), classifier: checkpointOf(fx.encoder, encoderTensors) });
    const qwen = await qwenTokenizerJson();
    const root = fileStore(join(dir, 'run'));
    zips = {
      explainer: await buildBundle(await bundleSourceFromRun(root, 'explainer', qwen)),
      classifier: await buildBundle(await bundleSourceFromRun(root, 'classifier', qwen)),
    };
    bundles = { explainer: await readBundle(zips.explainer), classifier: await readBundle(zips.classifier) };
  });

  it('hold a Hugging Face model folder, the ONNX files and a manifest', () => {
    const names = [...bundles.explainer.files.keys()];
    expect(names).toEqual(['config.json', 'model.safetensors', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'lantern.json', 'README.md']);
    expect([...bundles.classifier.files.keys()]).not.toContain('generation_config.json');
    expect(bundles.explainer.hfConfig).toMatchObject({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true });
    expect(bundles.classifier.hfConfig).toMatchObject({ model_type: 'modernbert', architectures: ['ModernBertForSequenceClassification'], id2label: { 0: 'low', 1: 'medium', 2: 'high' } });
    expect(bundles.explainer.json('generation_config.json')).toMatchObject({ eos_token_id: 1, pad_token_id: 0, do_sample: false, max_new_tokens: 6 });
    const m = bundles.explainer.manifest;
    expect(m).toMatchObject({ format: 'lantern-bundle', task: 'explain', stage: { id: 'explainer', maxSeqLen: 64 }, labelTokenIds: fx.codec.labelTokenIds });
    expect(m.metrics['explainer.rouge1']).toBe(0.3);
    const readme = bundles.explainer.text('README.md');
    expect(readme).toContain('#x=');
    expect(readme).toContain('| rouge1 | 0.3000 |');
    const onnx = decodeModel(bundles.explainer.files.get('onnx/model.onnx')!);
    expect(onnx.opset).toBe(OPSET);
    expect(onnx.inputs.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(onnx.outputs.slice(0, 2)).toEqual(['logits', 'present.0.key']);
    expect(decodeModel(bundles.classifier.files.get('onnx/model.onnx')!)).toMatchObject({ inputs: ['input_ids', 'attention_mask'], outputs: ['logits'] });
  });

  it('carry the checkpoint’s safetensors unchanged', () => {
    const back = readSafetensors(bundles.classifier.files.get('model.safetensors')!).tensors;
    expect([...back.keys()]).toEqual([...encoderTensors.keys()]);
    for (const [name, t] of encoderTensors) expect(back.get(name)!.data).toEqual(t.data);
  });

  it('are the same bytes on every export, and lantern export writes those bytes', async () => {
    const again = await buildBundle(await bundleSourceFromRun(fileStore(join(dir, 'run')), 'explainer', await qwenTokenizerJson()));
    expect(Buffer.compare(Buffer.from(again), Buffer.from(zips.explainer))).toBe(0);
    const out = join(dir, 'cli.zip');
    await run('node', ['cli/lantern.mjs', 'export', join(dir, 'run'), '--stage', 'explainer', '--out', out]);
    expect(Buffer.compare(await readFile(out), Buffer.from(zips.explainer))).toBe(0);
  });

  it('run in onnxruntime-web (WASM): classifier logits match the float64 reference on a padded batch', async () => {
    const student = (await OnnxStudent.load(ort, bundles.classifier, { executionProvider: 'wasm' })) as OnnxClassifier;
    const inputs = fx.examples.slice(0, 3).map((e) => fx.codec.encoderInput(e, 20 + fx.examples.indexOf(e) * 7));
    const got = await student.logits(inputs);
    const T = Math.max(...inputs.map((x) => x.length));
    const ids = inputs.flatMap((x) => [...x, ...new Array<number>(T - x.length).fill(0)]);
    const mask = inputs.flatMap((x) => [...x.map(() => 1), ...new Array<number>(T - x.length).fill(0)]);
    const want = encoderForwardRef(fx.encoder, new Map([...encoderTensors].map(([k, v]) => [k, v.data])), ids, mask, inputs.length, T);
    expect(maxAbs(got.flat(), want)).toBeLessThan(1e-4);
    const fp16 = (await OnnxStudent.load(ort, bundles.classifier, { executionProvider: 'wasm', variant: 'fp16' })) as OnnxClassifier;
    expect(maxAbs((await fp16.logits(inputs)).flat(), want)).toBeLessThan(0.1);
    await Promise.all([student.release(), fp16.release()]);
  });

  it('run in onnxruntime-web (WASM): the with-past decoder gives the reference logits step by step', async () => {
    const student = (await OnnxStudent.load(ort, bundles.explainer, { executionProvider: 'wasm' })) as OnnxExplainer;
    const prompt = fx.codec.prompt(fx.examples[1]!, 12);
    const generated = await student.generate([prompt], { maxNewTokens: 4 });
    const seq = [...prompt, ...generated[0]!.tokens];
    // The reference forward over the whole sequence: greedy picks at each generated position.
    const V = fx.decoder.vocabSize;
    const ref = decoderForwardRef(fx.decoder, new Map([...decoderTensors].map(([k, v]) => [k, v.data])), seq, 1, seq.length);
    generated[0]!.tokens.forEach((tok, i) => {
      const row = ref.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
      expect(row.indexOf(Math.max(...row)), `step ${i}`).toBe(tok);
    });
    const [labels] = await student.labelLogits([prompt]);
    const row = ref.subarray((prompt.length - 1) * V, prompt.length * V);
    expect(maxAbs(labels!, fx.codec.labelTokenIds.map((id) => row[id]!))).toBeLessThan(1e-4);
    await student.release();
  });

  it('that are truncated or damaged are refused with a message that says so', async () => {
    await expect(readBundle(zips.classifier.subarray(0, zips.classifier.length - 1000))).rejects.toThrow(/truncated or damaged/);
    await expect(readBundle(new TextEncoder().encode('not a zip'))).rejects.toThrow(BundleError);
    const files = unzipSync(zips.classifier);
    const onnx = files['onnx/model.onnx']!;
    onnx[onnx.length - 5] ^= 0xff;
    await expect(readBundle(zipSync(files))).rejects.toThrow(/onnx\/model\.onnx in the bundle does not match its checksum/);
    const { 'model.safetensors': _gone, ...rest } = unzipSync(zips.classifier);
    await expect(readBundle(zipSync(rest))).rejects.toThrow(/no model\.safetensors/);
    const bad = join(dir, 'bad.zip');
    await writeFile(bad, 'x');
    await expect(run('node', ['cli/lantern.mjs', 'forward', '--model', bad, '--in', bad])).rejects.toMatchObject({ code: 1 });
  });
});
