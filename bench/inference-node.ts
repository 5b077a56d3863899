// The inference benchmark in Node (`lantern bench --inference`): the engine on Dawn, onnxruntime-web
// on WASM, and onnxruntime-web's WebGPU execution provider on the same Dawn adapter — one process,
// one adapter. Students are a finished run's exported stages, or same-vocabulary presets built
// here with seeded weights (timings do not depend on the values; explanations run to the cap).
import type { Engine } from '../src/engine/runtime.ts';
import { nodeGPU } from '../src/engine/node-gpu.ts';
import { EncoderClassifier } from '../src/engine/nn/encoder.ts';
import { DecoderLM } from '../src/engine/nn/decoder.ts';
import { decoderConfig, encoderConfig } from '../src/engine/nn/config.ts';
import { seededInit } from '../src/engine/nn/module.ts';
import { saveCheckpoint } from '../src/engine/checkpoint.ts';
import type { DecoderPreset, EncoderPreset } from '../src/engine/presets.ts';
import { generateDemoExamples } from '../src/data/demo.ts';
import { buildStudentVocab, StudentTokenizer } from '../src/data/vocab.ts';
import { loadQwenTokenizer } from '../src/data/tokenizer-node.ts';
import { TaskCodec, vocabularyTexts } from '../src/experiment/task.ts';
import { parseExperimentJson } from '../src/experiment/schema.ts';
import type { ArtifactStore } from '../src/experiment/run/host.ts';
import { buildBundle, readBundle, type Bundle } from '../src/export/bundle.ts';
import { bundleSourceFromRun, exportableStages } from '../src/export/from-run.ts';
import { qwenTokenizerJson } from '../src/export/node.ts';
import { BundleTokenizer, type Ort } from '../src/export/onnx-student.ts';
import { parameterCount } from '../src/engine/nn/size.ts';
import type { Example } from '../src/data/schema.ts';
import { benchInference, benchInputs, type InferenceFigure, type InferenceRunner } from './inference.ts';
import { engineRunner, onnxRunner, type BundlePair } from './inference-runners.ts';

export interface BenchSettings {
  maxNewTokens: number;
  maxSeqLen: number;
  calls: number;
  batches: number[];
  examples: number;
}

/** Full: sizes for a real GPU; quick: a smoke run. Either can be overridden field by field. */
export const BENCH_SETTINGS: Record<'full' | 'quick', BenchSettings> = {
  full: { maxNewTokens: 32, maxSeqLen: 256, calls: 5, batches: [1, 32], examples: 64 },
  quick: { maxNewTokens: 2, maxSeqLen: 48, calls: 1, batches: [1, 2], examples: 10 },
};

export interface NodeInferenceBenchOptions {
  quick: boolean;
  settings?: Partial<BenchSettings>;
  /** Students of a finished run (its classify and explain stages); default: presets with seeded weights. */
  run?: { store: ArtifactStore; classifier?: string; explainer?: string };
  presets?: { classifier: EncoderPreset; explainer: DecoderPreset };
  /** Include onnxruntime-web's WebGPU execution provider (slow to compile its pipelines on a software adapter). */
  ortWebgpu: boolean;
  log: (line: string) => void;
}

/** Dawn in Node takes no views of shared memory; onnxruntime-web's threaded WASM heap is one. */
function copySharedUploads(): void {
  const queue = (globalThis as { GPUQueue?: { prototype: GPUQueue } }).GPUQueue?.prototype;
  if (!queue || (queue as { __lanternShared?: boolean }).__lanternShared) return;
  const write = queue.writeBuffer;
  queue.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset?: number, size?: number) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const unit = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const start = (dataOffset ?? 0) * unit;
      const length = size !== undefined ? size * unit : data.byteLength - start;
      return write.call(this, buffer, offset, new Uint8Array(data.buffer, data.byteOffset + start, length).slice());
    }
    return write.call(this, buffer, offset, data, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  (queue as { __lanternShared?: boolean }).__lanternShared = true;
}

