// Trained students (LoRA on the decoder, merged at save) exported and run by onnxruntime-web's WASM
// backend in Node against our WGSL engine: logits on padded batches within 1e-4, greedy
// generation through the with-past graph token for token, the studio's answers (label and
// explanation) equal, and the bundle's safetensors loading back into the engine with the same logits.
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { applyLora } from '../../src/engine/nn/lora.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { Trainer } from '../../src/engine/nn/train.ts';
import { generate } from '../../src/engine/nn/generate.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint.ts';
import { SPECIAL_IDS } from '../../src/data/vocab.ts';
import { classifyValLoss, encoderBatch, sftLoss } from '../../src/experiment/run/losses.ts';
import { answer, labelLogits } from '../../src/experiment/run/decode.ts';
import { buildBundle, readBundle, type Bundle } from '../../src/export/bundle.ts';
import { qwenTokenizerJson } from '../../src/export/node.ts';
import { OnnxStudent, type OnnxClassifier, type OnnxExplainer } from '../../src/export/onnx-student.ts';
import { exportFixture, type ExportFixture } from '../helpers/export-fixture.ts';
import { decoderLayout } from '../../src/experiment/task.ts';
import { jobText, profileText } from '../../src/data/format.ts';
import type { Example } from '../../src/data/schema.ts';

ort.env.wasm.numThreads = 1;

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
const ADAM = { lr: 0.01, betas: [0.9, 0.95] as [number, number], eps: 1e-8, weightDecay: 0 };

