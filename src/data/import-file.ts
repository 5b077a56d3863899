// Reading an import file in the browser (or Node) without freezing anything: the bytes are read in
// chunks with progress, after the file's type is checked. What is read then goes through import.ts
// (decode → parse → map → commit). Label columns (an earlier
// teacher's or a human's fit level and explanation) become teacher labels of the new dataset.
import { FIT_LABELS, TeacherLabel, type FitLabel, type TeacherRef } from './schema.ts';
import type { ImportPreview, ParsedSource, RowError } from './import.ts';

/** The file cannot be imported as it is (wrong type, not text, too large). Nothing was read into the store. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

export const IMPORT_EXTENSIONS = ['.csv', '.tsv', '.jsonl', '.ndjson', '.json', '.txt'] as const;
/** Larger files would not fit a tab's memory once parsed. */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

/** Refuses files whose name says they are not CSV or JSON Lines (a spreadsheet, a PDF, an archive). */
export function checkFileType(name: string, size: number): void {
  const ext = /\.[^.]+$/.exec(name.toLowerCase())?.[0] ?? '';
  if (ext && !(IMPORT_EXTENSIONS as readonly string[]).includes(ext)) {
    const hint = ['.xlsx', '.xls', '.ods', '.numbers'].includes(ext) ? ' Save the sheet as "CSV UTF-8" and import that file.' : '';
    throw new ImportFileError(`"${name}" is a ${ext} file; the studio imports CSV (.csv) and JSON Lines (.jsonl, one JSON object per line).${hint}`);
  }
  if (size === 0) throw new ImportFileError(`"${name}" is empty.`);
  if (size > MAX_IMPORT_BYTES) throw new ImportFileError(`"${name}" is ${(size / 2 ** 30).toFixed(1)} GiB; the studio imports files up to 1 GiB. Split it and import the parts as separate datasets.`);
}

export interface ReadProgress {
  bytesRead: number;
  totalBytes: number;
}

/**
 * The file's bytes, read chunk by chunk (progress after each), after its type is checked. A file
 * with NUL bytes is binary and refused. Decoding is parseSourceBytes's (import.ts): rows that are
 * not UTF-8 become row errors, or the file is read in the encoding the user picks.
 */
export async function readImportFile(file: Blob & { name?: string }, opts: { onProgress?: (p: ReadProgress) => void; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const name = file.name ?? 'the file';
  checkFileType(name, file.size);
  const bytes = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let bytesRead = 0;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new DOMException('The import was cancelled.', 'AbortError');
      const { value, done } = await reader.read();
      if (done) break;
      if (bytesRead === 0 && value.subarray(0, 4096).includes(0) && !startsWithUtf16Bom(value)) {
        throw new ImportFileError(`"${name}" is not a text file (it holds binary data); export the data as CSV or JSON Lines.`);
      }
      if (bytesRead + value.byteLength > bytes.length) throw new ImportFileError(`"${name}" changed while it was read; choose it again.`);
      bytes.set(value, bytesRead);
      bytesRead += value.byteLength;
      opts.onProgress?.({ bytesRead, totalBytes: file.size });
    }
  } finally {
    reader.releaseLock();
  }
  const read = bytes.subarray(0, bytesRead);
  if (/\.json$/i.test(name) && firstNonBlankByte(read) === 0x5b /* [ */) {
    throw new ImportFileError(`"${name}" is one JSON array; the studio reads JSON Lines (one JSON object per line). Write each element on its own line (e.g. jq -c '.[]').`);
  }
  return read;
}

/** UTF-16 text holds NUL bytes for every ASCII letter; its byte-order mark says it is text. */
const startsWithUtf16Bom = (b: Uint8Array) => (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);

function firstNonBlankByte(bytes: Uint8Array): number | undefined {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i];
}

// --- label columns -------------------------------------------------------------------------------

export interface LabelColumns {
  /** Source field with the fit level (low / medium / high, or 0 / 1 / 2). */
  label?: string;
  /** Source field with the explanation. */
  explanation?: string;
}

/** The teacher imported labels are stored under: the file they came from. */
export function importedTeacher(fileName: string): TeacherRef {
  return { provider: 'import', model: fileName || 'file', templateVersion: 'file' };
}

export function parseFitLabel(value: unknown): FitLabel | null {
  const v = String(value ?? '').trim().toLowerCase();
  if ((FIT_LABELS as readonly string[]).includes(v)) return v as FitLabel;
  if (/^[012]$/.test(v)) return FIT_LABELS[Number(v)]!;
  return null;
}

export interface LabelledPreview extends ImportPreview {
  /** Labels read from the label columns, one per valid example that has one. */
  labels: TeacherLabel[];
}

/**
 * Adds the label columns to a checked import: rows with an unreadable label become invalid rows
 * (reported with line and field like any other), the rest give one label per example.
 */
export function applyLabelColumns(source: ParsedSource, preview: ImportPreview, columns: LabelColumns, teacher: TeacherRef, createdAt: string): LabelledPreview {
  if (!columns.label) {
    if (columns.explanation) throw new ImportFileError('An explanation column needs a label column too: map the fit level (low / medium / high) as well.');
    return { ...preview, labels: [] };
  }
  const invalid = new Set(preview.invalidLines);
  const validRows = source.rows.filter((r) => !invalid.has(r.line));
  if (validRows.length !== preview.examples.length) throw new Error(`internal: ${validRows.length} valid rows for ${preview.examples.length} examples`);
  const errors: RowError[] = [];
  const examples = [];
  const labels: TeacherLabel[] = [];
  for (let i = 0; i < validRows.length; i++) {
    const row = validRows[i]!;
    const example = preview.examples[i]!;
    const raw = row.values[columns.label];
    if (raw === undefined || raw === null || String(raw).trim() === '') {
      examples.push(example);
      continue;
    }
    const label = parseFitLabel(raw);
    if (!label) {
      errors.push({ line: row.line, field: `label (column "${columns.label}")`, reason: `expected low, medium or high (or 0, 1, 2), got "${String(raw).slice(0, 40)}"` });
      invalid.add(row.line);
      continue;
    }
    examples.push(example);
    const explanation = columns.explanation ? String(row.values[columns.explanation] ?? '').trim() : '';
    labels.push(TeacherLabel.parse({ exampleId: example.id, teacher, label, labelProbs: null, explanation, createdAt }));
  }
  return {
    ...preview,
    examples,
    labels,
    errors: [...preview.errors, ...errors].sort((a, b) => a.line - b.line),
    invalidLines: [...invalid].sort((a, b) => a - b),
  };
}
