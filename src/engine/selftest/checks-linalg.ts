// Linear algebra, normalisation, activations and softmax: small odd shapes that cross no tile
// boundary and some that do, every transpose combination, batched and shared operands.
import type { OpCheck } from './check.ts';
import { linear, matmul } from '../ops/matmul.ts';
import * as cpu from '../cpu/matmul.ts';
import type { MatmulDims } from '../cpu/matmul.ts';
import { layerNorm, rmsNorm } from '../ops/norm.ts';
import * as cpuNorm from '../cpu/norm.ts';
import { geglu, gelu, silu, swiglu } from '../ops/activation.ts';
import * as cpuAct from '../cpu/activation.ts';
import { softmax } from '../ops/softmax.ts';
import * as cpuSoftmax from '../cpu/softmax.ts';
import { randn } from '../random.ts';

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

export const matmulChecks: OpCheck[] = [
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
    cpuBackward: ([x, w], g) => {
      const [dx, dw] = cpu.matmulBackward(x!, w!, g, { batch: 1, M: 6, K: 6, N: 5, transB: true });
      const db = new Float64Array(5);
      g.forEach((v, i) => (db[i % 5] += v));
      return [dx, dw, db];
    },
  },
  {
    name: 'linear aligned without bias [3,8]·[12,8]ᵀ',
    inputs: [{ shape: [3, 8] }, { shape: [12, 8] }],
    gpu: ([x, w]) => linear(x!, w!),
    cpuForward: ([x, w]) => cpu.linear(x!, w!, null, 12),
    cpuBackward: ([x, w], g) => cpu.matmulBackward(x!, w!, g, { batch: 1, M: 3, K: 8, N: 12, transB: true }),
  },
];

function layerNormCheck(name: string, shape: number[], offset = 0): OpCheck {
  const cols = shape.at(-1)!;
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    name,
    inputs: [{ shape, data: randn(size, 5).map((v) => v + offset) }, { shape: [cols] }, { shape: [cols] }],
    gpu: ([x, g, b]) => layerNorm(x!, g!, b!),
    cpuForward: ([x, g, b]) => cpuNorm.norm('layer', x!, g!, b!, 1e-5),
    cpuBackward: ([x, g], gOut) => cpuNorm.normBackward('layer', x!, g!, gOut, 1e-5),
  };
}

function rmsNormCheck(name: string, shape: number[]): OpCheck {
  return {
    name,
    inputs: [{ shape }, { shape: [shape.at(-1)!] }],
    gpu: ([x, g]) => rmsNorm(x!, g!),
    cpuForward: ([x, g]) => cpuNorm.norm('rms', x!, g!, null, 1e-6),
    cpuBackward: ([x, g], gOut) => cpuNorm.normBackward('rms', x!, g!, gOut, 1e-6).slice(0, 2),
  };
}

export const normChecks: OpCheck[] = [
  layerNormCheck('layerNorm [3,5,7]', [3, 5, 7]),
  // More columns than threads per row, more rows than one gamma/beta gradient chunk, a mean far from 0.
  layerNormCheck('layerNorm [33,70] offset 50', [33, 70], 50),
  rmsNormCheck('rmsNorm [3,5,7]', [3, 5, 7]),
  rmsNormCheck('rmsNorm [33,70]', [33, 70]),
];

/** Values from −12 to 12 (the saturated tails) mixed with normal ones. */
function wideRange(n: number): Float64Array {
  return randn(n, 11).map((v, i) => (i % 3 === 0 ? -12 + (24 * i) / n : v));
}

export const activationChecks: OpCheck[] = [
  ...(['gelu', 'silu'] as const).map((kind): OpCheck => ({
    name: `${kind} [5,7]`,
    inputs: [{ shape: [5, 7], data: wideRange(35) }],
    gpu: ([x]) => (kind === 'gelu' ? gelu(x!) : silu(x!)),
    cpuForward: ([x]) => cpuAct.activation(kind, x!),
    cpuBackward: ([x], g) => [cpuAct.activationBackward(kind, x!, g)],
  })),
  ...(['swiglu', 'geglu'] as const).map((name): OpCheck => {
    const kind = name === 'swiglu' ? 'silu' : 'gelu';
    return {
      name: `${name} [3,7]`,
      inputs: [{ shape: [3, 7], data: wideRange(21) }, { shape: [3, 7] }],
      gpu: ([gate, up]) => (name === 'swiglu' ? swiglu(gate!, up!) : geglu(gate!, up!)),
      cpuForward: ([gate, up]) => cpuAct.gated(kind, gate!, up!),
      cpuBackward: ([gate, up], g) => cpuAct.gatedBackward(kind, gate!, up!, g),
    };
  }),
];

function softmaxCheck(name: string, shape: number[], data?: Float64Array): OpCheck {
  const cols = shape.at(-1)!;
  return {
    name,
    inputs: [{ shape, ...(data ? { data } : {}) }],
    gpu: ([x]) => softmax(x!),
    cpuForward: ([x]) => cpuSoftmax.softmax(x!, cols),
    cpuBackward: ([x], g) => [cpuSoftmax.softmaxBackward(x!, g, cols)],
  };
}

export const softmaxChecks: OpCheck[] = [
  softmaxCheck('softmax [4,9]', [4, 9]),
  softmaxCheck('softmax [3,130]', [3, 130]),
  // exp(x) overflows f32 beyond 88: only a max-subtracted softmax survives these rows.
  softmaxCheck('softmax large logits [2,5]', [2, 5], randn(10, 3).map((v, i) => v * 3 + (i < 5 ? 500 : -300))),
];

export const linalgChecks: OpCheck[] = [...matmulChecks, ...normChecks, ...activationChecks, ...softmaxChecks];
