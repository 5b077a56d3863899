// Checks for ops/activation.ts against cpu/activation.ts, over the saturated tails too.
import type { OpCheck } from '../check.ts';
import { geglu, gelu, silu, swiglu } from '../../ops/activation.ts';
import * as cpu from '../../cpu/activation.ts';
import { randn } from '../../random.ts';

/** Values from −12 to 12 (the saturated tails) mixed with normal ones. */
function wideRange(n: number): Float64Array {
  return randn(n, 11).map((v, i) => (i % 3 === 0 ? -12 + (24 * i) / n : v));
}

export const checks: OpCheck[] = [
  {
    name: 'gelu [5,7]',
    inputs: [{ shape: [5, 7], data: wideRange(35) }],
    gpu: ([x]) => gelu(x!),
    cpuForward: ([x]) => cpu.gelu(x!),
    cpuBackward: ([x], g) => [cpu.geluBackward(x!, g)],
  },
  {
    name: 'silu [5,7]',
    inputs: [{ shape: [5, 7], data: wideRange(35) }],
    gpu: ([x]) => silu(x!),
    cpuForward: ([x]) => cpu.silu(x!),
    cpuBackward: ([x], g) => [cpu.siluBackward(x!, g)],
  },
  {
    name: 'swiglu [3,7]',
    inputs: [{ shape: [3, 7], data: wideRange(21) }, { shape: [3, 7] }],
    gpu: ([gate, up]) => swiglu(gate!, up!),
    cpuForward: ([gate, up]) => cpu.swiglu(gate!, up!),
    cpuBackward: ([gate, up], g) => cpu.swigluBackward(gate!, up!, g),
  },
  {
    name: 'geglu [3,7]',
    inputs: [{ shape: [3, 7], data: wideRange(21) }, { shape: [3, 7] }],
    gpu: ([gate, up]) => geglu(gate!, up!),
    cpuForward: ([gate, up]) => cpu.geglu(gate!, up!),
    cpuBackward: ([gate, up], g) => cpu.gegluBackward(gate!, up!, g),
  },
];
