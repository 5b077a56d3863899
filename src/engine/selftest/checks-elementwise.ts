import type { OpCheck } from './check.ts';
import { add, addBias, mul, scale, sub } from '../ops/elementwise.ts';
import * as cpu from '../cpu/elementwise.ts';

export const elementwiseChecks: OpCheck[] = [
  {
    name: 'add',
    inputs: [{ shape: [3, 5] }, { shape: [3, 5] }],
    gpu: ([a, b]) => add(a!, b!),
    cpuForward: ([a, b]) => a!.map((v, i) => v + b![i]!),
    cpuBackward: (_x, g) => [g, g],
  },
  {
    name: 'sub',
    inputs: [{ shape: [7] }, { shape: [7] }],
    gpu: ([a, b]) => sub(a!, b!),
    cpuForward: ([a, b]) => a!.map((v, i) => v - b![i]!),
    cpuBackward: (_x, g) => [g, g.map((v) => -v)],
  },
  {
    name: 'mul',
    inputs: [{ shape: [4, 3] }, { shape: [4, 3] }],
    gpu: ([a, b]) => mul(a!, b!),
    cpuForward: ([a, b]) => a!.map((v, i) => v * b![i]!),
    cpuBackward: ([a, b], g) => [g.map((v, i) => v * b![i]!), g.map((v, i) => v * a![i]!)],
  },
  {
    name: 'scale',
    inputs: [{ shape: [9] }],
    gpu: ([a]) => scale(a!, -2.5),
    cpuForward: ([a]) => a!.map((v) => v * -2.5),
    cpuBackward: (_x, g) => [g.map((v) => v * -2.5)],
  },
  {
    name: 'addBias',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }],
    gpu: ([x, b]) => addBias(x!, b!),
    cpuForward: ([x, b]) => cpu.addBias(x!, b!),
    cpuBackward: (_x, g) => [g, cpu.sumRows(g, 4)],
  },
];
