// The benchmark's runtimes over a pair of bundles (classifier, explainer): our WGSL engine (the
// bundles' safetensors loaded as an experiment loads a checkpoint, the studio's decode path) and
// onnxruntime-web on a given execution provider (the bundles' ONNX files). Same inputs, same
// algorithm (label from the three label tokens, then greedy generation), same stopping rule.
import type { Engine } from '../src/engine/runtime.ts';
import { loadCheckpoint } from '../src/engine/checkpoint.ts';
import type { EncoderClassifier } from '../src/engine/nn/encoder.ts';
import type { DecoderLM } from '../src/engine/nn/decoder.ts';
import { generate } from '../src/engine/nn/generate.ts';
import { argmax } from '../src/engine/nn/sampling.ts';
import { SPECIAL_IDS } from '../src/data/vocab.ts';
import { labelLogits } from '../src/experiment/run/decode.ts';
import { TaskCodec, type InputIds } from '../src/experiment/task.ts';
import type { Bundle } from '../src/export/bundle.ts';
import { BundleTokenizer, OnnxStudent, type ExecutionProvider, type ModelVariant, type OnnxClassifier, type OnnxExplainer, type Ort } from '../src/export/onnx-student.ts';
import type { InferenceRunner } from './inference.ts';

export interface BundlePair {
  classifier: Bundle;
  explainer: Bundle;
}

export function engineRunner(engine: Engine, bundles: BundlePair): InferenceRunner & { release(): void } {
  const load = (b: Bundle) => loadCheckpoint(engine, { weights: b.files.get('model.safetensors')!, config: b.hfConfig });
  const classifier = load(bundles.classifier) as EncoderClassifier;
  const explainer = load(bundles.explainer) as DecoderLM;
  const cCodec = new TaskCodec(new BundleTokenizer(bundles.classifier));
  const eCodec = new TaskCodec(new BundleTokenizer(bundles.explainer));
  const cLen = bundles.classifier.manifest.stage.maxSeqLen;
  const eLen = Math.min(bundles.explainer.manifest.stage.maxSeqLen, explainer.config.maxPosition);
  return {
    runtime: 'engine (WGSL, WebGPU)',
    async classify(batch) {
      const inputs = batch.map((x) => cCodec.encoderInput(x, cLen));
      const B = inputs.length;
      const T = Math.max(...inputs.map((x) => x.length));
      const ids = new Int32Array(B * T);
      const mask = new Float32Array(B * T);
      inputs.forEach((x, b) => (ids.set(x, b * T), mask.fill(1, b * T, b * T + x.length)));
      return engine.autograd.noGrad(() => engine.tidy(async () => classifier.forward({ inputIds: engine.upload(ids, [B, T], 'i32'), attentionMask: engine.upload(mask, [B, T]) }).read()));
    },
    async explain(batch, maxNewTokens) {
      const prompts = batch.map((x) => eCodec.prompt(x, eLen - maxNewTokens - 1));
      const labels = (await labelLogits(engine, explainer, eCodec, prompts, prompts.length)).map((l) => argmax(l));
      const out = await generate(explainer, prompts.map((p, i) => [...p, eCodec.labelTokenIds[labels[i]!]!]), { maxNewTokens, stopTokens: [SPECIAL_IDS.eos], padTokenId: SPECIAL_IDS.pad });
      return out.reduce((n, g) => n + g.tokens.length, 0);
    },
    release() {
      classifier.release();
      explainer.release();
    },
  };
}

export async function onnxRunner(ort: Ort, bundles: BundlePair, executionProvider: ExecutionProvider, variant: ModelVariant = 'fp32'): Promise<InferenceRunner & { release(): Promise<void> }> {
  const classifier = (await OnnxStudent.load(ort, bundles.classifier, { executionProvider, variant })) as OnnxClassifier;
  const explainer = (await OnnxStudent.load(ort, bundles.explainer, { executionProvider, variant })) as OnnxExplainer;
  return {
    runtime: `onnxruntime-web ${executionProvider}${variant === 'fp16' ? ' fp16' : ''}`,
    classify: (batch: readonly InputIds[]) => classifier.logits(batch.map((x) => classifier.codec.encoderInput(x, classifier.maxLength))),
    async explain(batch, maxNewTokens) {
      const out = await explainer.explain(batch, { maxNewTokens });
      return out.reduce((n, r) => n + r.newTokens, 0);
    },
    async release() {
      await Promise.all([classifier.release(), explainer.release()]);
    },
  };
}