describe('exported students in onnxruntime-web match the engine', () => {
  let engine: Engine;
  let fx: ExportFixture;
  let encoder: EncoderClassifier;
  let decoder: DecoderLM;
  let bundles: { classifier: Bundle; explainer: Bundle };

  async function bundleOf(model: EncoderClassifier | DecoderLM, stageId: string): Promise<Bundle> {
    const { weights, config } = await saveCheckpoint(model);
    return readBundle(await buildBundle({ stageId, weights, config, vocab: fx.vocab, qwenTokenizer: await qwenTokenizerJson(), experiment: fx.experiment, metrics: {}, finishedAt: '2026-01-01T00:00:00Z', parameters: model.parameterCount() }));
  }

  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
    fx = exportFixture();
    const items = fx.examples.slice(0, 4).map((e, i) => ({ example: e, label: (['low', 'medium', 'high'] as const)[i % 3], explanation: 'Meets the core requirements.' }));
    encoder = new EncoderClassifier(engine, fx.encoder, seededInit(41, 0.2));
    const encTrainer = new Trainer(engine, encoder.trainableParameters(), new AdamW(encoder.trainableParameters(), ADAM));
    decoder = new DecoderLM(engine, fx.decoder, seededInit(42, 0.2));
    applyLora(decoder, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'down_proj'], seed: 3 });
    const decTrainer = new Trainer(engine, decoder.trainableParameters(), new AdamW(decoder.trainableParameters(), ADAM));
    for (let s = 0; s < 3; s++) {
      await encTrainer.step(() => classifyValLoss(engine, encoder, fx.codec, items, 48));
      await decTrainer.step(() => sftLoss(engine, decoder, fx.codec, items, decoderLayout(48, fx.decoder.maxPosition, 6)).loss);
    }
    bundles = { classifier: await bundleOf(encoder, 'classifier'), explainer: await bundleOf(decoder, 'explainer') };
  });

  it('classifier: logits on a right-padded batch within 1e-4', async () => {
    const examples = fx.examples.slice(0, 4);
    const maxLen = (i: number) => 16 + 9 * i;
    const engineLogits = await engine.autograd.noGrad(() =>
      engine.tidy(async () => {
        const inputs = examples.map((e, i) => fx.codec.encoderInput(e, maxLen(i)));
        const T = Math.max(...inputs.map((x) => x.length));
        const ids = new Int32Array(inputs.length * T);
        const mask = new Float32Array(inputs.length * T);
        inputs.forEach((x, b) => (ids.set(x, b * T), mask.fill(1, b * T, b * T + x.length)));
        return (await encoder.forward({ inputIds: engine.upload(ids, [inputs.length, T], 'i32'), attentionMask: engine.upload(mask, [inputs.length, T]) }).read()) as Float32Array;
      }),
    );
    const onnx = (await OnnxStudent.load(ort, bundles.classifier, { executionProvider: 'wasm' })) as OnnxClassifier;
    const got = await onnx.logits(examples.map((e, i) => fx.codec.encoderInput(e, maxLen(i))));
    expect(maxAbs(got.flat(), engineLogits)).toBeLessThan(1e-4);
    await onnx.release();
  });

  it('explainer (LoRA merged): label logits of left-padded prompts within 1e-4, greedy generation token for token', async () => {
    const prompts = fx.examples.slice(0, 3).map((e, i) => fx.codec.prompt(e, 14 + 6 * i));
    const onnx = (await OnnxStudent.load(ort, bundles.explainer, { executionProvider: 'wasm' })) as OnnxExplainer;
    expect(maxAbs((await onnx.labelLogits(prompts)).flat(), (await labelLogits(engine, decoder, fx.codec, prompts)).flat())).toBeLessThan(1e-4);
    const want = await generate(decoder, prompts, { maxNewTokens: 10, stopTokens: [SPECIAL_IDS.eos], padTokenId: SPECIAL_IDS.pad });
    const got = await onnx.generate(prompts, { maxNewTokens: 10 });
    expect(want.reduce((n, g) => n + g.tokens.length, 0)).toBeGreaterThan(5);
    expect(got).toEqual(want);
    await onnx.release();
  });

  it('the studio’s answer and the ONNX explainer give the same label and explanation', async () => {
    const examples = fx.examples.slice(4, 7);
    const studio = await answer(engine, decoder, fx.codec, examples, { layout: decoderLayout(64, fx.decoder.maxPosition, 6), maxNewTokens: 6, batch: 3 });
    const onnx = (await OnnxStudent.load(ort, bundles.explainer, { executionProvider: 'wasm' })) as OnnxExplainer;
    const inputs = examples.map((e) => fx.codec.encodeTexts(...textsOf(e)));
    const got = await onnx.explain(inputs);
    expect(studio.some((a) => a.newTokens > 0)).toBe(true);
    expect(got.map((g) => [g.label, g.explanation, g.newTokens])).toEqual(studio.map((a) => [a.label, a.explanation, a.newTokens]));
    await onnx.release();
  });

  it('lantern forward and lantern generate run an unzipped bundle folder as the engine does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lantern-folder-'));
    for (const [kind, bundle] of Object.entries(bundles)) {
      for (const [name, bytes] of bundle.files) {
        await mkdir(dirname(join(dir, kind, name)), { recursive: true });
        await writeFile(join(dir, kind, name), bytes);
      }
    }
    const inputs = fx.examples.slice(0, 2).map((e, i) => fx.codec.encoderInput(e, 12 + 6 * i));
    const T = Math.max(...inputs.map((x) => x.length));
    const input_ids = inputs.map((x) => [...x, ...new Array<number>(T - x.length).fill(0)]);
    const attention_mask = inputs.map((x) => [...x.map(() => 1), ...new Array<number>(T - x.length).fill(0)]);
    await writeFile(join(dir, 'in.json'), JSON.stringify({ input_ids, attention_mask }));
    const run = (args: string[]) => promisify(execFile)('node', ['cli/lantern.mjs', ...args], { maxBuffer: 64 << 20 }).then((r) => JSON.parse(r.stdout) as unknown);
    const { logits } = (await run(['forward', '--model', join(dir, 'classifier'), '--in', join(dir, 'in.json')])) as { logits: number[][] };
    const want = await engine.autograd.noGrad(() => engine.tidy(async () => (await encoder.forward({ inputIds: engine.upload(Int32Array.from(input_ids.flat()), [2, T], 'i32'), attentionMask: engine.upload(Float32Array.from(attention_mask.flat()), [2, T]) }).read()) as Float32Array));
    expect(maxAbs(logits.flat(), want)).toBeLessThan(1e-5);
    const prompts = fx.examples.slice(0, 2).map((e, i) => fx.codec.prompt(e, 10 + 4 * i));
    const generated = await run(['generate', '--model', join(dir, 'explainer'), '--ids', JSON.stringify(prompts), '--max-new-tokens', '5']);
    const engineTokens = (await generate(decoder, prompts, { maxNewTokens: 5, stopTokens: [SPECIAL_IDS.eos], padTokenId: SPECIAL_IDS.pad })).map((g) => g.tokens);
    expect(generated).toEqual(engineTokens);
  });

  it('the bundle’s model.safetensors loads back into the engine with the same logits', async () => {
    const back = loadCheckpoint(engine, { weights: bundles.classifier.files.get('model.safetensors')!, config: bundles.classifier.hfConfig }) as EncoderClassifier;
    const logits = (m: EncoderClassifier) => engine.autograd.noGrad(() => engine.tidy(async () => (await m.forward(encoderBatch(engine, fx.codec, fx.examples.slice(0, 3), 40)).read()) as Float32Array));
    expect(await logits(back)).toEqual(await logits(encoder));
    back.release();
  });
});

/** The rendered texts the codec encodes for an example (compressed job, profile). */
const textsOf = (e: Example): [string, string] => [jobText(e.job, { compress: true }), profileText(e.profile)];
