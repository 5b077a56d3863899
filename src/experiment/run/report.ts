// The metrics table of a finished run or sweep: every model beside the trivial baselines and the
// in-house teacher, per task, each number with its 95% interval and the test size stated. One
// table model, written out as plain text (the end of `lantern run`) or Markdown (docs/results.md).
//   a run:   value [lo, hi] — intervals over the test pairs (Wilson for accuracy, bootstrap for
//            macro-F1 and ROUGE; src/metrics/scores.ts)
//   a sweep: mean [lo, hi] over the group's seeds (t-interval clamped to [0, 1]; n runs)
import type { Interval, Summary } from '../../metrics/stats.ts';
import type { RunResults } from './pipeline.ts';
import type { SweepResults } from './sweep.ts';
import { modelLabel } from '../schema.ts';

export interface TableCell {
  value: number | null;
  lo?: number;
  hi?: number;
}

export interface MetricTable {
  title: string;
  /** What the intervals are over, and the test size. */
  note: string;
  columns: string[];
  rows: { label: string; params: number | null; cells: TableCell[] }[];
}

const CLASSIFIER_COLUMNS = [
  ['accuracy', 'accuracy'],
  ['macroF1', 'macro-F1'],
] as const;
const EXPLAINER_COLUMNS = [
  ['labelAccuracy', 'label acc'],
  ['rouge1', 'ROUGE-1'],
  ['rouge2', 'ROUGE-2'],
  ['rougeL', 'ROUGE-L'],
  ['rougeLsum', 'ROUGE-Lsum'],
] as const;

interface MetricsView {
  n?: number;
  accuracy?: number;
  macroF1?: number;
  labelAccuracy?: number;
  rouge?: Record<string, { fmeasure: number }>;
  intervals?: Record<string, Interval | null>;
}

function runCell(m: MetricsView, key: string): TableCell {
  const value = key.startsWith('rouge') ? (m.rouge?.[key]?.fmeasure ?? null) : ((m as Record<string, unknown>)[key] as number | undefined) ?? null;
  const ci = m.intervals?.[key];
  return ci ? { value, lo: ci.lo, hi: ci.hi } : { value };
}

/** The tables of one run: the classifier stages and the explainers, each with its baselines. */
export function runTables(results: RunResults): MetricTable[] {
  const tables: MetricTable[] = [];
  const testSize = (m: MetricsView | undefined) => m?.n ?? results.data.test;
  const intervalsNote = (n: number) => `${n} test pairs; [95% interval over the test pairs: Wilson for accuracy, bootstrap for macro-F1 and ROUGE]`;
  const classifiers = results.stages.filter((s) => s.task === 'classify');
  const b = results.baselines;
  if (classifiers.length) {
    const rows: MetricTable['rows'] = classifiers.map((s) => ({ label: `${s.id} (student, ${s.preset}, from ${s.source})`, params: s.parameters, cells: CLASSIFIER_COLUMNS.map(([k]) => runCell(s.metrics as MetricsView, k)) }));
    if (b) {
      rows.push({ label: `baseline: majority (${b.classifier.majority.label})`, params: null, cells: CLASSIFIER_COLUMNS.map(([k]) => runCell(b.classifier.majority as MetricsView, k)) });
      rows.push({ label: 'baseline: skill overlap', params: null, cells: CLASSIFIER_COLUMNS.map(([k]) => runCell(b.classifier.skillOverlap as MetricsView, k)) });
    }
    tables.push({ title: 'classifier', note: intervalsNote(testSize(classifiers[0]!.metrics as MetricsView)), columns: CLASSIFIER_COLUMNS.map(([, c]) => c), rows });
  }
  const explainers = results.stages.filter((s) => s.task === 'explain');
  const teacher = results.teacher.metrics as MetricsView;
  const rows: MetricTable['rows'] = [
    { label: `teacher (in-house, ${results.teacher.preset})`, params: results.teacher.parameters, cells: EXPLAINER_COLUMNS.map(([k]) => runCell(teacher, k)) },
    ...explainers.map((s) => ({ label: `${s.id} (student, ${s.preset}, from ${s.source})`, params: s.parameters, cells: EXPLAINER_COLUMNS.map(([k]) => runCell(s.metrics as MetricsView, k)) })),
  ];
  if (b) {
    rows.push({ label: 'baseline: template', params: null, cells: EXPLAINER_COLUMNS.map(([k]) => runCell(b.explainer.template as MetricsView, k)) });
    rows.push({ label: 'baseline: copy requirements', params: null, cells: EXPLAINER_COLUMNS.map(([k]) => runCell(b.explainer.copy as MetricsView, k)) });
  }
  tables.push({ title: 'explainer', note: intervalsNote(testSize(teacher)), columns: EXPLAINER_COLUMNS.map(([, c]) => c), rows });
  return tables;
}

const summaryCell = (s: Summary | undefined): TableCell => (s && s.mean !== null ? { value: s.mean, ...(s.ci95 ? { lo: s.ci95[0], hi: s.ci95[1] } : {}) } : { value: null });

