// The peer bench (bench/peers) at its smallest sizes, in Node on Dawn and on WASM, and the WASM
// race in Chromium (a cross-origin-isolated page): every row produced a figure for ours, jax-js
// and TF.js, and every answer agreed with ours (the training rows: the same loss from the same
// weights, before and after one AdamW step). No timing is asserted.
import { describe, expect, it } from 'vitest';
import { runPeersInNode } from '../../bench/peers/node.ts';
import { runPeersInChromium } from '../../bench/peers/chromium.ts';
import { smokeWorkloads } from '../../bench/peers/workloads.ts';
import { AGREEMENT, formatPeerTable, type PeerReport } from '../../bench/peers/run.ts';

function expectEveryRowMeasuredAndAgreeing(report: PeerReport): void {
  expect(report.contenders.map((c) => c.name)).toEqual(['ours', 'jax-js', 'TF.js']);
  const w = smokeWorkloads();
  expect(report.rows.map((r) => r.kind)).toEqual([...w.matmul.map(() => 'matmul'), ...w.training.map(() => 'training'), 'dispatch', 'dispatch']);
  for (const row of report.rows) {
    for (const name of ['ours', 'jax-js', 'TF.js']) {
      const cell = row.cells[name]!;
      expect(cell.error, `${row.name}: ${name}`).toBeUndefined();
      expect(cell.value, `${row.name}: ${name}`).toBeGreaterThan(0);
      expect(Number.isFinite(cell.value)).toBe(true);
      expect(cell.difference!, `${row.name}: ${name}`).toBeLessThanOrEqual(AGREEMENT[row.kind]);
    }
  }
  const table = formatPeerTable(report);
  expect(table).toContain(report.adapter);
  expect(table).toMatch(/ours\/jax-js\s+ours\/TF\.js/);
}

describe('bench/peers smoke run', () => {
  it.each(['webgpu', 'wasm'] as const)('measures every row in every contender on %s, with answers that agree', async (backend) => {
    expectEveryRowMeasuredAndAgreeing(await runPeersInNode({ backend, workloads: smokeWorkloads() }));
  });

  it('races on WASM in Chromium, in an isolated page where TF.js loads its threaded-SIMD build', async () => {
    const report = await runPeersInChromium({ backend: 'wasm', smoke: true });
    expectEveryRowMeasuredAndAgreeing(report);
    expect(report.environment).toMatch(/\(WASM in a worker, cross-origin isolated\)/);
    expect(report.contenders.find((c) => c.name === 'TF.js')!.detail).toContain('threaded-SIMD build');
    // Ours runs its worker pool there (shared memory exists only in an isolated page).
    const [, cores, threads] = /\((\d+) logical cores; ours on (\d+) threads?\)/.exec(report.adapter)!.map(Number);
    if (cores! > 1) expect(threads).toBeGreaterThan(1);
    else expect(threads).toBe(1);
  });
});
