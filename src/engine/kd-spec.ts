// The distillation losses, named once for the whole project (engine kernels, CPU reference,
// experiment schema, UI); the engine README's "The KD loss" gives the algebra. Definitions
// (p = teacher, q = student, at temperature T):
//   ce   −log q(y) at T = 1           fkl  KL(p‖q)            rkl  KL(q‖p)
//   jsd  β·KL(p‖m) + (1−β)·KL(q‖m), m = β·p + (1−β)·q, β ∈ (0,1)
//   tvd  ½ Σ|p − q|                    sfkl KL(p ‖ αp + (1−α)q)  srkl KL(q ‖ αq + (1−α)p), α ∈ [0,1)
// Total: w_ce·CE + w_kd·s·D(p‖q), s = T² when scaleByT2.

export const DIVERGENCES = ['fkl', 'rkl', 'jsd', 'tvd', 'sfkl', 'srkl'] as const;
export type Divergence = (typeof DIVERGENCES)[number];

/** The parameter each divergence takes (β for jsd, α for the skew KLs), with its default. */
export const DIVERGENCE_PARAM: Partial<Record<Divergence, { name: 'beta' | 'alpha'; default: number }>> = {
  jsd: { name: 'beta', default: 0.5 },
  sfkl: { name: 'alpha', default: 0.1 },
  srkl: { name: 'alpha', default: 0.1 },
};

export interface KdLossSpec {
  divergence: Divergence;
  /** β for jsd, α for sfkl/srkl; ignored by the others. Defaults from DIVERGENCE_PARAM. */
  param?: number;
  temperature: number;
  scaleByT2: boolean;
  /** Weight of the hard-label / teacher-text cross-entropy (at T = 1). */
  wCe: number;
  /** Weight of the divergence. */
  wKd: number;
}

export const DEFAULT_KD_LOSS: KdLossSpec = { divergence: 'fkl', temperature: 1, scaleByT2: true, wCe: 0, wKd: 1 };

export class KdSpecError extends Error {
  override name = 'KdSpecError';
}

/** The divergence's parameter, checked against its valid range; a clear error otherwise. */
export function resolveKdParam(divergence: Divergence, param: number | undefined): number | undefined {
  const p = DIVERGENCE_PARAM[divergence];
  if (!p) return undefined;
  const value = param ?? p.default;
  if (!Number.isFinite(value)) throw new KdSpecError(`${divergence}: ${p.name} must be a number, got ${param}`);
  if (divergence === 'jsd' && (value <= 0 || value >= 1)) {
    throw new KdSpecError(`jsd: β must be strictly between 0 and 1 (got ${value}); at β = 0 or 1 JSD degenerates — use fkl or rkl instead`);
  }
  if (divergence !== 'jsd' && (value < 0 || value >= 1)) {
    throw new KdSpecError(`${divergence}: α must be in [0, 1) (got ${value})`);
  }
  return value;
}

export function validateKdLossSpec(spec: KdLossSpec): void {
  if (!DIVERGENCES.includes(spec.divergence)) throw new KdSpecError(`unknown divergence "${spec.divergence}"; expected one of ${DIVERGENCES.join(', ')}`);
  resolveKdParam(spec.divergence, spec.param);
  if (!(spec.temperature > 0) || !Number.isFinite(spec.temperature)) throw new KdSpecError(`temperature must be a positive number (got ${spec.temperature})`);
  if (!(spec.wCe >= 0) || !(spec.wKd >= 0)) throw new KdSpecError(`loss weights must be ≥ 0 (got wCe=${spec.wCe}, wKd=${spec.wKd})`);
  if (spec.wCe === 0 && spec.wKd === 0) throw new KdSpecError('at least one of wCe and wKd must be positive');
}
