// Checks for the sequence ops: embedding, pooling, RoPE, attention, dropout.
import type { OpCheck } from './check.ts';
import { embedding } from '../ops/embedding.ts';
import { pool, type PoolKind } from '../ops/pooling.ts';
import { rope } from '../ops/rope.ts';
import * as cpuEmbedding from '../cpu/embedding.ts';
import * as cpuPooling from '../cpu/pooling.ts';
import * as cpuRope from '../cpu/rope.ts';

const f64 = (values: number[]) => Float64Array.from(values);

// Ids repeat (3 three times, 0 twice) so the gradient must add several rows into one.
const EMBED_IDS = f64([3, 0, 3, 5, 1, 3, 0, 2]);

const ROPE_DIMS = { B: 2, T: 3, nH: 2, D: 8 };
// Left-padded second row: its tokens start at position 0 after one pad.
const ROPE_POSITIONS = f64([0, 1, 2, 0, 0, 1]);

function poolCheck(kind: PoolKind): OpCheck {
  const [B, T, H] = [3, 4, 5];
  // Row 0 padded at the end, row 1 full, row 2 empty (pools to zeros).
  const mask = f64([1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  return {
    name: `pool ${kind}`,
    inputs: [{ shape: [B, T, H] }, { shape: [B, T], data: mask, grad: false }],
    gpu: ([x, m]) => pool(x!, m!, kind),
    cpuForward: ([x, m]) => cpuPooling.pool(x!, m!, B, T, H, kind),
    cpuBackward: ([, m], g) => [cpuPooling.poolBackward(g, m!, B, T, H, kind), null],
  };
}

export const sequenceChecks: OpCheck[] = [
  {
    name: 'embedding',
    inputs: [{ shape: [2, 4], data: EMBED_IDS, dtype: 'i32', grad: false }, { shape: [7, 6] }],
    gpu: ([ids, table]) => embedding(ids!, table!),
    cpuForward: ([ids, table]) => cpuEmbedding.embedding(ids!, table!, 6),
    cpuBackward: ([ids], g) => [null, cpuEmbedding.embeddingBackward(ids!, g, 7, 6)],
  },
  poolCheck('cls'),
  poolCheck('mean'),
  poolCheck('last'),
  {
    name: 'rope',
    inputs: [{ shape: [2, 3, 2, 8] }],
    gpu: ([x]) => rope(x!, { theta: 10000, positionOffset: 5 }),
    cpuForward: ([x]) => cpuRope.rope(x!, ROPE_DIMS, { theta: 10000, offset: 5 }),
    cpuBackward: (_x, g) => [cpuRope.rope(g, ROPE_DIMS, { theta: 10000, offset: 5 }, -1)],
  },
  {
    name: 'rope positions',
    inputs: [{ shape: [2, 3, 2, 8] }, { shape: [2, 3], data: ROPE_POSITIONS, dtype: 'i32', grad: false }],
    gpu: ([x, p]) => rope(x!, { theta: 500, positions: p! }),
    cpuForward: ([x, p]) => cpuRope.rope(x!, ROPE_DIMS, { theta: 500, positions: p! }),
    cpuBackward: ([, p], g) => [cpuRope.rope(g, ROPE_DIMS, { theta: 500, positions: p! }, -1), null],
  },
];
