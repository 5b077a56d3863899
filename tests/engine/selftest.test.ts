// `lantern selftest` as a user runs it: every op check and every KD reference case on either
// backend (WebGPU, and WASM on the CPU), a JSON report, and exit codes that tell a failing
// backend (1) from a bad reference file (2).
import { backendReportOf } from '../../src/engine/select.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { OP_CHECKS } from '../../src/engine/selftest/index.ts';
import { parseKdReference } from '../../src/engine/selftest/kd-reference.ts';
import { runSelfTest } from '../../src/engine/selftest/run.ts';

const CLI = new URL('../../cli/lantern.mjs', import.meta.url).pathname;
const REFERENCE = new URL('../../models/reference/kd-losses.json', import.meta.url);
const referenceText = readFileSync(REFERENCE, 'utf8');
const hardCases = parseKdReference(readFileSync(new URL('../../models/reference/kd-losses-hard.json', import.meta.url), 'utf8')).cases.length;

interface Report {
  backend: { kind: string; adapter?: { adapter: { vendor: string } } };
  checks: { name: string; maxAbsErr: number | null; maxRelErr: number | null; ok: boolean }[];
  ok: boolean;
}

/** Runs the CLI; resolves with its exit code, stdout and stderr (non-zero exits included). */
async function selftest(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [CLI, 'selftest', ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('lantern selftest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-selftest-'));

  it.each(['webgpu', 'wasm'])('passes every op check and every reference case of the project\'s copies (ordinary and hard) on the %s backend', async (backend) => {
    const { code, stdout, stderr } = await selftest('--backend', backend);
    const report = JSON.parse(stdout) as Report;
    expect(code, stderr.slice(-2000)).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.backend.kind).toBe(backend);
    if (backend === 'webgpu') expect(report.backend.adapter?.adapter.vendor).toBeTruthy();
    const names = report.checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(OP_CHECKS.map((c) => c.name)));
    const cases = parseKdReference(referenceText).cases.length;
    expect(names.filter((n) => n.startsWith('kd-reference #')).length).toBe(cases);
    expect(names.filter((n) => n.startsWith('kd-reference-hard #')).length).toBe(hardCases);
    for (const c of report.checks) {
      expect(c, c.name).toMatchObject({ ok: true });
      expect(c.maxRelErr).toBeGreaterThanOrEqual(0);
    }
  });

  it('fails with exit code 1 and names the case when a reference loss is wrong', async () => {
    const corrupted = JSON.parse(referenceText) as { cases: { loss: number }[] };
    corrupted.cases[17]!.loss *= 1.01;
    const file = join(dir, 'corrupted.json');
    writeFileSync(file, JSON.stringify(corrupted));
    const { code, stdout, stderr } = await selftest('--reference', file, '--only', '^kd-reference');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual([expect.stringMatching(/^kd-reference #17 /)]);
    expect(stderr).toMatch(/1 of \d+ checks failed: kd-reference #17 /);
  });

  it('exits with code 2 and a clear message for a malformed or missing reference file', async () => {
    const broken = JSON.parse(referenceText) as { cases: Record<string, unknown>[] };
    delete broken.cases[4]!.grad;
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(broken));
    const bad = await selftest('--reference', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a KD reference file: cases\.4\.grad/);
    const missing = await selftest('--reference', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the reference file .*nope\.json/);
    const noMatch = await selftest('--only', 'no-check-has-this-name');
    expect(noMatch.code).toBe(2);
    expect(noMatch.stderr).toMatch(/no check matches/);
  });
});

describe('runSelfTest (the runner the CLI and the System page share)', () => {
  let engine: Engine;
  let device: Awaited<ReturnType<typeof testDevice>>;
  beforeAll(async () => {
    device = await testDevice();
    engine = new Engine(device.device);
  });

  it('runs the selected op checks and reference cases and reports progress', async () => {
    const progress: string[] = [];
    const report = await runSelfTest(engine, {
      backend: backendReportOf(engine, device.report),
      references: [{ name: 'kd-reference', file: parseKdReference(referenceText) }],
      only: /^(kdLoss tvd dense|adamw 3 steps$|kd-reference #(0|19) )/,
      onCheck: (r, done, total) => progress.push(`${done}/${total} ${r.name}`),
    });
    expect(report.checks.map((c) => c.name)).toEqual([expect.stringMatching(/^kdLoss tvd dense/), expect.stringMatching(/^adamw/), expect.stringMatching(/^kd-reference #0 /), expect.stringMatching(/^kd-reference #19 .*sparse/)]);
    expect(report.ok).toBe(true);
    expect(progress.at(-1)).toMatch(/^4\/4 /);
    expect(report.backend).toEqual({ kind: 'webgpu', choice: 'webgpu', reason: 'asked for WebGPU', adapter: device.report });
    expect(engine.pool.getStats().liveBuffers).toBe(0);
  });
});
