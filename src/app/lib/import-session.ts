// One import, step by step, where it runs (the import worker, so a 100 MB file never blocks the
// page): read the file → the user maps columns → check every row → write the valid rows, or
// nothing. The parsed file stays here between steps; the page gets summaries and the bad-row report.
import { applyMapping, commitImport, NOT_UTF8_REASON, parseSourceBytes, suggestMapping, type ColumnMapping, type ImportPreview, type ParsedSource, type RowError } from '../../data/import.ts';
import { applyLabelColumns, importedTeacher, readImportFile, type LabelColumns, type LabelledPreview, type ReadProgress } from '../../data/import-file.ts';
import { demoDataset } from '../../data/datasets.ts';
import type { LanternStore } from '../../data/store.ts';

/** Bad rows sent to the page at most (the count is always exact). */
export const MAX_REPORTED_ERRORS = 1000;
const PREVIEW_ROWS = 5;
const PREVIEW_CHARS = 160;

export interface SourceSummary {
  fileName: string;
  format: ParsedSource['format'];
  /** The encoding the bytes were read in (a byte-order mark's, else the one asked for, else UTF-8). */
  encoding: string;
  bytes: number;
  /** Rows read, readable or not. */
  rowCount: number;
  fields: string[];
  /** The first rows, each value cut to a preview length. */
  preview: { line: number; values: Record<string, string> }[];
  /** Rows that could not be read at all (bad JSON, an unclosed quote, a wrong column count, bytes not in the encoding). */
  unreadable: number;
  /** Rows left out because their bytes are not UTF-8: reading the file as windows-1252 may recover them. */
  notUtf8: number;
  suggested: ColumnMapping;
  suggestedLabels: LabelColumns;
}

export interface CheckReport {
  rowCount: number;
  valid: number;
  invalidRows: number;
  /** Row problems (line, field, reason), the first MAX_REPORTED_ERRORS of them. */
  errors: RowError[];
  errorCount: number;
  labels: number;
}

export interface CommitSummary {
  datasetId: string;
  name: string;
  written: number;
  skippedRows: number;
  labels: number;
}

const LABEL_NAMES = ['label', 'fit', 'fitlabel', 'fitlevel', 'rating', 'teacherlabel', 'match'];
const EXPLANATION_NAMES = ['explanation', 'rationale', 'reason', 'reasoning', 'justification', 'teacherexplanation'];
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

export class ImportSession {
  private source: ParsedSource | null = null;
  private fileName = '';
  private checked: LabelledPreview | null = null;

  constructor(private readonly store: () => Promise<LanternStore>) {}

  /** Reads and splits the file; `encoding` (a TextDecoder label such as "windows-1252") when it is not UTF-8. */
  async read(file: Blob & { name?: string }, onProgress?: (p: ReadProgress) => void, signal?: AbortSignal, encoding?: string): Promise<SourceSummary> {
    this.source = null;
    this.checked = null;
    const bytes = await readImportFile(file, { onProgress, signal });
    const fileName = file.name ?? 'file';
    const source = parseSourceBytes(bytes, { fileName, ...(encoding ? { encoding } : {}) });
    this.source = source;
    this.fileName = fileName;
    const byName = (names: string[]) => source.fields.find((f) => names.includes(norm(f.split('.').pop()!)));
    return {
      fileName,
      format: source.format,
      encoding: source.encoding,
      bytes: file.size,
      rowCount: source.rows.length + new Set(source.errors.map((e) => e.line)).size,
      fields: source.fields,
      preview: source.rows.slice(0, PREVIEW_ROWS).map((r) => ({ line: r.line, values: Object.fromEntries(source.fields.map((f) => [f, preview(r.values[f])])) })),
      unreadable: new Set(source.errors.map((e) => e.line)).size,
      notUtf8: new Set(source.errors.filter((e) => NOT_UTF8_REASON.test(e.reason)).map((e) => e.line)).size,
      suggested: suggestMapping(source.fields),
      suggestedLabels: { label: byName(LABEL_NAMES), explanation: byName(EXPLANATION_NAMES) },
    };
  }

  /** Converts and validates every row with this mapping (MappingError when the mapping itself is unusable). */
  check(mapping: ColumnMapping, labels: LabelColumns): CheckReport {
    if (!this.source) throw new Error('Choose a file first.');
    this.checked = null;
    const base: ImportPreview = applyMapping(this.source, mapping);
    const checked = applyLabelColumns(this.source, base, labels, importedTeacher(this.fileName), new Date().toISOString());
    this.checked = checked;
    return {
      rowCount: checked.rowCount,
      valid: checked.examples.length,
      invalidRows: checked.invalidLines.length,
      errors: checked.errors.slice(0, MAX_REPORTED_ERRORS),
      errorCount: checked.errors.length,
      labels: checked.labels.length,
    };
  }

  /**
   * Writes the checked rows as a new dataset, then their labels; with invalid rows only when
   * `skipInvalid`. Any failure leaves nothing (a failed label write removes the new dataset).
   */
  async commit(opts: { name: string; skipInvalid: boolean }): Promise<CommitSummary> {
    const checked = this.checked;
    if (!checked) throw new Error('Check the rows before importing.');
    const store = await this.store();
    const { dataset, written, skipped } = await commitImport(store, checked, { name: opts.name, skipInvalid: opts.skipInvalid });
    if (checked.labels.length > 0) {
      try {
        await store.putLabels(dataset.id, checked.labels);
      } catch (e) {
        await store.deleteDataset(dataset.id);
        throw e;
      }
    }
    this.source = null;
    this.checked = null;
    return { datasetId: dataset.id, name: dataset.name, written, skippedRows: new Set(skipped.map((e) => e.line)).size, labels: checked.labels.length };
  }

  /** The demo dataset for (seed, n); one already stored is left as it is (its review work included). */
  async loadDemo(seed: number, n: number): Promise<{ datasetId: string; name: string; written: number; existed: boolean }> {
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new RangeError('The seed must be a whole number from 0 to 4294967295.');
    if (!Number.isInteger(n) || n < 3 || n > 100_000) throw new RangeError('The demo dataset has 3 to 100,000 pairs.');
    const store = await this.store();
    const { dataset, examples } = await demoDataset(seed, n);
    const existing = await store.getDataset(dataset.id);
    if (existing) return { datasetId: existing.id, name: existing.name, written: 0, existed: true };
    await store.saveDataset(dataset, examples);
    return { datasetId: dataset.id, name: dataset.name, written: examples.length, existed: false };
  }
}
