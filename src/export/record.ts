// The inference benchmark's figures kept with a run: results.json gets an "inference" entry
// (figures per student stage), written by `lantern bench --inference --run DIR` — apart from the
// orchestrator, which never measures ONNX runtimes.
import type { ArtifactStore } from '../experiment/run/host.ts';

export interface InferenceRecord {
  device: string;
  measuredAt: string;
  students: Record<'classifier' | 'explainer', { stage: string }>;
  figures: { student: 'classifier' | 'explainer' }[];
  settings: Record<string, unknown>;
}

export async function recordInferenceBench(store: ArtifactStore, record: InferenceRecord): Promise<void> {
  const bytes = await store.read('results.json');
  if (!bytes) throw new Error('results.json is missing: record the benchmark of a finished run');
  const results = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  const byStage = Object.fromEntries((['classifier', 'explainer'] as const).map((s) => [record.students[s].stage, record.figures.filter((f) => f.student === s)]));
  results.inference = { device: record.device, measuredAt: record.measuredAt, settings: record.settings, stages: byStage };
  await store.write('results.json', JSON.stringify(results, null, 2));
}
