// Checks for ops/attention.ts against cpu/attention.ts: grouped-query heads, padding masks,
// causal and bidirectional, a KV cache step, several tiles, head sizes that are not multiples of 4.
import type { OpCheck } from '../check.ts';
import { attention } from '../../ops/attention.ts';
import * as cpu from '../../cpu/attention.ts';

const f64 = (values: number[]) => Float64Array.from(values);

function attentionCheck(
  name: string,
  dims: cpu.AttentionDims,
  opts: { causal: boolean; scale?: number; queryOffset?: number },
  keyMask?: number[],
): OpCheck {
  const { B, T, S, nH, nKV, D } = dims;
  const mask = keyMask ? f64(keyMask) : undefined;
  return {
    name,
    inputs: [{ shape: [B, T, nH, D] }, { shape: [B, S, nKV, D] }, { shape: [B, S, nKV, D] }, ...(mask ? [{ shape: [B, S], data: mask, grad: false }] : [])],
    gpu: ([q, k, v, m]) => attention(q!, k!, v!, { ...opts, ...(m ? { keyMask: m } : {}) }),
    cpuForward: ([q, k, v, m]) => cpu.attention(q!, k!, v!, dims, { ...opts, ...(m ? { keyMask: m } : {}) }),
    cpuBackward: ([q, k, v, m], g) => [...cpu.attentionBackward(q!, k!, v!, g, dims, { ...opts, ...(m ? { keyMask: m } : {}) }), ...(m ? [null] : [])],
  };
}

export const checks: OpCheck[] = [
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
];
