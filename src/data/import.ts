// Importing (job, profile) pairs from CSV (papaparse) or JSONL, in three steps the UI shows:
//   1. parse   — the file becomes rows of source fields (CSV columns, or JSONL dot paths);
//   2. map     — the user maps source fields to schema fields (suggestMapping proposes one from the
//                names); every row is converted and validated, each problem reported with its line,
//                field and reason;
//   3. commit  — the valid rows are written as a new dataset in ONE transaction.
// Policy: an import with any invalid row is rejected as a whole (ImportRejectedError lists every
// error) unless the user opts in to skipping invalid rows (skipInvalid), in which case the valid
// rows are written and the skipped ones reported. A rejected or failed import writes nothing.
// Every line of the file ends up in a row or in an error: a quote left open reports its line and
// reading resumes on the next one; bytes that are not UTF-8 report their rows (parseSourceBytes);
// fields and pairs larger than the teacher proxy accepts (limits.ts) are reported, not imported.
import Papa from 'papaparse';
import { Education, Example, Experience, REMOTE_POLICIES, type Dataset, type RemotePolicy } from './schema.ts';
import { describeSizeIssue, pairSizeIssues } from './limits.ts';
import { jsonTextDepth, MAX_JSON_DEPTH, tooDeepMessage } from './json-depth.ts';
import { newDataset } from './datasets.ts';
import type { LanternStore } from './store.ts';

export const TARGET_FIELDS = [
  'id',
  'job.title',
  'job.company',
  'job.location',
  'job.remotePolicy',
  'job.description',
  'profile.headline',
  'profile.summary',
  'profile.location',
  'profile.skills',
  'profile.experience',
  'profile.education',
  'profile.certifications',
] as const;
export type TargetField = (typeof TARGET_FIELDS)[number];

/** Fields every example needs; `id` is generated from the line number when not mapped. */
export const REQUIRED_FIELDS: readonly TargetField[] = ['job.title', 'job.remotePolicy', 'job.description', 'profile.headline'];

export interface ColumnMapping {
  /** Target field → source field (CSV column name, or JSONL dot path). */
  fields: Partial<Record<TargetField, string>>;
  /** Target field → one value for every row (e.g. job.remotePolicy = 'onsite' when the file has none). */
  constants?: Partial<Record<TargetField, string>>;
}

export interface RowError {
  /** 1-based line in the file where the row starts (CSV: the header is line 1). */
  line: number;
  /** Schema field (e.g. "profile.experience.0.years"), the source column, or "(row)". */
  field: string;
  reason: string;
}

export interface SourceRow {
  line: number;
  /** Last line of the row, when a quoted CSV value spans several (else the row is one line). */
  lastLine?: number;
  values: Record<string, unknown>;
}

export interface ParsedSource {
  format: 'csv' | 'jsonl';
  /** Source field names in file order. */
  fields: string[];
  rows: SourceRow[];
  /** Rows that could not be read at all (bad JSON, unterminated quotes, wrong column count). */
  errors: RowError[];
}

export interface ImportPreview {
  examples: Example[];
  errors: RowError[];
  /** Rows read (valid + invalid). */
  rowCount: number;
  /** Lines of the rows that were invalid. */
  invalidLines: number[];
  mapping: ColumnMapping;
}

/** The file cannot be imported with this mapping (a required field is unmapped, a name is unknown). */
export class MappingError extends Error {
  override name = 'MappingError';
}

/** The import was refused: nothing was written. `errors` holds every row-level problem. */
export class ImportRejectedError extends Error {
  override name = 'ImportRejectedError';
  constructor(readonly errors: RowError[]) {
    const shown = errors.slice(0, 3).map((e) => `line ${e.line}, ${e.field}: ${e.reason}`);
    super(`Import refused, nothing was written: ${errors.length} problem${errors.length === 1 ? '' : 's'} (${shown.join('; ')}${errors.length > 3 ? '; …' : ''}). Fix the rows, or choose to skip invalid rows.`);
  }
}

