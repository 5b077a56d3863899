// The loss of each kind of training step, built from pool indices (src/experiment/README.md):
//   SFT (in-house teacher):  CE on the response tokens of (prompt, label + explanation)
//   explain stage:           λ_sft·CE(teacher text) + λ_kd·Σ_t D(p_source ‖ p_student), teacher-forced
//                            on the in-house teacher's sequences; p_source online (full logits) or
//                            stored top-k + tail
//   classify stage:          w_ce·CE(source's argmax) + w_kd·D(p_source ‖ p_student) over the 3 labels
import type { Engine } from '../../engine/runtime.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { DecoderLM } from '../../engine/nn/decoder.ts';
import type { EncoderClassifier } from '../../engine/nn/encoder.ts';
import { crossEntropy, kdLoss } from '../../engine/ops/kd-loss.ts';
import { uploadSparseTeacher } from '../../engine/kd-args.ts';
import { logitRows, nextTokenBatch } from '../../engine/nn/train.ts';
import type { KdLossSpec } from '../../engine/kd-spec.ts';
import { fitLabelIndex, type Example, type FitLabel } from '../../data/schema.ts';
import { SPECIAL_IDS } from '../../data/vocab.ts';
import type { DecoderLayout, TaskCodec } from '../task.ts';

/** A batch's loss and the tokens it read (padding excluded): the run view's tokens/s. */
export interface StepLoss {
  loss: Tensor;
  tokens: number;
}

const tokensOf = (seqs: readonly { ids: readonly number[] }[]) => seqs.reduce((n, s) => n + s.ids.length, 0);

/** A training sequence: prompt + response ids, and the response's top-k teacher log-probs when stored. */
export interface TeacherSequence {
  example: Example;
  response: readonly number[];
  topk?: { ids: number[][]; logprobs: number[][] };
}

export function sftLoss(engine: Engine, model: DecoderLM, codec: TaskCodec, items: readonly { example: Example; label: FitLabel; explanation: string }[], layout: DecoderLayout): StepLoss {
  const seqs = items.map((it) => codec.sequence(it.example, codec.response(it.label, it.explanation), layout));
  const batch = nextTokenBatch(engine, seqs.map((s) => s.ids), { padTokenId: SPECIAL_IDS.pad, lossFrom: seqs.map((s) => s.responseStart) });
  return { loss: crossEntropy(logitRows(model.forward({ inputIds: batch.inputIds })), batch.targets, batch.mask), tokens: tokensOf(seqs) };
}

export type DecoderSource = { kind: 'online'; model: DecoderLM } | { kind: 'topk'; k: number };

export function explainLoss(engine: Engine, student: DecoderLM, source: DecoderSource, codec: TaskCodec, items: readonly TeacherSequence[], spec: KdLossSpec, layout: DecoderLayout): StepLoss {
  const seqs = items.map((it) => codec.sequence(it.example, it.response, layout));
  const batch = nextTokenBatch(engine, seqs.map((s) => s.ids), { padTokenId: SPECIAL_IDS.pad, lossFrom: seqs.map((s) => s.responseStart) });
  const studentRows = logitRows(student.forward({ inputIds: batch.inputIds }));
  const opts: Parameters<typeof kdLoss>[1] = { spec, mask: batch.mask };
  if (spec.wCe > 0) opts.targets = batch.targets;
  if (spec.wKd > 0) {
    if (source.kind === 'online') {
      opts.teacherLogits = engine.autograd.noGrad(() => logitRows(source.model.forward({ inputIds: batch.inputIds })));
    } else {
      const [B, T] = batch.inputIds.shape as [number, number];
      const K = source.k;
      const ids = new Int32Array(B * T * K);
      // Rows outside the response are masked; they still need valid categories.
      const logprobs = new Float32Array(B * T * K).fill(-30);
      for (let r = 0; r < B * T; r++) for (let c = 0; c < K; c++) ids[r * K + c] = c;
      items.forEach((it, b) => {
        const start = seqs[b]!.responseStart;
        const kept = seqs[b]!.ids.length - start;
        for (let j = 0; j < kept && j < (it.topk?.ids.length ?? 0); j++) {
          const row = b * T + start - 1 + j;
          ids.set(it.topk!.ids[j]!, row * K);
          logprobs.set(it.topk!.logprobs[j]!, row * K);
        }
      });
      opts.sparseTeacher = uploadSparseTeacher(engine, ids, logprobs, B * T, K, studentRows.shape[1]!);
    }
  }
  return { loss: kdLoss(studentRows, opts), tokens: tokensOf(seqs) };
}

/** Right-padded encoder batch. */
export function encoderBatch(engine: Engine, codec: TaskCodec, examples: readonly Example[], maxSeqLen: number) {
  const inputs = examples.map((e) => codec.encoderInput(e, maxSeqLen));
  const B = inputs.length;
  const T = Math.max(...inputs.map((x) => x.length));
  const ids = new Int32Array(B * T).fill(SPECIAL_IDS.pad);
  const mask = new Float32Array(B * T);
  inputs.forEach((x, b) => {
    ids.set(x, b * T);
    mask.fill(1, b * T, b * T + x.length);
  });
  return { inputIds: engine.upload(ids, [B, T], 'i32'), attentionMask: engine.upload(mask, [B, T]), tokens: tokensOf(inputs.map((ids) => ({ ids }))) };
}

export function classifyLoss(engine: Engine, student: EncoderClassifier, codec: TaskCodec, examples: readonly Example[], sourceLogits: readonly (readonly number[])[], spec: KdLossSpec, maxSeqLen: number): StepLoss {
  const batch = encoderBatch(engine, codec, examples, maxSeqLen);
  const logits = student.forward(batch);
  const C = sourceLogits[0]!.length;
  const opts: Parameters<typeof kdLoss>[1] = { spec };
  if (spec.wKd > 0) opts.teacherLogits = engine.upload(Float32Array.from(sourceLogits.flat()), [examples.length, C]);
  if (spec.wCe > 0) opts.targets = engine.upload(Int32Array.from(sourceLogits.map((row) => row.indexOf(Math.max(...row)))), [examples.length], 'i32');
  return { loss: kdLoss(logits, opts), tokens: batch.tokens };
}

/** Validation loss of a classifier: CE against reference labels. */
export function classifyValLoss(engine: Engine, student: EncoderClassifier, codec: TaskCodec, items: readonly { example: Example; label: FitLabel }[], maxSeqLen: number): Tensor {
  const logits = student.forward(encoderBatch(engine, codec, items.map((i) => i.example), maxSeqLen));
  return crossEntropy(logits, engine.upload(Int32Array.from(items.map((i) => fitLabelIndex(i.label))), [items.length], 'i32'));
}