/** The tables of a sweep: per group and stage, the mean over seeds with its t-interval; the baselines once per distinct value. */
export function sweepTables(results: SweepResults): MetricTable[] {
  const stages = results.experiment.stages;
  const tables: MetricTable[] = [];
  const groupLabel = (assignments: Record<string, unknown>) => Object.entries(assignments).map(([k, v]) => `${k.split('.').at(-1)}=${JSON.stringify(v)}`).join(', ') || 'all runs';
  const runsOf = (g: SweepResults['aggregate'][number]) => g.runs.length;
  const seeds = results.aggregate.length ? Math.max(...results.aggregate.map(runsOf)) : 0;
  const testSizes = [...new Set(results.rows.map((r) => r.testSize).filter((n): n is number => typeof n === 'number'))];
  const note = `${testSizes.length ? `${testSizes.join(' / ')} test pairs per run; ` : ''}mean [95% t-interval over ${seeds} seed${seeds === 1 ? '' : 's'}, clamped to [0, 1]]`;
  // The baselines do not depend on what a sweep varies unless it varies the data: one row each
  // when every group agrees, else one per group.
  const baselineRows = (names: readonly (readonly [string, string])[], columns: readonly (readonly [string, string])[]) =>
    names.flatMap(([name, label]) => {
      const perGroup = results.aggregate.map((g) => ({ g, cells: columns.map(([k]) => summaryCell(g.metrics[`baseline.${name}.${k}`])) })).filter((x) => x.cells.some((c) => c.value !== null));
      const distinct = new Map(perGroup.map((x) => [JSON.stringify(x.cells), x]));
      return [...distinct.values()].map((x) => ({ label: `baseline: ${label}${distinct.size > 1 ? ` (${groupLabel(x.g.assignments)})` : ''}`, params: null, cells: x.cells }));
    });
  for (const [task, columns, baselines] of [
    ['classify', CLASSIFIER_COLUMNS, [['majority', 'majority'], ['skillOverlap', 'skill overlap']]],
    ['explain', EXPLAINER_COLUMNS, [['template', 'template'], ['copy', 'copy requirements']]],
  ] as const) {
    const students = stages.filter((s) => s.task === task).map((s) => s.id);
    if (students.length === 0) continue;
    // The in-house teacher, like the baselines, is one row when no group changes it (a sweep of a
    // stage's loss trains the same teacher in every group), else one per group.
    const teacherCells = results.aggregate.map((g) => JSON.stringify(columns.map(([k]) => summaryCell(g.metrics[`teacher.${k}`]))));
    const sharedTeacher = task === 'explain' && results.aggregate.length > 1 && new Set(teacherCells).size === 1;
    const ids = [...(task === 'explain' && !sharedTeacher ? ['teacher'] : []), ...students];
    const rows: MetricTable['rows'] = [];
    if (sharedTeacher) {
      const g = results.aggregate[0]!;
      rows.push({ label: `teacher (${modelLabel(results.experiment.inHouseTeacher)})`, params: results.rows.find((r) => r.group === g.group)?.parameters?.teacher ?? null, cells: columns.map(([k]) => summaryCell(g.metrics[`teacher.${k}`])) });
    }
    for (const g of results.aggregate) {
      for (const id of ids) {
        const preset = id === 'teacher' ? modelLabel(results.experiment.inHouseTeacher) : modelLabel(stages.find((s) => s.id === id)!.student);
        const params = results.rows.find((r) => r.group === g.group)?.parameters?.[id] ?? null;
        rows.push({ label: `${results.aggregate.length > 1 ? `${groupLabel(g.assignments)}: ` : ''}${id} (${preset})`, params, cells: columns.map(([k]) => summaryCell(g.metrics[`${id}.${k}`])) });
      }
    }
    rows.push(...baselineRows(baselines, columns));
    tables.push({ title: task === 'classify' ? 'classifier' : 'explainer', note, columns: columns.map(([, c]) => c), rows });
  }
  return tables;
}

const fmt = (x: number) => x.toFixed(3);
/** "0.425 [0.351, 0.502]" (the value alone without an interval, "—" without a value). */
export const cellText = (c: TableCell) => (c.value === null ? '—' : c.lo !== undefined && c.hi !== undefined ? `${fmt(c.value)} [${fmt(c.lo)}, ${fmt(c.hi)}]` : fmt(c.value));
/** "1.01M", "184k" ("" for a baseline). */
export const paramsText = (p: number | null) => (p === null ? '' : p >= 1e6 ? `${(p / 1e6).toFixed(2)}M` : `${(p / 1e3).toFixed(0)}k`);

/** Plain text, columns aligned (what `lantern run` prints at the end). */
export function formatTables(tables: readonly MetricTable[]): string {
  return tables
    .map((t) => {
      const header = [t.title, 'params', ...t.columns];
      const body = t.rows.map((r) => [r.label, paramsText(r.params), ...r.cells.map(cellText)]);
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
      const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
      return [line(header), ...body.map(line), `  ${t.note}`].join('\n');
    })
    .join('\n\n');
}

/** Markdown tables (docs/results.md). */
export function markdownTables(tables: readonly MetricTable[]): string {
  return tables
    .map((t) => {
      const header = [t.title, 'params', ...t.columns];
      const rows = t.rows.map((r) => [r.label, paramsText(r.params), ...r.cells.map(cellText)]);
      return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '', `_${t.note}_`].join('\n');
    })
    .join('\n\n');
}