// --- 1. parse ------------------------------------------------------------------------------------

/** Offsets where each line starts (index 0 = line 1). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line holding `offset`. */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

export function parseCsv(text: string): ParsedSource {
  const body = text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
  const starts = lineStarts(body);
  const rows: SourceRow[] = [];
  const errors: RowError[] = [];
  let header: string[] | null = null;
  // A quote left open swallows every line after it into one value. Such a row is reported by its
  // first line and reading starts again on the next line, so no line is lost unreported.
  let offset = 0;
  let delimiter = ''; // detected on the first pass, kept when reading resumes
  while (offset < body.length) {
    let resumeAt = -1;
    let rowStart = offset;
    Papa.parse<string[]>(offset === 0 ? body : body.slice(offset), {
      header: false,
      skipEmptyLines: false,
      delimiter,
      step: (result, parser) => {
        delimiter ||= result.meta.delimiter;
        const startLine = lineAt(starts, rowStart);
        const end = offset + result.meta.cursor;
        const lastLine = lineAt(starts, Math.max(rowStart, end - 1));
        rowStart = end;
        const cells = result.data;
        const quoteError = result.errors.find((e) => e.type === 'Quotes');
        if (header === null) {
          if (quoteError) throw new MappingError(`The CSV header (line ${startLine}) has a quoted name that is not closed: ${quoteError.message}. Fix the header line.`);
          header = cells.map((c, i) => c.trim() || `column ${i + 1}`);
          return;
        }
        if (quoteError) {
          errors.push({ line: startLine, field: '(row)', reason: `${quoteError.message}: a quoted value opened on this line is not closed properly (the next lines were read on their own)` });
          resumeAt = starts[startLine] ?? body.length; // the start of the following line
          parser.abort();
          return;
        }
        if (cells.length === 1 && cells[0]!.trim() === '') return; // blank line
        if (cells.length !== header.length) {
          errors.push({ line: startLine, field: '(row)', reason: `expected ${header.length} columns, got ${cells.length}` });
          return;
        }
        const values: Record<string, unknown> = {};
        header.forEach((h, i) => (values[h] = cells[i]));
        rows.push(lastLine > startLine ? { line: startLine, lastLine, values } : { line: startLine, values });
      },
    });
    if (resumeAt < 0) break;
    offset = resumeAt;
  }
  const fields: string[] = header ?? [];
  const dup = fields.find((f, i) => fields.indexOf(f) !== i);
  if (dup) throw new MappingError(`The CSV header names the column "${dup}" twice; rename one of them.`);
  return { format: 'csv', fields, rows, errors };
}

/** Leaf paths of nested plain objects ("job.title"); arrays are leaves. */
function flatten(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, path, out);
    else out[path] = v;
  }
  return out;
}

export function parseJsonl(text: string): ParsedSource {
  const rows: SourceRow[] = [];
  const errors: RowError[] = [];
  const fields: string[] = [];
  const seen = new Set<string>();
  text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = i + 1;
      if (raw.trim() === '') return;
      const depth = jsonTextDepth(raw);
      if (depth > MAX_JSON_DEPTH) {
        errors.push({ line, field: '(row)', reason: tooDeepMessage(depth) });
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch (e) {
        errors.push({ line, field: '(row)', reason: `not valid JSON: ${(e as Error).message}` });
        return;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        errors.push({ line, field: '(row)', reason: 'expected a JSON object on each line' });
        return;
      }
      const values = flatten(parsed as Record<string, unknown>);
      for (const f of Object.keys(values)) {
        if (!seen.has(f)) {
          seen.add(f);
          fields.push(f);
        }
      }
      rows.push({ line, values });
    });
  return { format: 'jsonl', fields, rows, errors };
}

/** Bytes that are not UTF-8 text, by line. */
export interface EncodingProblem {
  line: number;
  /** 1-based byte position within the line of the first byte that is not UTF-8, and its value. */
  column: number;
  byte: number;
}

