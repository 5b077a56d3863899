// The profile table of `lantern bench --profile`: per op with its share of the step, then the costliest kernels.
import { describe, expect, it } from 'vitest';
import { formatStepProfiles } from '../../bench/engine.ts';
import { timePerOp } from '../../src/engine/profile.ts';

describe('formatStepProfiles', () => {
  it('prints each op\'s time and share, most first, and the costliest kernels', () => {
    const kernels = [
      { kernel: 'matmul:NN:444', op: 'matmul', dispatches: 3, ms: 6 },
      { kernel: 'attention.forward.D32', op: 'attention', dispatches: 1, ms: 3 },
      { kernel: 'matmul:TN:444', op: 'matmul', dispatches: 2, ms: 1 },
    ];
    const ops = timePerOp(kernels);
    expect(ops).toEqual([
      { op: 'matmul', dispatches: 5, ms: 7 },
      { op: 'attention', dispatches: 1, ms: 3 },
    ]);
    const text = formatStepProfiles([{ model: 'decoder', batch: 4, seqLen: 32, ops, kernels, totalMs: 10 }], 2);
    const lines = text.split('\n');
    expect(lines[0]).toBe('decoder (small), batch 4 × 32: 10.0 ms of kernel time in one step');
    expect(lines[1]).toMatch(/^ {2}matmul +7\.00 ms +70\.0% +5 dispatches$/);
    expect(lines[2]).toMatch(/^ {2}attention +3\.00 ms +30\.0% +1 dispatches$/);
    expect(lines.slice(4)).toHaveLength(2);
    expect(lines[4]).toMatch(/matmul:NN:444 +6\.00 ms +×3$/);
  });
});
