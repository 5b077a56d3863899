// A bundle's students run by onnxruntime-web: the classifier's class probabilities and the
// explainer's label + greedy explanation, with the same algorithm as the studio's engine path
// (src/experiment/run/decode.ts): the label is the most probable of the three label tokens at the
// prompt's end, then the explanation is generated after it, one token per step through the
// with-past graph. `ort` is passed in: 'onnxruntime-web/webgpu' in a page or worker (WebGPU, with
// WASM as the fallback), 'onnxruntime-web' (WASM) in Node.
import type * as OrtModule from 'onnxruntime-web';
import { Tokenizer } from '@huggingface/tokenizers';
import { argmax } from '../engine/nn/sampling.ts';
import { FIT_LABELS, type FitLabel } from '../data/schema.ts';
import { softmax, TaskCodec, type InputIds, type TextTokenizer } from '../experiment/task.ts';
import { BundleError, type Bundle } from './bundle.ts';
import { decoderIo } from './onnx/decoder.ts';

export type Ort = typeof OrtModule;
export type ExecutionProvider = 'webgpu' | 'wasm';
export type ModelVariant = 'fp32' | 'fp16';

/** The bundle's own tokenizer.json (what a user's transformers.js runs), as the task codec's tokenizer. */
export class BundleTokenizer implements TextTokenizer {
  private readonly hf: Tokenizer;
  constructor(
    bundle: Bundle,
    readonly size = bundle.config.vocabSize,
  ) {
    this.hf = new Tokenizer(bundle.json('tokenizer.json'), bundle.json('tokenizer_config.json'));
  }
  encode(text: string): number[] {
    return text === '' ? [] : this.hf.encode(text, { add_special_tokens: false }).ids;
  }
  decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
    return this.hf.decode([...ids], { skip_special_tokens: opts.skipSpecial ?? false });
  }
}

export interface OnnxStudentOptions {
  executionProvider: ExecutionProvider;
  variant?: ModelVariant;
}

export abstract class OnnxStudent {
  readonly codec: TaskCodec;
  protected constructor(
    readonly ort: Ort,
    readonly bundle: Bundle,
    readonly session: OrtModule.InferenceSession,
    readonly executionProvider: ExecutionProvider,
  ) {
    this.codec = new TaskCodec(new BundleTokenizer(bundle));
  }

