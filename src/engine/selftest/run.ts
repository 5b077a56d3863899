// The full self-test a user runs on their own GPU (`lantern selftest`, the System page): every op
// check in OP_CHECKS plus every case of the KD reference files (the ordinary and the hard cases),
// as one JSON-ready report.
import type { Engine } from '../runtime.ts';
import type { BackendReport } from '../backend.ts';
import { checkOp, type CheckResult } from './check.ts';
import { OP_CHECKS } from './index.ts';
import { caseName, checkCaseGpu, type NamedReference } from './kd-reference.ts';

export interface SelfTestReport {
  /** The backend the checks ran on (and its WebGPU adapter, when there is one). */
  backend: BackendReport;
  checks: CheckResult[];
  ok: boolean;
}

export interface SelfTestOptions {
  backend: BackendReport;
  /** The KD reference files, each with the name its cases go by; none, no cases. */
  references?: NamedReference[];
  /** Only checks whose name matches (op checks and reference cases alike). */
  only?: RegExp;
  /** Called after each check (progress display). */
  onCheck?: (result: CheckResult, done: number, total: number) => void;
}

/** One check of a run: its name and how to run it. */
interface PlannedCheck {
  name: string;
  run: (engine: Engine) => Promise<CheckResult>;
}

/** The checks a run performs, in order: the op checks, then each reference file's cases. */
function plan(opts: Pick<SelfTestOptions, 'references' | 'only'>): PlannedCheck[] {
  const all: PlannedCheck[] = [
    ...OP_CHECKS.map((check) => ({ name: check.name, run: (engine: Engine) => checkOp(engine, check) })),
    ...(opts.references ?? []).flatMap(({ name, file }) => file.cases.map((c, i) => ({ name: caseName(c, i, name), run: (engine: Engine) => checkCaseGpu(engine, c, i, name) }))),
  ];
  return opts.only ? all.filter((c) => opts.only!.test(c.name)) : all;
}

/** Names of the checks a run would perform, in order. */
export function selfTestPlan(opts: Pick<SelfTestOptions, 'references' | 'only'>): string[] {
  return plan(opts).map((c) => c.name);
}

export async function runSelfTest(engine: Engine, opts: SelfTestOptions): Promise<SelfTestReport> {
  const planned = plan(opts);
  const checks: CheckResult[] = [];
  // One at a time, so progress is reported as they finish; a check that throws fails alone.
  for (const { name, run } of planned) {
    let result: CheckResult;
    try {
      result = await run(engine);
    } catch (e) {
      result = { name, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: (e as Error).message };
    }
    checks.push(result);
    opts.onCheck?.(result, checks.length, planned.length);
  }
  return { backend: opts.backend, checks, ok: checks.length > 0 && checks.every((c) => c.ok) };
}
