// Checks for ops/elementwise.ts against cpu/elementwise.ts.
import type { OpCheck } from '../check.ts';
import { add, addBias, mul, reshapeCopy, scale, sub, sumRows } from '../../ops/elementwise.ts';
import * as cpu from '../../cpu/elementwise.ts';

export const checks: OpCheck[] = [
  {
    name: 'add',
    inputs: [{ shape: [3, 5] }, { shape: [3, 5] }],
    gpu: ([a, b]) => add(a!, b!),
    cpuForward: ([a, b]) => cpu.add(a!, b!),
    cpuBackward: (_x, g) => cpu.addBackward(g),
  },
  {
    name: 'sub',
    inputs: [{ shape: [7] }, { shape: [7] }],
    gpu: ([a, b]) => sub(a!, b!),
    cpuForward: ([a, b]) => cpu.sub(a!, b!),
    cpuBackward: (_x, g) => cpu.subBackward(g),
  },
  {
    name: 'mul',
    inputs: [{ shape: [4, 3] }, { shape: [4, 3] }],
    gpu: ([a, b]) => mul(a!, b!),
    cpuForward: ([a, b]) => cpu.mul(a!, b!),
    cpuBackward: ([a, b], g) => cpu.mulBackward(a!, b!, g),
  },
  {
    name: 'scale',
    inputs: [{ shape: [9] }],
    gpu: ([a]) => scale(a!, -2.5),
    cpuForward: ([a]) => cpu.scale(a!, -2.5),
    cpuBackward: (_x, g) => [cpu.scaleBackward(g, -2.5)],
  },
  {
    name: 'addBias',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }],
    gpu: ([x, b]) => addBias(x!, b!),
    cpuForward: ([x, b]) => cpu.addBias(x!, b!),
    cpuBackward: (_x, g) => cpu.addBiasBackward(g, 4),
  },
  // More rows than one workgroup has threads: each column sums its rows in order.
  {
    name: 'sumRows [70,3]',
    inputs: [{ shape: [70, 3] }],
    gpu: ([g]) => sumRows(g!, 3),
    cpuForward: ([g]) => cpu.sumRows(g!, 3),
  },
  {
    name: 'reshapeCopy [2,6]→[3,4]',
    inputs: [{ shape: [2, 6] }],
    gpu: ([x]) => reshapeCopy(x!, [3, 4]),
    cpuForward: ([x]) => cpu.reshapeCopy(x!),
    cpuBackward: (_x, g) => [cpu.reshapeCopyBackward(g)],
  },
];