async function presetBundles(engine: Engine, examples: Example[], presets: { classifier: EncoderPreset; explainer: DecoderPreset }, maxSeqLen: number, maxNewTokens: number): Promise<BundlePair> {
  const vocab = buildStudentVocab(loadQwenTokenizer(), vocabularyTexts(examples, []));
  const codec = new TaskCodec(new StudentTokenizer(vocab, loadQwenTokenizer()));
  const stage = (id: string, task: string, preset: string) => ({ id, task, student: { preset }, source: 'teacher', steps: 1, batchSize: 1, maxSeqLen });
  const { config: experiment } = parseExperimentJson(JSON.stringify({ version: 1, name: 'inference benchmark (seeded weights)', seed: 1, dataset: { demo: { seed: 1, n: examples.length } }, stages: [stage('classifier', 'classify', presets.classifier), stage('explainer', 'explain', presets.explainer)], synthetic: { maxNewTokens }, inHouseTeacher: { preset: 'tiny', maxSeqLen }, eval: { maxNewTokens } }));
  const qwen = await qwenTokenizerJson();
  const bundle = async (id: string, model: EncoderClassifier | DecoderLM): Promise<Bundle> => {
    const { weights, config } = await saveCheckpoint(model);
    const parameters = model.parameterCount();
    model.release();
    return readBundle(await buildBundle({ stageId: id, weights, config, vocab, qwenTokenizer: qwen, experiment, metrics: {}, finishedAt: '2026-01-01T00:00:00Z', parameters }));
  };
  return {
    classifier: await bundle('classifier', new EncoderClassifier(engine, encoderConfig(presets.classifier, { vocabSize: codec.vocabSize, numClasses: 3 }), seededInit(1))),
    explainer: await bundle('explainer', new DecoderLM(engine, decoderConfig(presets.explainer, { vocabSize: codec.vocabSize, eosTokenId: 1, padTokenId: 0 }), seededInit(2))),
  };
}

async function runBundles(store: ArtifactStore, ids: { classifier?: string; explainer?: string }): Promise<BundlePair> {
  const { stages } = await exportableStages(store);
  const pick = (task: 'classify' | 'explain', id?: string) => {
    const s = id ? stages.find((x) => x.id === id) : stages.filter((x) => x.task === task).at(-1);
    if (!s || s.task !== task) throw new Error(`the run has no ${task} stage${id ? ` "${id}"` : ''} (stages: ${stages.map((x) => `${x.id} (${x.task})`).join(', ')})`);
    return s.id;
  };
  const qwen = await qwenTokenizerJson();
  const load = async (id: string) => readBundle(await buildBundle(await bundleSourceFromRun(store, id, qwen)));
  return { classifier: await load(pick('classify', ids.classifier)), explainer: await load(pick('explain', ids.explainer)) };
}

export interface NodeInferenceBench {
  figures: InferenceFigure[];
  students: Record<'classifier' | 'explainer', { stage: string; preset: string; parameters: number }>;
  settings: { maxNewTokens: number; maxSeqLen: number; calls: number; batches: number[]; examples: number };
}

export async function benchInferenceNode(engine: Engine, opts: NodeInferenceBenchOptions): Promise<NodeInferenceBench> {
  const settings = { ...BENCH_SETTINGS[opts.quick ? 'quick' : 'full'], ...opts.settings };
  const examples = generateDemoExamples({ seed: 1, n: settings.examples });
  opts.log('building the students…');
  const bundles = opts.run ? await runBundles(opts.run.store, opts.run) : await presetBundles(engine, examples, opts.presets ?? (opts.quick ? { classifier: 'tiny', explainer: 'tiny' } : { classifier: 'small', explainer: 'small' }), settings.maxSeqLen, settings.maxNewTokens);
  const maxNewTokens = opts.run ? Math.min(settings.maxNewTokens, bundles.explainer.manifest.generation?.maxNewTokens ?? settings.maxNewTokens) : settings.maxNewTokens;
  const runners: (InferenceRunner & { release(): unknown })[] = [engineRunner(engine, bundles)];
  const ortWasm = (await import('onnxruntime-web')) as unknown as Ort;
  ortWasm.env.logLevel = 'error';
  ortWasm.env.wasm.numThreads = 1;
  runners.push(await onnxRunner(ortWasm, bundles, 'wasm'));
  if (opts.ortWebgpu) {
    // onnxruntime-web's WebGPU provider asks navigator.gpu for the adapter: Dawn's, as the engine's.
    const gpu = await nodeGPU();
    (globalThis as { navigator?: unknown }).navigator ??= { gpu, userAgent: 'Node', hardwareConcurrency: 1 };
    copySharedUploads();
    const ortGpu = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
    ortGpu.env.wasm.numThreads = 1;
    ortGpu.env.logLevel = 'error';
    runners.push(await onnxRunner(ortGpu, bundles, 'webgpu'));
  }
  const inputs = benchInputs(new TaskCodec(new BundleTokenizer(bundles.classifier)), examples);
  try {
    const figures = await benchInference(runners, inputs, { batches: settings.batches, calls: settings.calls, maxNewTokens, now: () => performance.now(), log: opts.log });
    const student = (b: Bundle) => ({ stage: b.manifest.stage.id, preset: b.manifest.stage.preset, parameters: parameterCount(b.config) });
    return { figures, students: { classifier: student(bundles.classifier), explainer: student(bundles.explainer) }, settings: { ...settings, maxNewTokens } };
  } finally {
    for (const r of runners) await r.release();
  }
}
