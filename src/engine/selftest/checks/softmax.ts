// Checks for ops/softmax.ts against cpu/softmax.ts.
import type { OpCheck } from '../check.ts';
import { softmax } from '../../ops/softmax.ts';
import * as cpu from '../../cpu/softmax.ts';
import { randn } from '../../random.ts';

function softmaxCheck(name: string, shape: number[], data?: Float64Array): OpCheck {
  const cols = shape.at(-1)!;
  return {
    name,
    inputs: [{ shape, ...(data ? { data } : {}) }],
    gpu: ([x]) => softmax(x!),
    cpuForward: ([x]) => cpu.softmax(x!, cols),
    cpuBackward: ([x], g) => [cpu.softmaxBackward(x!, g, cols)],
  };
}

export const checks: OpCheck[] = [
  softmaxCheck('softmax [4,9]', [4, 9]),
  softmaxCheck('softmax [3,130]', [3, 130]),
  // exp(x) overflows f32 beyond 88: only a max-subtracted softmax survives these rows.
  softmaxCheck('softmax large logits [2,5]', [2, 5], randn(10, 3).map((v, i) => v * 3 + (i < 5 ? 500 : -300))),
];