/** The index of the first byte that does not belong to valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; ) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= to) return i;
    for (let k = 1; k <= need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong three-byte forms, UTF-16 surrogates and code points past U+10FFFF.
    const b1 = bytes[i + 1]!;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * File bytes as text. A byte-order mark picks UTF-8 or UTF-16; otherwise the bytes are read as
 * `encoding` (default UTF-8), and with UTF-8 every line holding bytes that are not UTF-8 is
 * listed (those bytes become U+FFFD in the text, as a browser's File.text() would make them).
 */
export function decodeSourceBytes(bytes: Uint8Array, encoding = 'utf-8'): { text: string; encoding: string; problems: EncodingProblem[] } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le', problems: [] };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be', problems: [] };
  const decoder = new TextDecoder(encoding);
  if (decoder.encoding !== 'utf-8') return { text: decoder.decode(bytes), encoding: decoder.encoding, problems: [] };
  const problems: EncodingProblem[] = [];
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const bad = firstInvalidUtf8(bytes, start, end);
    if (bad >= 0) problems.push({ line, column: bad - start + 1, byte: bytes[bad]! });
    start = end + 1;
  }
  return { text: decoder.decode(bytes), encoding: 'utf-8', problems };
}

export function parseSource(text: string, format: 'csv' | 'jsonl' | 'auto' = 'auto', fileName = ''): ParsedSource {
  if (format === 'auto') {
    if (/\.jsonl?$|\.ndjson$/i.test(fileName)) format = 'jsonl';
    else if (/\.(csv|tsv)$/i.test(fileName)) format = 'csv';
    else format = text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
  }
  return format === 'csv' ? parseCsv(text) : parseJsonl(text);
}

/** Matches the reason of a row (or header) whose bytes are not UTF-8, as parseSourceBytes words it. */
export const NOT_UTF8_REASON = /not UTF-8 text/;

/**
 * parseSource for a file's bytes: rows holding bytes that are not UTF-8 are reported (with the
 * line, the byte and the encoding to try) instead of being imported with U+FFFD in place of their
 * letters. Pass `encoding` (e.g. "windows-1252", any label TextDecoder knows) to read such a file.
 */
export function parseSourceBytes(bytes: Uint8Array, opts: { format?: 'csv' | 'jsonl' | 'auto'; fileName?: string; encoding?: string } = {}): ParsedSource & { encoding: string } {
  const decoded = decodeSourceBytes(bytes, opts.encoding);
  const source = parseSource(decoded.text, opts.format, opts.fileName);
  if (decoded.problems.length === 0) return { ...source, encoding: decoded.encoding };
  const reason = (p: EncodingProblem) =>
    `line ${p.line} is not UTF-8 text (byte 0x${p.byte.toString(16).toUpperCase().padStart(2, '0')} at byte ${p.column}): ` +
    'the file is in another encoding (often windows-1252 from Excel); save it as UTF-8, or import it with the encoding windows-1252';
  const rows: SourceRow[] = [];
  const errors = [...source.errors];
  for (const row of source.rows) {
    const problem = decoded.problems.find((p) => p.line >= row.line && p.line <= (row.lastLine ?? row.line));
    if (problem) errors.push({ line: row.line, field: '(row)', reason: reason(problem) });
    else rows.push(row);
  }
  // A header line that is not UTF-8 would misname every column.
  const header = source.format === 'csv' ? decoded.problems.find((p) => p.line === 1) : undefined;
  if (header) throw new MappingError(`The CSV header: ${reason(header)}.`);
  errors.sort((a, b) => a.line - b.line);
  return { ...source, rows, errors, encoding: decoded.encoding };
}

