import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import { ENGINE_CHOICES, selectEngine, type EngineChoice } from '../../src/engine/select.ts';
import { parseKdReference, ReferenceFileError, type NamedReference } from '../../src/engine/selftest/kd-reference.ts';
import { runSelfTest, selfTestPlan } from '../../src/engine/selftest/run.ts';

/** The project's own copies of the independent KD reference values: the ordinary and the hard cases. */
export const DEFAULT_KD_REFERENCE = fileURLToPath(new URL('../../models/reference/kd-losses.json', import.meta.url));
export const DEFAULT_KD_REFERENCE_HARD = fileURLToPath(new URL('../../models/reference/kd-losses-hard.json', import.meta.url));

export const command: CliCommand = {
  name: 'selftest',
  summary: 'Check every engine op and every KD reference case on this machine\'s backend (WebGPU or WASM) against the CPU reference (JSON report)',
  usage: [
    'Usage: lantern selftest [--backend auto|webgpu|wasm] [--reference FILE] [--only PATTERN]',
    '',
    'Runs every op\'s forward and gradient check against the float64 CPU reference and every case of the',
    'KD reference files on the engine\'s backend here, and prints {backend, checks: [{name, maxAbsErr,',
    'maxRelErr, ok}], ok}.',
    '',
    'Options:',
    '  --backend B       webgpu (the WebGPU adapter Node gets here), wasm (WASM SIMD on the CPU), or',
    '                    auto (default: WebGPU on a hardware adapter, WASM on a software one or none)',
    `  --reference FILE  KD reference file, instead of the default two (${DEFAULT_KD_REFERENCE}`,
    `                    as "kd-reference #i", ${DEFAULT_KD_REFERENCE_HARD} as "kd-reference-hard #i")`,
    '  --only PATTERN    only checks whose name matches this regular expression (case-insensitive),',
    '                    e.g. "kdLoss|kd-reference" or "matmul"',
    '',
    'Exit codes: 0 all checks passed, 1 a check failed, 2 bad arguments or a bad reference file.',
  ].join('\n'),
  async run(args) {
    const { values } = parseArgs({ args, options: { reference: { type: 'string' }, only: { type: 'string' }, backend: { type: 'string', default: 'auto' } }, allowPositionals: false });
    const choice = values.backend as EngineChoice;
    if (!ENGINE_CHOICES.includes(choice)) throw new UsageError(`--backend: "${values.backend}" is not one of ${ENGINE_CHOICES.join(', ')}`);
    let only: RegExp | undefined;
    if (values.only !== undefined) {
      try {
        only = new RegExp(values.only, 'i');
      } catch (e) {
        throw new UsageError(`--only: "${values.only}" is not a valid regular expression (${(e as Error).message})`);
      }
    }
    const files = values.reference ? [{ name: 'kd-reference', path: values.reference }] : [{ name: 'kd-reference', path: DEFAULT_KD_REFERENCE }, { name: 'kd-reference-hard', path: DEFAULT_KD_REFERENCE_HARD }];
    const references: NamedReference[] = [];
    for (const { name, path } of files) {
      try {
        references.push({ name, file: parseKdReference(readFileSync(path, 'utf8'), path) });
      } catch (e) {
        const message = e instanceof ReferenceFileError ? e.message : `cannot read the reference file ${path}: ${(e as Error).message}`;
        console.error(`lantern selftest: ${message}`);
        return 2;
      }
    }
    const plan = selfTestPlan({ references, ...(only ? { only } : {}) });
    if (plan.length === 0) throw new UsageError(`--only: no check matches "${values.only}"`);

    const { engine, backend, device } = await selectEngine(choice, acquireNodeDevice);
    console.error(`backend: ${backend.kind} (${backend.reason})`);
    try {
      const report = await runSelfTest(engine, {
        backend,
        references,
        ...(only ? { only } : {}),
        onCheck: (r, done, total) => console.error(`[${done}/${total}] ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}  maxRelErr=${r.maxRelErr.toExponential(2)}${r.detail ? `  (${r.detail})` : ''}`),
      });
      console.log(JSON.stringify(report, null, 2));
      const failed = report.checks.filter((c) => !c.ok);
      console.error(failed.length ? `${failed.length} of ${report.checks.length} checks failed: ${failed.map((c) => c.name).join('; ')}` : `all ${report.checks.length} checks passed`);
      return report.ok ? 0 : 1;
    } finally {
      engine.destroy();
      device?.device.destroy();
    }
  },
};
