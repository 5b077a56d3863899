// The peer bench (bench/peers) at its smallest sizes, in Node on Dawn and on WASM: every row
// produced a figure for ours, jax-js and TF.js, and every answer agreed with ours (the training
// rows: the same loss from the same weights, before and after one AdamW step). No timing is asserted.
import { describe, expect, it } from 'vitest';
import { runPeersInNode } from '../../bench/peers/node.ts';
import { smokeWorkloads } from '../../bench/peers/workloads.ts';
import { AGREEMENT, formatPeerTable } from '../../bench/peers/run.ts';

describe('bench/peers smoke run', () => {
  it.each(['webgpu', 'wasm'] as const)('measures every row in every contender on %s, with answers that agree', async (backend) => {
    const report = await runPeersInNode({ backend, workloads: smokeWorkloads() });
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
  });
});