// --- 2. map --------------------------------------------------------------------------------------

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Source names (normalized: lowercase, letters and digits only) that mean each target. */
const SYNONYMS: Record<TargetField, string[]> = {
  id: ['id', 'exampleid', 'pairid', 'rowid', 'uid', 'key'],
  'job.title': ['jobtitle', 'title', 'position', 'role', 'jobname', 'postingtitle', 'positiontitle'],
  'job.company': ['company', 'companyname', 'employer', 'organization', 'organisation', 'jobcompany'],
  'job.location': ['joblocation', 'location', 'city', 'worklocation', 'officelocation'],
  'job.remotePolicy': ['remotepolicy', 'remote', 'workmode', 'workplacetype', 'remotetype', 'workarrangement', 'onsiteremote', 'jobremotepolicy'],
  'job.description': ['jobdescription', 'description', 'posting', 'jobposting', 'jd', 'jobtext', 'postingtext', 'postingdescription'],
  'profile.headline': ['headline', 'candidateheadline', 'memberheadline', 'profileheadline', 'currenttitle', 'candidatetitle'],
  'profile.summary': ['summary', 'about', 'profilesummary', 'candidatesummary', 'membersummary', 'bio'],
  'profile.location': ['candidatelocation', 'memberlocation', 'profilelocation', 'applicantlocation'],
  'profile.skills': ['skills', 'candidateskills', 'profileskills', 'memberskills', 'skilllist'],
  'profile.experience': ['experience', 'workexperience', 'employmenthistory', 'positions', 'workhistory', 'candidateexperience', 'profileexperience'],
  'profile.education': ['education', 'degrees', 'schooling', 'candidateeducation', 'profileeducation'],
  'profile.certifications': ['certifications', 'certs', 'certificates', 'licenses', 'licences', 'candidatecertifications', 'profilecertifications'],
};

const GROUP_NAMES: Record<'job' | 'profile', string[]> = {
  job: ['job', 'posting', 'jobposting', 'vacancy'],
  profile: ['profile', 'candidate', 'member', 'applicant', 'person'],
};

function matchScore(target: TargetField, source: string): number {
  if (norm(source) === norm(target)) return 100;
  if (SYNONYMS[target].includes(norm(source))) return 80;
  const parts = source.split('.');
  if (parts.length > 1) {
    const group = target.split('.')[0] as 'job' | 'profile' | 'id';
    const parent = norm(parts[parts.length - 2]!);
    const leaf = norm(parts[parts.length - 1]!);
    const leafSynonyms = SYNONYMS[target].concat(norm(target.split('.').pop()!));
    if (group !== 'id' && GROUP_NAMES[group].includes(parent) && leafSynonyms.includes(leaf)) return 70;
  }
  return 0;
}

/** A mapping proposed from the source names; each source field is used at most once. */
export function suggestMapping(sourceFields: readonly string[]): ColumnMapping {
  const candidates: { target: TargetField; source: string; score: number }[] = [];
  for (const target of TARGET_FIELDS) {
    for (const source of sourceFields) {
      const score = matchScore(target, source);
      if (score > 0) candidates.push({ target, source, score });
    }
  }
  candidates.sort((a, b) => b.score - a.score || TARGET_FIELDS.indexOf(a.target) - TARGET_FIELDS.indexOf(b.target));
  const fields: ColumnMapping['fields'] = {};
  const used = new Set<string>();
  for (const c of candidates) {
    if (fields[c.target] !== undefined || used.has(c.source)) continue;
    fields[c.target] = c.source;
    used.add(c.source);
  }
  return { fields };
}

/** Problems with the mapping itself, before any row is read. */
export function checkMapping(source: ParsedSource, mapping: ColumnMapping): string[] {
  const problems: string[] = [];
  const known = new Set(source.fields);
  for (const [target, field] of Object.entries(mapping.fields)) {
    if (!(TARGET_FIELDS as readonly string[]).includes(target)) problems.push(`"${target}" is not a field of an example`);
    else if (field !== undefined && !known.has(field)) problems.push(`${target} is mapped to "${field}", which the file does not have`);
  }
  for (const target of Object.keys(mapping.constants ?? {})) {
    if (!(TARGET_FIELDS as readonly string[]).includes(target)) problems.push(`"${target}" is not a field of an example`);
  }
  for (const target of REQUIRED_FIELDS) {
    if (mapping.fields[target] === undefined && mapping.constants?.[target] === undefined) problems.push(`${target} is required: map a column to it or give it a value for every row`);
  }
  return problems;
}

