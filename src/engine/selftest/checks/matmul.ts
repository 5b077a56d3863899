// Checks for ops/matmul.ts against cpu/matmul.ts: small odd shapes that cross no tile boundary and
// some that do, every transpose combination, batched and shared operands, the fused bias.
import type { OpCheck } from '../check.ts';
import { linear, matmul } from '../../ops/matmul.ts';
import * as cpu from '../../cpu/matmul.ts';
import type { MatmulDims } from '../../cpu/matmul.ts';

function matmulCheck(name: string, aShape: number[], bShape: number[], d: MatmulDims): OpCheck {
  const opts = { transA: d.transA ?? false, transB: d.transB ?? false };
  return {
    name,
    inputs: [{ shape: aShape }, { shape: bShape }],
    gpu: ([a, b]) => matmul(a!, b!, opts),
    cpuForward: ([a, b]) => cpu.matmul(a!, b!, d),
    cpuBackward: ([a, b], g) => cpu.matmulBackward(a!, b!, g, d),
  };
}

export const checks: OpCheck[] = [
  matmulCheck('matmul 5×7·7×3', [5, 7], [7, 3], { batch: 1, M: 5, K: 7, N: 3 }),
  matmulCheck('matmul aligned 5×8·8×12', [5, 8], [8, 12], { batch: 1, M: 5, K: 8, N: 12 }),
  matmulCheck('matmul transA 7×5ᵀ·7×3', [7, 5], [7, 3], { batch: 1, M: 5, K: 7, N: 3, transA: true }),
  matmulCheck('matmul transB 5×7·3×7ᵀ', [5, 7], [3, 7], { batch: 1, M: 5, K: 7, N: 3, transB: true }),
  matmulCheck('matmul transA transB aligned', [8, 4], [12, 8], { batch: 1, M: 4, K: 8, N: 12, transA: true, transB: true }),
  matmulCheck('matmul rows across tiles 65×17·17×3', [65, 17], [17, 3], { batch: 1, M: 65, K: 17, N: 3 }),
  matmulCheck('matmul columns across tiles 3×17·17×66', [3, 17], [17, 66], { batch: 1, M: 3, K: 17, N: 66 }),
  matmulCheck('matmul batched [2,3,5]·[2,5,4]', [2, 3, 5], [2, 5, 4], { batch: 2, M: 3, K: 5, N: 4 }),
  matmulCheck('matmul batched × shared [2,3,5]·[5,4]', [2, 3, 5], [5, 4], { batch: 2, M: 3, K: 5, N: 4, batchedB: false }),
  matmulCheck('matmul batched transA × shared transB', [2, 5, 3], [4, 5], { batch: 2, M: 3, K: 5, N: 4, transA: true, transB: true, batchedB: false }),
  matmulCheck('matmul shared × batched [3,5]·[2,5,4]', [3, 5], [2, 5, 4], { batch: 2, M: 3, K: 5, N: 4, batchedA: false }),
  {
    name: 'linear with bias [2,3,6]·[5,6]ᵀ+b',
    inputs: [{ shape: [2, 3, 6] }, { shape: [5, 6] }, { shape: [5] }],
    gpu: ([x, w, b]) => linear(x!, w!, b!),
    cpuForward: ([x, w, b]) => cpu.linear(x!, w!, b!, 5),
    cpuBackward: ([x, w], g) => cpu.linearBackward(x!, w!, g, 5, true),
  },
  {
    name: 'linear aligned without bias [3,8]·[12,8]ᵀ',
    inputs: [{ shape: [3, 8] }, { shape: [12, 8] }],
    gpu: ([x, w]) => linear(x!, w!),
    cpuForward: ([x, w]) => cpu.linear(x!, w!, null, 12),
    cpuBackward: ([x, w], g) => cpu.linearBackward(x!, w!, g, 12, false).slice(0, 2),
  },
];
