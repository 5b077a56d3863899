// How large one (job, profile) pair may be: the teacher proxy refuses a request holding a larger
// pair, and the importer reports such rows with the same figures, so a dataset that imports is one
// the teacher takes. One place for both limits.

/** One pair as JSON, in UTF-8 bytes (about 16 pages of text: far above any real posting + profile). */
export const MAX_PAIR_BYTES = 64 * 1024;
/** One text field of a pair (a description, a summary, a skill), in UTF-8 bytes. */
export const MAX_FIELD_BYTES = 32 * 1024;

export interface PairSizeLimits {
  maxPairBytes: number;
  maxFieldBytes: number;
}

export const PAIR_SIZE_LIMITS: PairSizeLimits = { maxPairBytes: MAX_PAIR_BYTES, maxFieldBytes: MAX_FIELD_BYTES };

export interface SizeIssue {
  /** Dotted path of the field ("job.description", "profile.experience.0.description"), or "(pair)". */
  field: string;
  bytes: number;
  limit: number;
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Every text field over the field limit, then the whole pair when its JSON is over the pair limit.
 * Works on unvalidated input (the proxy measures a request before validating it); the field walk
 * is iterative, and JSON.stringify relies on the nesting being bounded first (json-depth.ts).
 */
export function pairSizeIssues(pair: unknown, limits: PairSizeLimits = PAIR_SIZE_LIMITS): SizeIssue[] {
  const issues: SizeIssue[] = [];
  const stack: [string, unknown][] = [['', pair]];
  while (stack.length) {
    const [path, value] = stack.pop()!;
    if (typeof value === 'string') {
      const bytes = utf8Length(value);
      if (bytes > limits.maxFieldBytes) issues.push({ field: path || '(pair)', bytes, limit: limits.maxFieldBytes });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as object);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([path ? `${path}.${entries[i]![0]}` : entries[i]![0], entries[i]![1]]);
    }
  }
  const bytes = utf8Length(JSON.stringify(pair) ?? '');
  if (bytes > limits.maxPairBytes) issues.push({ field: '(pair)', bytes, limit: limits.maxPairBytes });
  return issues;
}

/** "job.description is 40,000 bytes; a field may be at most 32,768 bytes". */
export function describeSizeIssue(issue: SizeIssue): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return issue.field === '(pair)'
    ? `the pair is ${n(issue.bytes)} bytes as JSON; a pair may be at most ${n(issue.limit)} bytes`
    : `${issue.field} is ${n(issue.bytes)} bytes; a field may be at most ${n(issue.limit)} bytes`;
}
