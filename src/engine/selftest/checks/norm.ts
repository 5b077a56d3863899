// Checks for ops/norm.ts against cpu/norm.ts.
import type { OpCheck } from '../check.ts';
import { layerNorm, rmsNorm } from '../../ops/norm.ts';
import * as cpu from '../../cpu/norm.ts';
import { randn } from '../../random.ts';

function layerNormCheck(name: string, shape: number[], offset = 0): OpCheck {
  const cols = shape.at(-1)!;
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    name,
    inputs: [{ shape, data: randn(size, 5).map((v) => v + offset) }, { shape: [cols] }, { shape: [cols] }],
    gpu: ([x, g, b]) => layerNorm(x!, g!, b!),
    cpuForward: ([x, g, b]) => cpu.layerNorm(x!, g!, b!, 1e-5),
    cpuBackward: ([x, g], gOut) => cpu.layerNormBackward(x!, g!, gOut, 1e-5),
  };
}

function rmsNormCheck(name: string, shape: number[]): OpCheck {
  return {
    name,
    inputs: [{ shape }, { shape: [shape.at(-1)!] }],
    gpu: ([x, g]) => rmsNorm(x!, g!),
    cpuForward: ([x, g]) => cpu.rmsNorm(x!, g!, 1e-6),
    cpuBackward: ([x, g], gOut) => cpu.rmsNormBackward(x!, g!, gOut, 1e-6),
  };
}

export const checks: OpCheck[] = [
  layerNormCheck('layerNorm [3,5,7]', [3, 5, 7]),
  // More columns than threads per row, more rows than one gamma/beta gradient chunk, a mean far from 0.
  layerNormCheck('layerNorm [33,70] offset 50', [33, 70], 50),
  rmsNormCheck('rmsNorm [3,5,7]', [3, 5, 7]),
  rmsNormCheck('rmsNorm [33,70]', [33, 70]),
];
