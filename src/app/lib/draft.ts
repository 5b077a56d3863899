// Editing an experiment document (pure): the builder's form and its JSON view edit one JSON value
// that src/experiment/schema.ts validates; these helpers read a field (the document's value, else
// the default the schema fills in), write or clear one, and find the schema's issues for a field.
import { getPath, parsePath, setPath, type PathSegment } from '../../experiment/paths.ts';
import { DEFAULT_STAGES, minimalExperiment, type ExperimentConfig, type ExperimentIssue } from '../../experiment/schema.ts';

export type Doc = Record<string, unknown>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The field's value in the document, or (when absent) what the schema fills in. */
export function fieldValue(doc: unknown, effective: ExperimentConfig | null, path: string): unknown {
  const own = getPath(doc, path);
  return own !== undefined ? own : effective ? getPath(effective, path) : undefined;
}

/** True when the document sets the field itself (not a default). */
export const isSet = (doc: unknown, path: string) => getPath(doc, path) !== undefined;

/**
 * A copy of the document with `value` at `path`; `undefined` removes the field (back to its
 * default); the index one past an array's end appends. An array the path goes through (stages, sweep params) that the document leaves to
 * its default is first written out in its minimal form, so editing one stage keeps the others.
 */
export function setField(doc: Doc, effective: ExperimentConfig | null, path: string | PathSegment[], value: unknown): Doc {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  let next = structuredClone(doc);
  for (let i = 0; i < segments.length - 1; i++) {
    if (typeof segments[i + 1] !== 'number') continue;
    const prefix = segments.slice(0, i + 1);
    if (Array.isArray(getPath(next, prefix))) continue;
    // Absent from the minimal form: the array is the schema's default (for stages, DEFAULT_STAGES).
    const minimal = effective ? getPath(minimalExperiment(effective), prefix) : undefined;
    const fallback = minimal ?? (prefix.length === 1 && prefix[0] === 'stages' ? structuredClone(DEFAULT_STAGES) : []);
    next = setPath(next, prefix, Array.isArray(fallback) ? fallback : []);
  }
  const parent = getPath(next, segments.slice(0, -1));
  const last = segments.at(-1)!;
  if (value !== undefined) {
    // One past the end appends (a new stage, a new swept parameter).
    if (Array.isArray(parent) && last === parent.length) {
      parent.push(structuredClone(value));
      return next;
    }
    return setPath(next, segments, value);
  }
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isRecord(parent)) delete parent[String(last)];
  return next;
}

/** The schema's issues for exactly this field. */
export const issuesAt = (issues: readonly ExperimentIssue[], path: string) => issues.filter((i) => i.path === path);

/** The schema's issues for this field or anything inside it. */
export const issuesUnder = (issues: readonly ExperimentIssue[], path: string) => issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`));

/**
 * A sweep's values as typed in one box, comma-separated: each piece is read as JSON when it is
 * JSON (0.5, true, "a b", [1, 2]) and as a plain word otherwise (fkl, small).
 */
export function parseValueList(text: string): unknown[] {
  const pieces: string[] = [];
  let depth = 0;
  let quoted = false;
  let piece = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '\\') piece += c + (text[++i] ?? '');
      else {
        if (c === '"') quoted = false;
        piece += c;
      }
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      pieces.push(piece);
      piece = '';
      continue;
    }
    piece += c;
  }
  pieces.push(piece);
  return pieces
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return JSON.parse(p) as unknown;
      } catch {
        return p;
      }
    });
}

export function formatValueList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' && /^[\w.-]+$/.test(v) && !/^(-?\d|true$|false$)/.test(v) ? v : JSON.stringify(v))).join(', ');
}

/** A stage id not used yet: "stage", "stage-2", … */
export function unusedStageId(config: Pick<ExperimentConfig, 'stages'> | null, base: string): string {
  const taken = new Set(config?.stages.map((s) => s.id) ?? []);
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** Config paths a sweep often varies, for the sweep builder's suggestions. */
export function sweepablePaths(config: Pick<ExperimentConfig, 'stages'>): string[] {
  return [
    ...config.stages.flatMap((_, i) => [`stages.${i}.loss.divergence`, `stages.${i}.loss.temperature`, `stages.${i}.loss.wCe`, `stages.${i}.loss.param`, `stages.${i}.student.preset`, `stages.${i}.optimizer.lr`, `stages.${i}.steps`, `stages.${i}.source`]),
    'inHouseTeacher.preset',
    'inHouseTeacher.steps',
    'synthetic.logits',
    'dataset.demo.n',
  ];
}
