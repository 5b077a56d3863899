// The named weights a graph is written from: a checkpoint's tensors (Hugging Face names, LoRA
// already merged — checkpoints are always plain models).
import type { NamedTensorData } from '../../engine/safetensors.ts';

export type Tensors = ReadonlyMap<string, NamedTensorData>;

/** A getter that names the missing tensor. */
export function tensorLookup(tensors: Tensors): (name: string) => NamedTensorData {
  return (name) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`the checkpoint has no tensor "${name}"`);
    return t;
  };
}

/** Splits a [rows, cols] weight into consecutive row blocks (fused q/k/v, ModernBERT's Wi). */
export function rows(t: NamedTensorData, sizes: readonly number[]): NamedTensorData[] {
  const cols = t.shape[1]!;
  if (sizes.reduce((a, b) => a + b, 0) !== t.shape[0]) throw new Error(`cannot split ${t.shape[0]} rows into [${sizes.join(', ')}]`);
  let at = 0;
  return sizes.map((n) => {
    const part = { shape: [n, cols], data: t.data.slice(at * cols, (at + n) * cols) };
    at += n;
    return part;
  });
}
