// Checks for ops/dropout.ts against cpu/dropout.ts.
import type { OpCheck } from '../check.ts';
import { dropout } from '../../ops/dropout.ts';
import * as cpu from '../../cpu/dropout.ts';

export const checks: OpCheck[] = [
  // The GPU must draw exactly the CPU's mask: one differing element fails the forward.
  {
    name: 'dropout',
    inputs: [{ shape: [4, 33] }],
    gpu: ([x]) => dropout(x!, 0.3, 1234),
    cpuForward: ([x]) => cpu.dropout(x!, 0.3, 1234),
    cpuBackward: (_x, g) => [cpu.dropout(g, 0.3, 1234)],
  },
];
