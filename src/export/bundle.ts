// The download of a trained student: one zip (fflate) that is also a Hugging Face model folder.
//
//   config.json                 ModernBertForSequenceClassification / Qwen2ForCausalLM (the checkpoint's)
//   model.safetensors           the checkpoint's weights (LoRA merged)
//   generation_config.json      decoder only: greedy, eos <|endoftext|>, the run's max new tokens
//   tokenizer.json              the pruned student vocabulary (tokenizer-json.ts)
//   tokenizer_config.json
//   onnx/model.onnx             fp32 graph (onnx/index.ts); decoder: with past key/values
//   onnx/model_fp16.onnx        f16 weights, f32 inputs/outputs
//   lantern.json                task, input format, label tokens, metrics, and a manifest (size and
//                               SHA-256 of every file) so a damaged bundle is caught by name
//   README.md                   task, training config and experiment link, test metrics, usage
//
// The bytes depend only on the run's artifacts (fixed file order, compression level and the run's
// finish time as every file's time), so `lantern export` and the studio's Export button agree.
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { readSafetensors } from '../engine/safetensors.ts';
import { fromHfConfig, type ModelConfig } from '../engine/nn/config.ts';
import { StudentVocabJson } from '../data/vocab.ts';
import { FIT_LABELS } from '../data/schema.ts';
import { sha256Bytes } from '../data/hash.ts';
import { modelLabel, type ExperimentConfig, type StageConfig } from '../experiment/schema.ts';
import { decoderLayout } from '../experiment/task.ts';
import { exportOnnx, OPSET } from './onnx/index.ts';
import { decodeModel } from './onnx/proto.ts';
import { studentTokenizerFiles, type QwenTokenizerJson, type TokenizerFiles } from './tokenizer-json.ts';
import { bundleReadme } from './readme.ts';
import { TASK_FORMAT, type TaskFormat } from './task-format.ts';

export const BUNDLE_FORMAT = 'lantern-bundle';
export const BUNDLE_VERSION = 1;

export class BundleError extends Error {
  override name = 'BundleError';
}

/** What a bundle is made from: one stage of a finished run. */
export interface BundleSource {
  stageId: string;
  /** The stage's checkpoint: model.safetensors and config.json. */
  weights: Uint8Array;
  config: Record<string, unknown>;
  /** The run's vocab.json. */
  vocab: unknown;
  /** Qwen's tokenizer.json (the merges the student tokenizer runs). */
  qwenTokenizer: QwenTokenizerJson;
  experiment: ExperimentConfig;
  /** The stage's test metrics and the run's finish time (results.json). */
  metrics: Record<string, number | null>;
  finishedAt: string;
  parameters: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  task: 'classify' | 'explain';
  stage: { id: string; preset: string; source: string; parameters: number; maxSeqLen: number };
  model: { architecture: string; kind: ModelConfig['kind']; vocabSize: number; onnxOpset: number };
  /** How inputs are written (task.ts): the studio's exact token layout. */
  input: TaskFormat;
  /** Decoder: the student ids of " low", " medium", " high" (FIT_LABELS order). */
  labelTokenIds?: number[];
  labels: readonly string[];
  /** Decoders: the prompt length the stage trained on (task.ts decoderLayout) and greedy decoding's limits. */
  generation?: { promptTokens: number; maxNewTokens: number; eosTokenId: number; padTokenId: number };
  tokenizer: TokenizerFiles['representation'];
  metrics: Record<string, number | null>;
  experiment: ExperimentConfig;
  /** Every other file: its size and SHA-256. */
  files: Record<string, { bytes: number; sha256: string }>;
}

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
// tokenizer.json holds ~130k merges: one line, as Hugging Face writes it.
const compactJson = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** The zip's file time: the run's finish time, written as the same local fields everywhere (zip times have no zone). */
function zipTime(iso: string): Date {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return new Date(2000, 0, 1);
  return new Date(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds());
}

