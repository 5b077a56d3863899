// Smoke test of `lantern bench --inference --quick`: it runs end to end and reports every case and
// the classifier ÷ explainer ratios. No timing is judged.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

describe('lantern bench --inference --quick', () => {
  it('measures both students on the engine and onnxruntime-web WASM, at two batch sizes, with and without compression', async () => {
    const { stdout } = await promisify(execFile)('node', ['cli/lantern.mjs', 'bench', '--inference', '--quick', '--json'], { maxBuffer: 16 << 20, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
    const report = JSON.parse(stdout) as { figures: { student: string; runtime: string; batch: number; compressed: boolean; requestsPerSec: number | null; inputTokens: number }[]; ratios: { ratio: number | null }[] };
    expect(report.figures).toHaveLength(2 * 2 * 2 * 2);
    expect(new Set(report.figures.map((f) => f.runtime))).toEqual(new Set(['engine (WGSL, WebGPU)', 'onnxruntime-web wasm']));
    for (const f of report.figures) expect(f.requestsPerSec).toBeGreaterThan(0);
    const tokens = (compressed: boolean) => report.figures.find((f) => f.compressed === compressed)!.inputTokens;
    expect(tokens(true)).toBeLessThan(tokens(false));
    expect(report.ratios).toHaveLength(8);
    for (const r of report.ratios) expect(r.ratio).toBeGreaterThan(0);
  });
});