  static async load(ort: Ort, bundle: Bundle, opts: OnnxStudentOptions): Promise<OnnxClassifier | OnnxExplainer> {
    const file = opts.variant === 'fp16' ? 'onnx/model_fp16.onnx' : 'onnx/model.onnx';
    const bytes = bundle.files.get(file);
    if (!bytes) throw new BundleError(`the bundle has no ${file}`);
    const kind = bundle.config.kind;
    // On WebGPU the decoder's key/value cache stays on the GPU between steps.
    const keep = kind === 'decoder' && opts.executionProvider === 'webgpu' ? Object.fromEntries(decoderIo(bundle.config.layers).presentKeys.map((k) => [k, 'gpu-buffer' as const])) : undefined;
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [opts.executionProvider], graphOptimizationLevel: 'all', ...(keep ? { preferredOutputLocation: keep } : {}) });
    return kind === 'encoder' ? new OnnxClassifier(ort, bundle, session, opts.executionProvider) : new OnnxExplainer(ort, bundle, session, opts.executionProvider);
  }

  get maxLength(): number {
    return this.bundle.manifest.stage.maxSeqLen;
  }

  protected int64(values: ArrayLike<number>, dims: number[]): OrtModule.Tensor {
    return new this.ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export class OnnxClassifier extends OnnxStudent {
  /** Class logits [B][C] of encoder inputs (right-padded, masked). */
  async logits(inputs: readonly (readonly number[])[]): Promise<number[][]> {
    const B = inputs.length;
    const T = Math.max(...inputs.map((x) => x.length));
    const ids = new Array<number>(B * T).fill(this.bundle.manifest.input.padTokenId);
    const mask = new Array<number>(B * T).fill(0);
    inputs.forEach((x, b) => x.forEach((id, t) => ((ids[b * T + t] = id), (mask[b * T + t] = 1))));
    const out = await this.session.run({ input_ids: this.int64(ids, [B, T]), attention_mask: this.int64(mask, [B, T]) });
    const logits = out.logits!;
    const C = logits.dims[1]!;
    const data = (await logits.getData()) as Float32Array;
    logits.dispose();
    return Array.from({ length: B }, (_, b) => Array.from(data.subarray(b * C, (b + 1) * C)));
  }

  async classify(input: InputIds): Promise<{ label: FitLabel; probabilities: Record<FitLabel, number> }> {
    const [logits] = await this.logits([this.codec.encoderInput(input, this.maxLength)]);
    return labelled(this.bundle.manifest.labels, softmax(logits!));
  }
}

function labelled(labels: readonly string[], probs: number[]): { label: FitLabel; probabilities: Record<FitLabel, number> } {
  const probabilities = Object.fromEntries(labels.map((l, i) => [l, probs[i]!])) as Record<FitLabel, number>;
  return { label: labels[argmax(probs)] as FitLabel, probabilities };
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Called after every step with the tokens so far of each row. */
  onStep?: (tokens: readonly (readonly number[])[]) => void;
}

export class OnnxExplainer extends OnnxStudent {
  private readonly io = decoderIo(this.bundle.config.layers);
  private readonly kvHeads = this.bundle.config.kind === 'decoder' ? this.bundle.config.kvHeads : 0;
  private readonly headDim = this.bundle.config.hidden / this.bundle.config.heads;

  get maxNewTokens(): number {
    return this.bundle.manifest.generation?.maxNewTokens ?? 32;
  }

  /** The prompt length the stage trained on (task.ts decoderLayout, recorded in the manifest). */
  get promptTokens(): number {
    const g = this.bundle.manifest.generation;
    if (!g) throw new BundleError('this bundle has no generation settings (manifest.generation): it is not an explainer');
    return g.promptTokens;
  }

  private emptyPast(B: number): Record<string, OrtModule.Tensor> {
    return Object.fromEntries(this.io.pastKeys.map((k) => [k, new this.ort.Tensor('float32', new Float32Array(0), [B, this.kvHeads, 0, this.headDim])]));
  }

  /**
   * One call of the with-past graph over left-padded rows: `ids` [B, T] fed at positions counted
   * from each row's first real token; `keyMask` covers past + T.
   */
  private async step(ids: number[], B: number, T: number, keyMask: number[], positions: number[], past: Record<string, OrtModule.Tensor>): Promise<{ last: Float32Array; present: Record<string, OrtModule.Tensor> }> {
    const out = await this.session.run({ input_ids: this.int64(ids, [B, T]), attention_mask: this.int64(keyMask, [B, keyMask.length / B]), position_ids: this.int64(positions, [B, T]), ...past });
    const V = out.logits!.dims[2]!;
    const all = (await out.logits!.getData()) as Float32Array;
    out.logits!.dispose();
    const last = new Float32Array(B * V);
    for (let b = 0; b < B; b++) last.set(all.subarray(((b + 1) * T - 1) * V, (b + 1) * T * V), b * V);
    const present = Object.fromEntries(this.io.presentKeys.map((k, i) => [this.io.pastKeys[i]!, out[k]!]));
    return { last, present };
  }

  /** Greedy continuation of each prompt until <|endoftext|> (not returned) or maxNewTokens. */
  async generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<{ tokens: number[]; finishReason: 'stop' | 'length' }[]> {
    const pad: number = this.bundle.manifest.input.padTokenId;
    const eos: number = this.bundle.manifest.input.eosTokenId;
    const B = prompts.length;
    const L = Math.max(...prompts.map((p) => p.length));
    const pads = prompts.map((p) => L - p.length);
    const V = this.bundle.config.vocabSize;
    const results = prompts.map(() => ({ tokens: [] as number[], finishReason: 'length' as 'stop' | 'length' }));
    const done = new Array<boolean>(B).fill(false);
    const keyMask: number[][] = prompts.map((p, b) => [...new Array<number>(pads[b]!).fill(0), ...p.map(() => 1)]);
    let ids = prompts.flatMap((p, b) => [...new Array<number>(pads[b]!).fill(pad), ...p]);
    let positions = prompts.flatMap((_, b) => Array.from({ length: L }, (_, t) => Math.max(0, t - pads[b]!)));
    let T = L;
    let past = this.emptyPast(B);
    try {
      for (let s = 0; s < opts.maxNewTokens; s++) {
        const { last, present } = await this.step(ids, B, T, keyMask.flat(), positions, past);
        if (s > 0) for (const t of Object.values(past)) t.dispose();
        past = present;
        const next: number[] = [];
        for (let b = 0; b < B; b++) {
          let token: number = pad;
          if (!done[b]) {
            token = argmax(last, b * V, V);
            if (token === eos) {
              done[b] = true;
              results[b]!.finishReason = 'stop';
              token = pad;
            } else results[b]!.tokens.push(token);
          }
          next.push(token);
          keyMask[b]!.push(1);
        }
        opts.onStep?.(results.map((r) => r.tokens));
        if (done.every(Boolean)) break;
        const len = L + s + 1;
        ids = next;
        positions = pads.map((p) => len - 1 - p);
        T = 1;
      }
      return results;
    } finally {
      for (const t of Object.values(past)) t.dispose();
    }
  }

  /** Logits of " low", " medium", " high" at each prompt's end (left-padded batch). */
  async labelLogits(prompts: readonly (readonly number[])[]): Promise<number[][]> {
    const B = prompts.length;
    const L = Math.max(...prompts.map((p) => p.length));
    const pads = prompts.map((p) => L - p.length);
    const ids = prompts.flatMap((p, b) => [...new Array<number>(pads[b]!).fill(this.bundle.manifest.input.padTokenId), ...p]);
    const mask = prompts.flatMap((p, b) => [...new Array<number>(pads[b]!).fill(0), ...p.map(() => 1)]);
    const positions = prompts.flatMap((_, b) => Array.from({ length: L }, (_, t) => Math.max(0, t - pads[b]!)));
    const past = this.emptyPast(B);
    const { last, present } = await this.step(ids, B, L, mask, positions, past);
    for (const t of Object.values(present)) t.dispose();
    const V = this.bundle.config.vocabSize;
    return Array.from({ length: B }, (_, b) => this.codec.labelTokenIds.map((id) => last[b * V + id]!));
  }

  /** Label and greedy explanation for each input (the studio's answer(), decode.ts). */
  async explain(inputs: readonly InputIds[], opts: { maxNewTokens?: number; onText?: (row: number, text: string) => void } = {}): Promise<{ label: FitLabel; probabilities: Record<FitLabel, number>; explanation: string; newTokens: number }[]> {
    const maxNewTokens = opts.maxNewTokens ?? this.maxNewTokens;
    const prompts = inputs.map((i) => this.codec.prompt(i, this.promptTokens));
    const logits = await this.labelLogits(prompts);
    const labels = logits.map((l) => argmax(l));
    const withLabel = prompts.map((p, i) => [...p, this.codec.labelTokenIds[labels[i]!]!]);
    const generations = await this.generate(withLabel, {
      maxNewTokens,
      ...(opts.onText ? { onStep: (tokens) => tokens.forEach((t, row) => opts.onText!(row, this.codec.parseResponse([this.codec.labelTokenIds[labels[row]!]!, ...t]).explanation)) } : {}),
    });
    return generations.map((g, i) => ({
      ...labelled(FIT_LABELS, softmax(logits[i]!)),
      label: FIT_LABELS[labels[i]!]!,
      explanation: this.codec.parseResponse([this.codec.labelTokenIds[labels[i]!]!, ...g.tokens]).explanation,
      newTokens: g.tokens.length,
    }));
  }
}