export async function buildBundle(src: BundleSource): Promise<Uint8Array> {
  const stage: StageConfig | undefined = src.experiment.stages.find((s) => s.id === src.stageId);
  if (!stage) throw new BundleError(`the experiment has no stage "${src.stageId}" (stages: ${src.experiment.stages.map((s) => s.id).join(', ')})`);
  const config = fromHfConfig(src.config);
  const wantKind = stage.task === 'classify' ? 'encoder' : 'decoder';
  if (config.kind !== wantKind) throw new BundleError(`stage ${stage.id} is a ${stage.task} stage but its checkpoint holds a ${config.kind}`);
  const vocabParsed = StudentVocabJson.safeParse(src.vocab);
  if (!vocabParsed.success) throw new BundleError(`vocab.json is not a student vocabulary: ${vocabParsed.error.issues[0]?.message}`);
  const vocab = vocabParsed.data;
  const { tensors } = readSafetensors(src.weights);
  const maxLength = Math.min(stage.maxSeqLen, config.maxPosition);
  const tok = studentTokenizerFiles(vocab, src.qwenTokenizer, config.kind, maxLength);
  const onnx = exportOnnx(config, tensors, { lantern_stage: stage.id, lantern_task: stage.task });
  const labelTokenIds = config.kind === 'decoder' ? labelIds(tok) : undefined;
  // The student is asked prompts cut exactly as in training and evaluation (one layout per run).
  const layout = config.kind === 'decoder' ? decoderLayout(stage.maxSeqLen, config.maxPosition, src.experiment.synthetic.maxNewTokens) : undefined;
  const generation = layout ? { promptTokens: layout.promptTokens, maxNewTokens: Math.min(src.experiment.eval.maxNewTokens, layout.responseTokens - 1), eosTokenId: TASK_FORMAT.eosTokenId, padTokenId: TASK_FORMAT.padTokenId } : undefined;

  const files: [string, Uint8Array][] = [
    ['config.json', json(src.config)],
    ['model.safetensors', src.weights],
    ...(generation
      ? ([['generation_config.json', json({ bos_token_id: TASK_FORMAT.imStartTokenId, eos_token_id: generation.eosTokenId, pad_token_id: generation.padTokenId, do_sample: false, max_new_tokens: generation.maxNewTokens })]] as [string, Uint8Array][])
      : []),
    ['tokenizer.json', compactJson(tok.tokenizer)],
    ['tokenizer_config.json', json(tok.config)],
    ['onnx/model.onnx', onnx.fp32],
    ['onnx/model_fp16.onnx', onnx.fp16],
  ];
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    task: stage.task,
    stage: { id: stage.id, preset: modelLabel(stage.student), source: stage.source, parameters: src.parameters, maxSeqLen: maxLength },
    model: { architecture: String((src.config.architectures as string[] | undefined)?.[0] ?? ''), kind: config.kind, vocabSize: config.vocabSize, onnxOpset: OPSET },
    input: TASK_FORMAT,
    ...(labelTokenIds ? { labelTokenIds } : {}),
    labels: config.kind === 'encoder' ? (config.labels ?? FIT_LABELS) : FIT_LABELS,
    ...(generation ? { generation } : {}),
    tokenizer: tok.representation,
    metrics: src.metrics,
    experiment: src.experiment,
    files: {},
  };
  for (const [name, bytes] of files) manifest.files[name] = { bytes: bytes.length, sha256: await sha256Bytes(bytes) };
  const mtime = zipTime(src.finishedAt);
  const zippable: Zippable = {};
  for (const [name, bytes] of [...files, ['lantern.json', json(manifest)] as [string, Uint8Array], ['README.md', new TextEncoder().encode(bundleReadme(manifest))] as [string, Uint8Array]]) {
    zippable[name] = [bytes, { mtime, level: 6 }];
  }
  return zipSync(zippable);
}

/** The label tokens as the bundle's own tokenizer writes them: one id each. */
function labelIds(tok: TokenizerFiles): number[] {
  const vocab = (tok.tokenizer.model as { vocab: Record<string, number> }).vocab;
  return FIT_LABELS.map((l) => {
    const id = vocab[` ${l}`];
    if (id === undefined) throw new BundleError(`the student vocabulary has no single token for " ${l}"`);
    return id;
  });
}

/** A bundle's files, checked against its manifest. */
export interface Bundle {
  manifest: BundleManifest;
  files: Map<string, Uint8Array>;
  config: ModelConfig;
  hfConfig: Record<string, unknown>;
  text(name: string): string;
  json<T = unknown>(name: string): T;
}

/** Files of a zip (readBundle) or of an unzipped folder (the caller reads them). */
export async function openBundle(files: Map<string, Uint8Array>): Promise<Bundle> {
  const need = (name: string) => {
    const f = files.get(name);
    if (!f) throw new BundleError(`the bundle has no ${name}; export it again from the studio or with lantern export`);
    return f;
  };
  const parse = <T>(name: string): T => {
    try {
      return JSON.parse(new TextDecoder().decode(need(name))) as T;
    } catch (e) {
      if (e instanceof BundleError) throw e;
      throw new BundleError(`${name} in the bundle is not valid JSON (${(e as Error).message})`);
    }
  };
  const manifest = parse<BundleManifest>('lantern.json');
  if (manifest.format !== BUNDLE_FORMAT) throw new BundleError(`lantern.json is not a Lantern bundle manifest (format "${manifest.format}")`);
  if (manifest.version !== BUNDLE_VERSION) throw new BundleError(`this bundle has format version ${manifest.version}; this studio reads version ${BUNDLE_VERSION}`);
  for (const [name, want] of Object.entries(manifest.files ?? {})) {
    const bytes = need(name);
    if (bytes.length !== want.bytes) throw new BundleError(`${name} in the bundle has ${bytes.length} bytes, the manifest says ${want.bytes}: the file is truncated or damaged`);
    if ((await sha256Bytes(bytes)) !== want.sha256) throw new BundleError(`${name} in the bundle does not match its checksum: the file is damaged`);
  }
  const hfConfig = parse<Record<string, unknown>>('config.json');
  let config: ModelConfig;
  try {
    config = fromHfConfig(hfConfig);
  } catch (e) {
    throw new BundleError(`config.json in the bundle: ${(e as Error).message}`);
  }
  try {
    decodeModel(need('onnx/model.onnx'));
  } catch (e) {
    throw new BundleError(`onnx/model.onnx in the bundle is not an ONNX model (${(e as Error).message})`);
  }
  return { manifest, files, config, hfConfig, text: (n) => new TextDecoder().decode(need(n)), json: parse };
}

/** Opens a bundle zip; a truncated or damaged file is a BundleError that says so. */
export async function readBundle(zip: Uint8Array): Promise<Bundle> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (e) {
    throw new BundleError(`not a readable bundle zip (${(e as Error).message}): the download is truncated or damaged, or this is not a Lantern export`);
  }
  return openBundle(new Map(Object.entries(entries)));
}
