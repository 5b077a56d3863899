// Checks for ops/pooling.ts against cpu/pooling.ts: every kind, over padded and empty rows.
import type { OpCheck } from '../check.ts';
import { POOL_KINDS, pool, type PoolKind } from '../../ops/pooling.ts';
import * as cpu from '../../cpu/pooling.ts';

function poolCheck(kind: PoolKind): OpCheck {
  const [B, T, H] = [3, 4, 5];
  // Row 0 padded at the end, row 1 full, row 2 empty (pools to zeros).
  const mask = Float64Array.from([1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  return {
    name: `pool ${kind}`,
    inputs: [{ shape: [B, T, H] }, { shape: [B, T], data: mask, grad: false }],
    gpu: ([x, m]) => pool(x!, m!, kind),
    cpuForward: ([x, m]) => cpu.pool(x!, m!, B, T, H, kind),
    cpuBackward: ([, m], g) => [cpu.poolBackward(g, m!, B, T, H, kind), null],
  };
}

export const checks: OpCheck[] = POOL_KINDS.map(poolCheck);
