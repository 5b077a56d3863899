// Learning-rate schedules: linear warm-up from 0, then constant, cosine or linear decay to minLr.
// Same curve as Hugging Face's get_{constant,cosine,linear}_schedule_with_warmup: `step` counts
// the updates already made (0 for the first), so with warm-up the first update uses lr 0.
import { EngineError } from './errors.ts';

/** The schedule kinds, named once for the whole project (the experiment schema lists these). */
export const LR_SCHEDULE_KINDS = ['constant', 'cosine', 'linear'] as const;
export type LrScheduleKind = (typeof LR_SCHEDULE_KINDS)[number];

export interface LrSchedule {
  kind: LrScheduleKind;
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor the decay ends at (default 0). */
  minLr?: number;
}

export function checkSchedule(s: LrSchedule): void {
  if (!LR_SCHEDULE_KINDS.includes(s.kind)) throw new EngineError(`unknown learning-rate schedule "${s.kind}"; expected one of ${LR_SCHEDULE_KINDS.join(', ')}`);
  if (!(s.baseLr > 0) || !Number.isFinite(s.baseLr)) throw new EngineError(`learning rate must be a positive number (got ${s.baseLr})`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0) throw new EngineError(`warm-up steps must be a whole number ≥ 0 (got ${s.warmupSteps})`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new EngineError(`total steps must be a whole number ≥ 1 (got ${s.totalSteps})`);
  if (s.warmupSteps > s.totalSteps) throw new EngineError(`warm-up (${s.warmupSteps} steps) is longer than training (${s.totalSteps} steps)`);
  const minLr = s.minLr ?? 0;
  if (!(minLr >= 0 && minLr <= s.baseLr)) throw new EngineError(`minLr must be between 0 and the learning rate ${s.baseLr} (got ${s.minLr})`);
}

/** The learning rate for the update after `step` updates. */
export function learningRate(step: number, s: LrSchedule): number {
  checkSchedule(s);
  if (!Number.isInteger(step) || step < 0) throw new EngineError(`step must be a whole number ≥ 0 (got ${step})`);
  if (step < s.warmupSteps) return (s.baseLr * step) / s.warmupSteps;
  if (s.kind === 'constant') return s.baseLr;
  const minLr = s.minLr ?? 0;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  const shape = s.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return minLr + (s.baseLr - minLr) * shape;
}
