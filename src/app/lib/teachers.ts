// Teacher identities as the pages show and pick them.
import { FIT_LABELS, type TeacherLabel, type TeacherRef } from '../../data/schema.ts';
import type { Bar } from './dataset-stats.ts';
import { teacherKey } from '../../data/store.ts';

export { teacherKey };

export function teacherName(t: TeacherRef): string {
  return `${t.provider} · ${t.model} (${t.templateVersion})`;
}

/** The teachers that labelled a dataset, the one with the most labels first. */
export function teachersOf(labels: readonly TeacherLabel[]): { key: string; teacher: TeacherRef; count: number }[] {
  const byKey = new Map<string, { key: string; teacher: TeacherRef; count: number }>();
  for (const l of labels) {
    const key = teacherKey(l.teacher);
    const entry = byKey.get(key) ?? { key, teacher: l.teacher, count: 0 };
    entry.count++;
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

/** The labels of one teacher by example id. */
export function labelsByExample(labels: readonly TeacherLabel[], key: string | null): Map<string, TeacherLabel> {
  const out = new Map<string, TeacherLabel>();
  if (key === null) return out;
  for (const l of labels) if (teacherKey(l.teacher) === key) out.set(l.exampleId, l);
  return out;
}

/** The teacher's label probabilities as chart bars: count = the percentage shown, fraction = the probability. */
export function probabilityBars(probs: NonNullable<TeacherLabel['labelProbs']>): Bar[] {
  return FIT_LABELS.map((l) => ({ key: l, label: l, count: Math.round(probs[l] * 100), fraction: probs[l] }));
}
