// Building dataset records: one place that fills in ids, splits and the content hash, used by the
// importer, the demo button and the CLI.
import { emptySplits, type Dataset, type Example, type SplitName } from './schema.ts';
import { contentHash } from './hash.ts';
import { generateDemoExamples } from './demo.ts';
import type { StudentVocabJson } from './vocab.ts';

export interface NewDatasetOptions {
  name: string;
  examples: readonly Example[];
  /** Defaults to a fresh random id. */
  id?: string;
  /** Defaults to now. */
  createdAt?: string;
  /** Defaults to every example in `raw`. */
  splits?: Partial<Record<SplitName, string[]>>;
}

/** A dataset record for `examples` (hashing is async: call this before opening any transaction). */
export async function newDataset(opts: NewDatasetOptions): Promise<Dataset> {
  const name = opts.name.trim();
  if (!name) throw new Error('Give the dataset a name.');
  const ids = new Set(opts.examples.map((e) => e.id));
  if (ids.size !== opts.examples.length) throw new Error('Example ids must be unique within a dataset.');
  const splits = { ...emptySplits(), raw: opts.examples.map((e) => e.id), ...opts.splits };
  for (const [split, list] of Object.entries(splits)) {
    const unknown = list.find((id) => !ids.has(id));
    if (unknown !== undefined) throw new Error(`Split "${split}" names example "${unknown}", which is not in the dataset.`);
  }
  return {
    id: opts.id ?? `ds-${crypto.randomUUID()}`,
    name,
    createdAt: opts.createdAt ?? new Date().toISOString(),
    splits,
    contentHash: await contentHash(opts.examples),
  };
}

/** The one-click demo dataset: deterministic from the seed, so its content hash is too. */
export async function demoDataset(seed: number, n: number): Promise<{ dataset: Dataset; examples: Example[] }> {
  const examples = generateDemoExamples({ seed, n });
  const dataset = await newDataset({ name: `Demo (seed ${seed}, ${n} pairs)`, examples, id: `demo-${seed}-${n}` });
  return { dataset, examples };
}

/** The dataset with its pruned student vocabulary attached (saved with it by store.updateDataset). */
export function withVocab(dataset: Dataset, vocab: StudentVocabJson): Dataset {
  return { ...dataset, vocab };
}

/** Examples in the dataset's order: the raw split's order first, then any others by id. */
export function inDatasetOrder<T extends { id: string }>(dataset: Dataset, examples: readonly T[]): T[] {
  const order = new Map(dataset.splits.raw.map((id, i) => [id, i]));
  return [...examples].sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
