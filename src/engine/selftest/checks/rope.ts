// Checks for ops/rope.ts against cpu/rope.ts: a position offset (the KV cache) and explicit positions.
import type { OpCheck } from '../check.ts';
import { rope } from '../../ops/rope.ts';
import * as cpu from '../../cpu/rope.ts';

const ROPE_DIMS = { B: 2, T: 3, nH: 2, D: 8 };
// Left-padded second row: its tokens start at position 0 after one pad.
const ROPE_POSITIONS = Float64Array.from([0, 1, 2, 0, 0, 1]);

export const checks: OpCheck[] = [
  {
    name: 'rope',
    inputs: [{ shape: [2, 3, 2, 8] }],
    gpu: ([x]) => rope(x!, { theta: 10000, positionOffset: 5 }),
    cpuForward: ([x]) => cpu.rope(x!, ROPE_DIMS, { theta: 10000, offset: 5 }),
    cpuBackward: (_x, g) => [cpu.ropeBackward(g, ROPE_DIMS, { theta: 10000, offset: 5 })],
  },
  {
    name: 'rope positions',
    inputs: [{ shape: [2, 3, 2, 8] }, { shape: [2, 3], data: ROPE_POSITIONS, dtype: 'i32', grad: false }],
    gpu: ([x, p]) => rope(x!, { theta: 500, positions: p! }),
    cpuForward: ([x, p]) => cpu.rope(x!, ROPE_DIMS, { theta: 500, positions: p! }),
    cpuBackward: ([, p], g) => [cpu.ropeBackward(g, ROPE_DIMS, { theta: 500, positions: p! }), null],
  },
];
