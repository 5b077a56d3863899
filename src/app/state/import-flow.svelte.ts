// The Data page's import and demo-loading flow: file → column mapping → bad-row report → write the
// valid rows or nothing. The work runs in the import worker (ImportSession); this class holds what
// the page shows, and cancelling stops the worker (nothing is written before the final commit).
import { NOT_UTF8_REASON, REQUIRED_FIELDS, TARGET_FIELDS, type ColumnMapping, type TargetField } from '../../data/import.ts';
import type { LabelColumns } from '../../data/import-file.ts';
import type { CheckReport, CommitSummary, SourceSummary } from '../lib/import-session.ts';
import { describeError } from '../lib/errors.ts';
import { fractionDone } from '../lib/job-progress.ts';
import type { StoreChange } from './studio.svelte.ts';

/** What the flow needs from the import worker (an ImportSession behind comlink, or one in-process in tests). */
export interface ImportBackend {
  read(file: File, onProgress: (bytesRead: number, totalBytes: number) => void, encoding?: string): Promise<SourceSummary>;
  check(mapping: ColumnMapping, labels: LabelColumns): Promise<CheckReport> | CheckReport;
  commit(opts: { name: string; skipInvalid: boolean }): Promise<CommitSummary>;
  loadDemo(seed: number, n: number): Promise<{ datasetId: string; name: string; written: number; existed: boolean }>;
  /** Stops whatever the worker does now (the next call gets a fresh worker). */
  cancel(): void;
}

export type ImportStep = 'idle' | 'reading' | 'mapping' | 'checking' | 'report' | 'writing';

/** Encodings a file can be read in (TextDecoder labels): UTF-8, and what Excel writes on Windows. */
export const IMPORT_ENCODINGS = [
  { label: 'utf-8', name: 'UTF-8' },
  { label: 'windows-1252', name: 'Windows-1252 (Western European, Excel on Windows)' },
  { label: 'iso-8859-2', name: 'ISO-8859-2 (Central European)' },
  { label: 'shift_jis', name: 'Shift JIS (Japanese)' },
] as const;

export class ImportFlow {
  step = $state<ImportStep>('idle');
  /** Bytes read so far while reading. */
  bytesRead = $state(0);
  totalBytes = $state(0);
  source = $state.raw<SourceSummary | null>(null);
  /** The file being imported (kept to read it again in another encoding). */
  file = $state.raw<File | null>(null);
  /** The encoding to read the next file in. */
  encoding = $state<string>('utf-8');
  /** Target field → source field ('' = not mapped). */
  fields = $state<Record<TargetField, string>>(emptyFields());
  /** Target field → one value for every row ('' = none). */
  constants = $state<Record<TargetField, string>>(emptyFields());
  labelColumn = $state('');
  explanationColumn = $state('');
  name = $state('');
  report = $state.raw<CheckReport | null>(null);
  /** Problems with the mapping or the file, in words. */
  error = $state<string | null>(null);
  /** What the last finished action did. */
  notice = $state<string | null>(null);
  demoBusy = $state(false);
  /** Why loading the demo failed, or that it was cancelled. */
  demoMessage = $state<string | null>(null);

  readFraction = $derived(fractionDone(this.bytesRead, this.totalBytes));
  /** Required fields that have neither a column nor a constant. */
  missingRequired = $derived(REQUIRED_FIELDS.filter((f) => !this.fields[f] && !this.constants[f].trim()));

  constructor(
    private readonly backend: ImportBackend,
    private readonly changed: (c: StoreChange) => void,
    /** Called with the new dataset's id once an import or the demo is written. */
    private readonly opened: (datasetId: string) => void,
  ) {}

  /** Reading the file in another encoding may help: rows (or the header) are not UTF-8, or it was read in another. */
  get encodingMayHelp(): boolean {
    if (!this.file || this.busy) return false;
    if (this.source) return this.step === 'mapping' && (this.source.notUtf8 > 0 || this.source.encoding !== 'utf-8');
    return this.step === 'idle' && !!this.error && NOT_UTF8_REASON.test(this.error);
  }

  get busy(): boolean {
    return this.step === 'reading' || this.step === 'checking' || this.step === 'writing' || this.demoBusy;
  }

  async chooseFile(file: File): Promise<void> {
    if (this.busy) return;
    this.reset();
    this.file = file;
    this.step = 'reading';
    this.totalBytes = file.size;
    try {
      const source = await this.backend.read(
        file,
        (read, total) => {
          this.bytesRead = read;
          this.totalBytes = total;
        },
        this.encoding,
      );
      if (this.step !== 'reading') return; // cancelled meanwhile
      if (source.fields.length === 0) throw new Error(`"${file.name}" has no columns or fields: is it empty, or only a header line?`);
      this.source = source;
      for (const f of TARGET_FIELDS) this.fields[f] = source.suggested.fields[f] ?? '';
      this.labelColumn = source.suggestedLabels.label ?? '';
      this.explanationColumn = source.suggestedLabels.explanation ?? '';
      this.name = file.name.replace(/\.[^.]+$/, '') || 'Imported pairs';
      this.step = 'mapping';
    } catch (e) {
      if (this.step === 'reading') this.fail(e);
    }
  }

