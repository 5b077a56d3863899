// The KD reference file (models/reference/kd-losses.json): values and gradients computed outside
// this project in float64. Read in its own format, as is:
//   { about, seed, cases: [{ kind, temperature, param, studentLogits, mask, loss, grad,
//     teacherLogits | (sparse, teacherTopkIds, teacherTopkLogprobs) | labels (kind "ce") }] }
// loss = mean over rows with mask 1 of D(p_T‖q_T), without T² and without weights.
import { z } from 'zod';
import type { Engine } from '../runtime.ts';
import { DIVERGENCES, type KdLossSpec } from '../kd-spec.ts';
import * as cpu from '../cpu/kd-loss.ts';
import { kdLoss } from '../ops/kd-loss.ts';
import { uploadSparseTeacher } from '../kd-args.ts';
import { compare, worst, type CheckResult, type Tolerance } from './check.ts';

const matrix = z.array(z.array(z.number()).min(1)).min(1);

const caseSchema = z
  .object({
    kind: z.enum(['ce', ...DIVERGENCES]),
    temperature: z.number().positive(),
    param: z.number().nullable().optional(),
    studentLogits: matrix,
    mask: z.array(z.number()),
    loss: z.number(),
    grad: matrix,
    teacherLogits: matrix.optional(),
    sparse: z.boolean().optional(),
    teacherTopkIds: z.array(z.array(z.number().int())).optional(),
    teacherTopkLogprobs: matrix.optional(),
    labels: z.array(z.number().int()).optional(),
  })
  .superRefine((c, ctx) => {
    const n = c.studentLogits.length;
    const v = c.studentLogits[0]!.length;
    const rect = (m: number[][] | undefined, cols: number) => !m || (m.length === n && m.every((r) => r.length === cols));
    if (!rect(c.studentLogits, v)) ctx.addIssue({ code: 'custom', message: 'studentLogits rows differ in length' });
    if (!rect(c.grad, v)) ctx.addIssue({ code: 'custom', message: `grad must be ${n}×${v} like studentLogits` });
    if (c.mask.length !== n) ctx.addIssue({ code: 'custom', message: `mask must have ${n} entries` });
    if (c.kind === 'ce') {
      if (!c.labels || c.labels.length !== n) ctx.addIssue({ code: 'custom', message: `a ce case needs ${n} labels` });
    } else if (c.sparse) {
      const k = c.teacherTopkIds?.[0]?.length ?? 0;
      if (!rect(c.teacherTopkIds, k) || !rect(c.teacherTopkLogprobs, k) || k === 0) ctx.addIssue({ code: 'custom', message: `a sparse case needs teacherTopkIds and teacherTopkLogprobs, both ${n}×K` });
    } else if (!c.teacherLogits || !rect(c.teacherLogits, v)) {
      ctx.addIssue({ code: 'custom', message: `a dense case needs teacherLogits ${n}×${v}` });
    }
  });

const fileSchema = z.object({ about: z.string().optional(), seed: z.unknown().optional(), cases: z.array(caseSchema).min(1) });

export type KdReferenceCase = z.infer<typeof caseSchema>;
export type KdReferenceFile = z.infer<typeof fileSchema>;

export class ReferenceFileError extends Error {
  override name = 'ReferenceFileError';
}

/** Parses the reference file's JSON text; a clear ReferenceFileError names what is wrong. */
export function parseKdReference(text: string, source = 'reference file'): KdReferenceFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReferenceFileError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ReferenceFileError(`${source} is not a KD reference file: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A KD reference file with the name its cases go by ('kd-reference', 'kd-reference-hard'). */
export interface NamedReference {
  name: string;
  file: KdReferenceFile;
}

/** A readable, stable name for a case: its file's name, index, kind, parameter, temperature and teacher form. */
export function caseName(c: KdReferenceCase, index: number, file = 'kd-reference'): string {
  const param = c.param != null ? `(${c.param})` : '';
  const teacher = c.kind === 'ce' ? 'labels' : c.sparse ? 'sparse' : 'dense';
  return `${file} #${index} ${c.kind}${param} ${teacher} T=${c.temperature} ${c.studentLogits.length}×${c.studentLogits[0]!.length}`;
}

/** The loss spec whose value is what the file stores: D without T² or weights, or plain CE. */
export function caseSpec(c: KdReferenceCase): KdLossSpec {
  if (c.kind === 'ce') return { divergence: 'fkl', temperature: 1, scaleByT2: false, wCe: 1, wKd: 0 };
  return { divergence: c.kind, ...(c.param != null ? { param: c.param } : {}), temperature: c.temperature, scaleByT2: false, wCe: 0, wKd: 1 };
}

export function caseCpuInput(c: KdReferenceCase): cpu.KdCpuInput {
  const n = c.studentLogits.length;
  const v = c.studentLogits[0]!.length;
  return {
    spec: caseSpec(c),
    student: c.studentLogits.flat(),
    n,
    v,
    mask: c.mask,
    ...(c.kind === 'ce' ? { targets: c.labels! } : c.sparse ? { sparse: { ids: c.teacherTopkIds!.flat(), logprobs: c.teacherTopkLogprobs!.flat(), k: c.teacherTopkIds![0]!.length } } : { teacher: c.teacherLogits!.flat() }),
  };
}

/** The reference cases' bounds under the one tolerance rule (check.ts): float64 CPU twin, f32 GPU kernel. */
export const CPU_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };
export const GPU_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-4 };

/** The CPU reference against one case (loss and gradient). */
export function checkCaseCpu(c: KdReferenceCase, index: number, file?: string): CheckResult {
  const name = caseName(c, index, file);
  const { loss, grad } = cpu.kdLoss(caseCpuInput(c));
  return worst(name, [compare(`${name} loss`, [loss], [c.loss], CPU_TOLERANCE), compare(`${name} grad`, grad, c.grad.flat(), CPU_TOLERANCE)]);
}

/** The fused GPU kernel against one case: loss in forward, gradient through autograd. */
export async function checkCaseGpu(engine: Engine, c: KdReferenceCase, index: number, file?: string): Promise<CheckResult> {
  const name = caseName(c, index, file);
  const input = caseCpuInput(c);
  return engine.tidy(async () => {
    const student = engine.upload(Float32Array.from(input.student), [input.n, input.v], 'f32', { requiresGrad: true, isParam: true });
    try {
      const loss = kdLoss(student, {
        spec: input.spec,
        mask: engine.upload(Float32Array.from(input.mask!), [input.n]),
        ...(input.teacher ? { teacherLogits: engine.upload(Float32Array.from(input.teacher), [input.n, input.v]) } : {}),
        ...(input.sparse
          ? { sparseTeacher: uploadSparseTeacher(engine, input.sparse.ids, input.sparse.logprobs, input.n, input.sparse.k, input.v) }
          : {}),
        ...(input.targets ? { targets: engine.upload(Int32Array.from(input.targets), [input.n]) } : {}),
      });
      const gotLoss = await loss.read();
      engine.autograd.backward(loss);
      const gotGrad = student.grad ? await student.grad.read() : new Float32Array(0);
      return worst(name, [compare(`${name} loss`, gotLoss, [c.loss], GPU_TOLERANCE), compare(`${name} grad`, gotGrad, c.grad.flat(), GPU_TOLERANCE)]);
    } finally {
      engine.autograd.clear();
      student.release();
    }
  });
}
