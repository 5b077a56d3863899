// The full self-test a user runs on their own GPU (`lantern selftest`, the System page): every op
// check in OP_CHECKS plus every case of the KD reference file, as one JSON-ready report.
import type { Engine } from '../runtime.ts';
import type { AdapterReport } from '../gpu.ts';
import { checkOp, type CheckResult } from './check.ts';
import { OP_CHECKS } from './index.ts';
import { caseName, checkCaseGpu, type KdReferenceFile } from './kd.ts';

export interface SelfTestReport {
  device: AdapterReport;
  checks: CheckResult[];
  ok: boolean;
}

export interface SelfTestOptions {
  device: AdapterReport;
  /** The KD reference file; its cases are skipped when absent. */
  reference?: KdReferenceFile;
  /** Only checks whose name matches (op checks and reference cases alike). */
  only?: RegExp;
  /** Called after each check (progress display). */
  onCheck?: (result: CheckResult, done: number, total: number) => void;
}

/** Names of the checks a run would perform, in order. */
export function selfTestPlan(opts: Pick<SelfTestOptions, 'reference' | 'only'>): string[] {
  const names = [...OP_CHECKS.map((c) => c.name), ...(opts.reference?.cases.map(caseName) ?? [])];
  return opts.only ? names.filter((n) => opts.only!.test(n)) : names;
}

export async function runSelfTest(engine: Engine, opts: SelfTestOptions): Promise<SelfTestReport> {
  const match = (name: string) => !opts.only || opts.only.test(name);
  const total = selfTestPlan(opts).length;
  const checks: CheckResult[] = [];
  const done = (r: CheckResult) => {
    checks.push(r);
    opts.onCheck?.(r, checks.length, total);
  };
  // Op checks one at a time so progress is reported as they finish.
  for (const check of OP_CHECKS) {
    if (!match(check.name)) continue;
    try {
      done(await checkOp(engine, check));
    } catch (e) {
      done({ name: check.name, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: (e as Error).message });
    }
  }
  for (const [i, c] of (opts.reference?.cases ?? []).entries()) {
    const name = caseName(c, i);
    if (!match(name)) continue;
    try {
      done(await checkCaseGpu(engine, c, i));
    } catch (e) {
      done({ name, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: (e as Error).message });
    }
  }
  return { device: opts.device, checks, ok: checks.length > 0 && checks.every((c) => c.ok) };
}
