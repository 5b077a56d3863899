// Export: one JSON object per line per example, with its splits, teacher labels and review —
// the JSONL importer reads the same file back (its id, job and profile).
import type { Dataset, Example, Review, SplitName, TeacherLabel } from './schema.ts';
import { SPLIT_NAMES } from './schema.ts';
import type { LanternStore } from './store.ts';
import { inDatasetOrder } from './datasets.ts';

export interface ExportLine extends Example {
  splits: SplitName[];
  labels: TeacherLabel[];
  review: Review | null;
}

export function exportLines(dataset: Dataset, examples: readonly Example[], labels: readonly TeacherLabel[], reviews: readonly Review[]): ExportLine[] {
  const labelsOf = new Map<string, TeacherLabel[]>();
  for (const l of labels) labelsOf.set(l.exampleId, [...(labelsOf.get(l.exampleId) ?? []), l]);
  const reviewOf = new Map(reviews.map((r) => [r.exampleId, r]));
  const splitsOf = new Map<string, SplitName[]>();
  for (const split of SPLIT_NAMES) for (const id of dataset.splits[split]) splitsOf.set(id, [...(splitsOf.get(id) ?? []), split]);
  return inDatasetOrder(dataset, examples).map((e) => ({ ...e, splits: splitsOf.get(e.id) ?? [], labels: labelsOf.get(e.id) ?? [], review: reviewOf.get(e.id) ?? null }));
}

export function toExportJsonl(lines: readonly ExportLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
}

/** The dataset's examples with their labels and reviews as JSONL. */
export async function exportDatasetJsonl(store: LanternStore, datasetId: string): Promise<string> {
  const dataset = await store.getDataset(datasetId);
  if (!dataset) throw new Error(`No dataset with id "${datasetId}"`);
  const [examples, labels, reviews] = await Promise.all([store.getExamples(datasetId), store.getLabels(datasetId), store.getReviews(datasetId)]);
  return toExportJsonl(exportLines(dataset, examples, labels, reviews));
}
