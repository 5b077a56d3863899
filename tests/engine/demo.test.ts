// The demo as a user runs it: `lantern run examples/demo.tiny.json` (the demo's pipeline with a
// few steps) end to end, ending with the metrics table on stdout; its results.json parses with the
// results schema and holds every baseline and interval the table shows. The full demo config
// validates (tests/unit/experiment-examples.test.ts); only its tiny variant runs here.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResultsJson } from '../../src/experiment/results.ts';

let child: ReturnType<typeof spawn> | undefined;

function lanternRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, ['cli/lantern.mjs', 'run', ...args], { env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the demo (tiny variant) from the command line', () => {
  it('runs end to end and ends with every model beside its baselines, intervals and the test size', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lantern-demo-'));
    try {
      const r = await lanternRun(['examples/demo.tiny.json', '--out', out]);
      expect(r.stderr).toMatch(/stage\(s\) in/);
      expect(r.code).toBe(0);
      const { kind, results } = parseResultsJson(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(kind).toBe('run');
      if (kind !== 'run') return;
      const test = results.data.test;
      expect(test).toBeGreaterThan(0);
      // The table: one section per task, students, the in-house teacher and all four baselines.
      for (const row of ['classifier (student, tiny, from seed)', 'baseline: majority', 'baseline: skill overlap', 'teacher (in-house, tiny)', 'explainer (student, tiny, from teacher)', 'baseline: template', 'baseline: copy requirements']) {
        expect(r.stdout).toContain(row);
      }
      expect(r.stdout).toContain(`${test} test pairs; [95% interval over the test pairs`);
      // Each number the table prints for a student comes with its interval from results.json.
      const classifier = results.stages.find((s) => s.id === 'classifier')!;
      const accuracy = classifier.metrics.intervals!.accuracy!;
      expect(r.stdout).toContain(`${classifier.metrics.accuracy!.toFixed(3)} [${accuracy.lo.toFixed(3)}, ${accuracy.hi.toFixed(3)}]`);
      expect(results.baselines!.fittedOn).toBeGreaterThan(0);
      // Dimensions as overridden in the config, and parameter counts, for every model.
      expect(results.teacher.dims).toMatchObject({ hidden: 32, maxPosition: 384 });
      for (const s of results.stages) expect(s.parameters).toBeGreaterThan(0);
      // The in-house teacher answers its first 8 training pairs; the classifier learns from every seed pair.
      const file = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { teacher: { synthetic: { examples: number } }; data: { seedSet: { accepted: number } } };
      expect(file.teacher.synthetic.examples).toBe(8);
      expect(classifier.examples).toBe(file.data.seedSet.accepted);
    } finally {
      child?.kill(); // a test that gave up must not leave the run going
      rmSync(out, { recursive: true, force: true });
    }
    // About half a minute on an idle 2-core machine; the timeout only guards a hang on a shared one.
  }, 900_000);
});
