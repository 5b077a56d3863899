// Checks for the sequence ops: embedding, pooling, RoPE, attention, dropout.
import type { OpCheck } from './check.ts';
import { embedding } from '../ops/embedding.ts';
import { pool, type PoolKind } from '../ops/pooling.ts';
import { rope } from '../ops/rope.ts';
import { attention } from '../ops/attention.ts';
import { dropout } from '../ops/dropout.ts';
import * as cpuEmbedding from '../cpu/embedding.ts';
import * as cpuPooling from '../cpu/pooling.ts';
import * as cpuRope from '../cpu/rope.ts';
import * as cpuAttention from '../cpu/attention.ts';
import * as cpuDropout from '../cpu/dropout.ts';

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

function attentionCheck(
  name: string,
  dims: cpuAttention.AttentionDims,
  opts: { causal: boolean; scale?: number; queryOffset?: number },
  keyMask?: number[],
): OpCheck {
  const { B, T, S, nH, nKV, D } = dims;
  const mask = keyMask ? f64(keyMask) : undefined;
  return {
    name,
    inputs: [{ shape: [B, T, nH, D] }, { shape: [B, S, nKV, D] }, { shape: [B, S, nKV, D] }, ...(mask ? [{ shape: [B, S], data: mask, grad: false }] : [])],
    gpu: ([q, k, v, m]) => attention(q!, k!, v!, { ...opts, ...(m ? { keyMask: m } : {}) }),
    cpuForward: ([q, k, v, m]) => cpuAttention.attention(q!, k!, v!, dims, { ...opts, ...(m ? { keyMask: m } : {}) }),
    cpuBackward: ([q, k, v, m], g) => [...cpuAttention.attentionBackward(q!, k!, v!, g, dims, { ...opts, ...(m ? { keyMask: m } : {}) }), ...(m ? [null] : [])],
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
  // Grouped-query heads (2 query heads per kv head), bidirectional, one row padded at the end.
  attentionCheck('attention bidirectional GQA padded', { B: 2, T: 5, S: 5, nH: 4, nKV: 2, D: 8 }, { causal: false }, [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]),
  // Causal with left padding: the first two queries of row 1 see no key and must give zeros.
  attentionCheck('attention causal left-padded', { B: 2, T: 6, S: 6, nH: 2, nKV: 2, D: 4 }, { causal: true }, [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]),
  // A KV cache step: 2 new queries after 5 cached keys, one kv head for 4 query heads.
  attentionCheck('attention causal queryOffset', { B: 1, T: 2, S: 7, nH: 4, nKV: 1, D: 16 }, { causal: true, queryOffset: 5, scale: 0.3 }),
  // Several query workgroups and key tiles (64 per tile at D = 4).
  attentionCheck('attention causal across tiles', { B: 1, T: 66, S: 66, nH: 2, nKV: 1, D: 4 }, { causal: true }),
  // A head size that is not a multiple of 4 (the kernels pad it to vec4 chunks).
  attentionCheck('attention head size 6', { B: 2, T: 3, S: 4, nH: 2, nKV: 1, D: 6 }, { causal: true, queryOffset: 1 }, [1, 1, 1, 1, 0, 1, 1, 0]),
  // Head size 64 (16 keys per tile) across two tiles, masked.
  attentionCheck('attention head size 64', { B: 1, T: 3, S: 18, nH: 2, nKV: 2, D: 64 }, { causal: false }, [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]),
  // The GPU must draw exactly the CPU's mask: one differing element fails the forward.
  {
    name: 'dropout',
    inputs: [{ shape: [4, 33] }],
    gpu: ([x]) => dropout(x!, 0.3, 1234),
    cpuForward: ([x]) => cpuDropout.dropout(x!, 0.3, 1234),
    cpuBackward: (_x, g) => [cpuDropout.dropout(g, 0.3, 1234)],
  },
];