  /** Reads the same file again in another encoding (the mapping starts over: column names may change). */
  async readAs(encoding: string): Promise<void> {
    if (this.busy || !this.file) return;
    this.encoding = encoding;
    await this.chooseFile(this.file);
  }

  mapping(): ColumnMapping {
    const fields: ColumnMapping['fields'] = {};
    const constants: NonNullable<ColumnMapping['constants']> = {};
    for (const f of TARGET_FIELDS) {
      if (this.fields[f]) fields[f] = this.fields[f];
      else if (this.constants[f].trim()) constants[f] = this.constants[f].trim();
      // An optional field the file does not have is empty (the schema wants a company and a location string).
      else if (f !== 'id' && !REQUIRED_FIELDS.includes(f)) constants[f] = '';
    }
    return { fields, constants };
  }

  /** Converts and validates every row with the mapping: the report lists each bad row before anything is written. */
  async check(): Promise<void> {
    if (!this.source || this.busy) return;
    this.error = null;
    if (!this.name.trim()) return void (this.error = 'Give the dataset a name.');
    this.step = 'checking';
    try {
      const labels: LabelColumns = { ...(this.labelColumn ? { label: this.labelColumn } : {}), ...(this.explanationColumn ? { explanation: this.explanationColumn } : {}) };
      const report = await this.backend.check(this.mapping(), labels);
      if (this.step !== 'checking') return;
      this.report = report;
      this.step = 'report';
    } catch (e) {
      if (this.step !== 'checking') return;
      this.step = 'mapping';
      this.error = describeError(e);
    }
  }

  backToMapping(): void {
    if (this.step === 'report') this.step = 'mapping';
  }

  /** Writes the rows (the valid ones, when some are invalid) as a new dataset, in one transaction. */
  async commit(): Promise<void> {
    const report = this.report;
    if (!report || this.step !== 'report' || report.valid === 0) return;
    this.step = 'writing';
    try {
      const done = await this.backend.commit({ name: this.name.trim(), skipInvalid: report.invalidRows > 0 });
      this.changed({ datasetId: done.datasetId, what: 'dataset' });
      this.reset();
      this.notice = `Imported ${done.written.toLocaleString()} pairs into "${done.name}"${done.skippedRows ? `; ${done.skippedRows.toLocaleString()} invalid rows were left out` : ''}${done.labels ? `, with ${done.labels.toLocaleString()} labels from the file` : ''}.`;
      this.opened(done.datasetId);
    } catch (e) {
      this.step = 'report';
      this.error = describeError(e);
    }
  }

  /** Stops the import wherever it is; nothing has been written (a commit cut short is rolled back). */
  cancel(): void {
    if (this.step === 'reading' || this.step === 'checking' || this.step === 'writing') this.backend.cancel();
    const wasWriting = this.step === 'writing';
    this.reset();
    this.notice = wasWriting ? 'Import cancelled while writing; the transaction was rolled back, nothing was saved.' : 'Import cancelled; nothing was written.';
  }

  async loadDemo(seed: number, n: number): Promise<void> {
    if (this.busy) return;
    this.demoMessage = null;
    this.notice = null;
    this.demoBusy = true;
    try {
      const r = await this.backend.loadDemo(seed, n);
      if (!this.demoBusy) return; // cancelled meanwhile
      if (!r.existed) this.changed({ datasetId: r.datasetId, what: 'dataset' });
      this.notice = r.existed ? `"${r.name}" was already loaded; it is opened as it is (its labels and reviews kept).` : `Loaded "${r.name}".`;
      this.opened(r.datasetId);
    } catch (e) {
      if (this.demoBusy) this.demoMessage = describeError(e);
    } finally {
      this.demoBusy = false;
    }
  }

  /** Stops generating or writing the demo dataset (a write cut short is rolled back). */
  cancelDemo(): void {
    if (!this.demoBusy) return;
    this.backend.cancel();
    this.demoBusy = false;
    this.demoMessage = 'Cancelled; nothing was saved.';
  }

  private fail(e: unknown): void {
    this.reset();
    this.error = describeError(e);
  }

  private reset(): void {
    this.step = 'idle';
    this.bytesRead = this.totalBytes = 0;
    this.source = null;
    this.report = null;
    this.fields = emptyFields();
    this.constants = emptyFields();
    this.labelColumn = this.explanationColumn = '';
    this.error = null;
    this.notice = null;
  }
}

function emptyFields(): Record<TargetField, string> {
  return Object.fromEntries(TARGET_FIELDS.map((f) => [f, ''])) as Record<TargetField, string>;
}