export function normalizeRemotePolicy(value: string): RemotePolicy | null {
  const v = value.trim().toLowerCase();
  if ((REMOTE_POLICIES as readonly string[]).includes(v)) return v as RemotePolicy;
  if (/hybrid|flexible|partly remote|part[- ]remote/.test(v)) return 'hybrid';
  if (/remote|wfh|work from home|anywhere|distributed|telecommut/.test(v)) return 'remote';
  if (/on[\s-]?site|office|in[\s-]person|on[\s-]?premises|on location/.test(v)) return 'onsite';
  return null;
}

class FieldError extends Error {}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new FieldError(`expected text, got ${Array.isArray(value) ? 'a list' : 'an object'}`);
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map((v) => asText(v).trim()).filter(Boolean);
  const text = asText(value).trim();
  if (text.startsWith('[')) return asList(parseJsonCell(text));
  return text.split(/[,;|\n]/).map((s) => s.trim()).filter(Boolean);
}

function parseJsonCell(text: string): unknown {
  const depth = jsonTextDepth(text);
  if (depth > MAX_JSON_DEPTH) throw new FieldError(tooDeepMessage(depth));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FieldError(`looks like JSON but is not valid: ${(e as Error).message}`);
  }
}

const EXPERIENCE_LINE = /^(?<title>.+?)(?:\s+(?:at|@)\s+(?<company>.+?))?\s*(?:,|\(|–|-)\s*(?<years>\d+(?:\.\d+)?)\s*\+?\s*(?:years?|yrs?)\)?\s*(?::\s*(?<description>.*))?$/i;

/** A JSON list of {title, company, years, description}, or lines "Title at Company, N years: description". */
function asExperience(value: unknown): Experience[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value as Experience[];
  const text = asText(value).trim();
  if (text.startsWith('[')) return parseJsonCell(text) as Experience[];
  return text
    .split(/\n|;/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = EXPERIENCE_LINE.exec(l);
      if (!m?.groups) throw new FieldError(`"${l}" is not "Title at Company, N years: description" (or a JSON list)`);
      return { title: m.groups.title!.trim(), company: (m.groups.company ?? '').trim(), years: Number(m.groups.years), description: (m.groups.description ?? '').trim() };
    });
}

/** A JSON list of {degree, field, school}, or lines "Degree in Field, School". */
function asEducation(value: unknown): Education[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value as Education[];
  const text = asText(value).trim();
  if (text.startsWith('[')) return parseJsonCell(text) as Education[];
  return text
    .split(/\n|;/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [degreePart, ...schoolParts] = l.split(',');
      const [degree, ...fieldParts] = degreePart!.split(/\s+in\s+/i);
      return { degree: degree!.trim(), field: fieldParts.join(' in ').trim(), school: schoolParts.join(',').trim() };
    });
}

function convert(target: TargetField, value: unknown): unknown {
  switch (target) {
    case 'profile.skills':
    case 'profile.certifications':
      return asList(value);
    case 'profile.experience':
      return asExperience(value);
    case 'profile.education':
      return asEducation(value);
    case 'job.remotePolicy': {
      const text = asText(value);
      const policy = normalizeRemotePolicy(text);
      if (!policy) throw new FieldError(`expected onsite, hybrid or remote, got "${text}"`);
      return policy;
    }
    default:
      return asText(value).trim();
  }
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = obj;
  for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
}

export interface ApplyOptions {
  /** Prefix of ids generated from line numbers when no id column is mapped (default "row"). */
  idPrefix?: string;
}

