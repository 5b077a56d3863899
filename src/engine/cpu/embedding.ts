// CPU reference for ops/embedding.ts (float64).

export function embedding(ids: ArrayLike<number>, table: Float64Array, H: number): Float64Array {
  const V = table.length / H;
  const out = new Float64Array(ids.length * H);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) continue;
    for (let h = 0; h < H; h++) out[n * H + h] = table[id * H + h]!;
  }
  return out;
}

/** Gradient of the table: each position's output gradient added to its row. */
export function embeddingBackward(ids: ArrayLike<number>, gOut: Float64Array, V: number, H: number): Float64Array {
  const gTable = new Float64Array(V * H);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) continue;
    for (let h = 0; h < H; h++) gTable[id * H + h] += gOut[n * H + h]!;
  }
  return gTable;
}
