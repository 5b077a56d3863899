// The engine self-test: every op's GPU forward and gradient against the CPU reference.
// Each op family contributes a list of checks; KD loss reference cases are added by selftest/kd.ts.
import type { Engine } from '../runtime.ts';
import { checkOp, type CheckResult, type OpCheck } from './check.ts';
import { elementwiseChecks } from './checks-elementwise.ts';
import { sequenceChecks } from './checks-sequence.ts';
import { linalgChecks } from './checks-linalg.ts';
import { kdChecks } from './checks-kd.ts';
import { modelChecks } from './checks-models.ts';

export const OP_CHECKS: OpCheck[] = [...elementwiseChecks, ...sequenceChecks, ...linalgChecks, ...kdChecks, ...modelChecks];

export async function runOpChecks(engine: Engine, filter?: (name: string) => boolean): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of OP_CHECKS) {
    if (filter && !filter(check.name)) continue;
    try {
      results.push(await checkOp(engine, check));
    } catch (e) {
      results.push({ name: check.name, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: (e as Error).message });
    }
  }
  return results;
}