/** Converts and validates every row. Throws MappingError when the mapping itself is unusable. */
export function applyMapping(source: ParsedSource, mapping: ColumnMapping, opts: ApplyOptions = {}): ImportPreview {
  const problems = checkMapping(source, mapping);
  if (problems.length) throw new MappingError(`The column mapping cannot be used: ${problems.join('; ')}.`);
  const idPrefix = opts.idPrefix ?? 'row';
  const errors: RowError[] = [...source.errors];
  const invalid = new Set(source.errors.map((e) => e.line));
  const examples: Example[] = [];
  const firstLineOfId = new Map<string, number>();
  for (const row of source.rows) {
    const draft: Record<string, unknown> = { job: {}, profile: {} };
    const rowErrors: RowError[] = [];
    for (const target of TARGET_FIELDS) {
      const sourceField = mapping.fields[target];
      const raw = sourceField !== undefined ? row.values[sourceField] : mapping.constants?.[target];
      if (raw === undefined && target !== 'id') continue;
      try {
        if (target === 'id') setPath(draft, 'id', raw === undefined || raw === '' ? (sourceField === undefined ? `${idPrefix}-${row.line}` : '') : asText(raw).trim());
        else setPath(draft, target, convert(target, raw));
      } catch (e) {
        if (!(e instanceof FieldError)) throw e;
        rowErrors.push({ line: row.line, field: sourceField ? `${target} (column "${sourceField}")` : target, reason: e.message });
      }
    }
    if (rowErrors.length === 0) {
      const parsed = Example.safeParse(draft);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = issue.path.join('.');
          rowErrors.push({ line: row.line, field: path || '(row)', reason: issue.path.length && isMissing(draft, issue.path) ? `missing (${issue.message})` : issue.message });
        }
      } else {
        const first = firstLineOfId.get(parsed.data.id);
        const tooLarge = pairSizeIssues(parsed.data);
        if (tooLarge.length) {
          for (const issue of tooLarge) rowErrors.push({ line: row.line, field: issue.field === '(pair)' ? '(row)' : issue.field, reason: `${describeSizeIssue(issue)} (the teacher proxy's limit)` });
        } else if (first !== undefined) rowErrors.push({ line: row.line, field: 'id', reason: `duplicate id "${parsed.data.id}" (first used on line ${first})` });
        else {
          firstLineOfId.set(parsed.data.id, row.line);
          examples.push(parsed.data);
        }
      }
    }
    if (rowErrors.length) {
      errors.push(...rowErrors);
      invalid.add(row.line);
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { examples, errors, rowCount: source.rows.length + new Set(source.errors.map((e) => e.line)).size, invalidLines: [...invalid].sort((a, b) => a - b), mapping };
}

function isMissing(obj: unknown, path: PropertyKey[]): boolean {
  let at: unknown = obj;
  for (const p of path) {
    if (at === null || typeof at !== 'object') return true;
    at = (at as Record<PropertyKey, unknown>)[p];
  }
  return at === undefined;
}

// --- 3. commit -----------------------------------------------------------------------------------

export interface CommitOptions {
  name: string;
  /** Write the valid rows even when some are invalid (they are reported, not written). */
  skipInvalid?: boolean;
  /** Defaults to a fresh random id. */
  datasetId?: string;
  /** Defaults to now. */
  createdAt?: string;
}

export interface CommitResult {
  dataset: Dataset;
  written: number;
  skipped: RowError[];
}

/** Writes the preview's valid examples as a new dataset (all rows in the raw split), in one transaction. */
export async function commitImport(store: LanternStore, preview: ImportPreview, opts: CommitOptions): Promise<CommitResult> {
  if (preview.errors.length > 0 && !opts.skipInvalid) throw new ImportRejectedError(preview.errors);
  if (preview.examples.length === 0) throw new ImportRejectedError(preview.errors.length ? preview.errors : [{ line: 0, field: '(file)', reason: 'the file has no rows' }]);
  const dataset = await newDataset({ name: opts.name, examples: preview.examples, id: opts.datasetId, createdAt: opts.createdAt });
  await store.saveDataset(dataset, preview.examples);
  return { dataset, written: preview.examples.length, skipped: preview.errors };
}
