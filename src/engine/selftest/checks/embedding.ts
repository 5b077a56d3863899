// Checks for ops/embedding.ts against cpu/embedding.ts.
import type { OpCheck } from '../check.ts';
import { embedding } from '../../ops/embedding.ts';
import * as cpu from '../../cpu/embedding.ts';

// Ids repeat (3 three times, 0 twice) so the gradient must add several rows into one.
const EMBED_IDS = Float64Array.from([3, 0, 3, 5, 1, 3, 0, 2]);

export const checks: OpCheck[] = [
  {
    name: 'embedding',
    inputs: [{ shape: [2, 4], data: EMBED_IDS, dtype: 'i32', grad: false }, { shape: [7, 6] }],
    gpu: ([ids, table]) => embedding(ids!, table!),
    cpuForward: ([ids, table]) => cpu.embedding(ids!, table!, 6),
    cpuBackward: ([ids], g) => [null, cpu.embeddingBackward(ids!, g, 7, 6)],
  },
];
