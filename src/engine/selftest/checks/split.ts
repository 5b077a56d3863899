// Checks for ops/split.ts against cpu/split.ts. A check compares one tensor, so each checks one
// part; the other parts get no gradient, which the backward must fill with zeros.
import type { OpCheck } from '../check.ts';
import { splitLastDim } from '../../ops/split.ts';
import * as cpu from '../../cpu/split.ts';

const SIZES = [3, 5, 2];
const ROWS = 4;

function splitCheck(part: number, shape?: number[]): OpCheck {
  const shapes = shape ? SIZES.map((size, i) => (i === part ? shape : [ROWS, size])) : undefined;
  return {
    name: `splitLastDim part ${part} of [${ROWS},${SIZES.join('+')}]${shape ? ` as [${shape.join(',')}]` : ''}`,
    inputs: [{ shape: [ROWS, SIZES.reduce((a, b) => a + b, 0)] }],
    gpu: ([x]) => splitLastDim(x!, SIZES, shapes)[part]!,
    cpuForward: ([x]) => cpu.splitLastDim(x!, SIZES)[part]!,
    cpuBackward: (_x, g) => [cpu.splitLastDimBackward(SIZES.map((_, i) => (i === part ? g : null)), SIZES, ROWS)],
  };
}

export const checks: OpCheck[] = [splitCheck(0), splitCheck(1, [2, 2, 5]), splitCheck(2)];
