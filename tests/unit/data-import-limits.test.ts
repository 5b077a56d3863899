// Hostile and damaged import files: every input line ends up imported or reported (an unclosed
// quote no longer swallows the rows after it), fields and pairs larger than the teacher proxy
// takes are reported with its limits, bytes that are not UTF-8 are reported by row, and deeply
// nested JSON lines are refused instead of overflowing the stack.
import { describe, expect, it } from 'vitest';
import { applyMapping, parseCsv, parseJsonl, parseSourceBytes, suggestMapping } from '../../src/data/import.ts';
import { DEFAULT_LIMITS } from '../../server/teacher/config.ts';
import { PAIRS } from '../server/helpers/pairs.ts';

const HEADER = 'id,title,company,location,remote,description,headline';
const row = (id: string, description = 'Requirements: SQL') => `${id},Analyst,Acme,Austin,remote,${description},Analyst`;

/** Every line of the file (after the header) is the first line of an imported row, inside one, or reported. */
function accountedLines(text: string, preview: ReturnType<typeof applyMapping>, source: ReturnType<typeof parseCsv>): { lost: number[] } {
  const lines = text.split('\n');
  const covered = new Set<number>([1]);
  for (const r of source.rows) for (let l = r.line; l <= (r.lastLine ?? r.line); l++) covered.add(l);
  for (const e of preview.errors) covered.add(e.line);
  const lost = lines.map((l, i) => (l.trim() === '' ? -1 : i + 1)).filter((n) => n > 0 && !covered.has(n));
  return { lost };
}

describe('CSV with an unclosed quote', () => {
  it('reports the line that opens it and still reads every following row', () => {
    const text = [HEADER, row('a'), `b,Analyst,Acme,Austin,remote,"Requirements: SQL,Analyst`, row('c'), row('d'), `e,Analyst,Acme,Austin,remote,"two`, `lines",Analyst`, row('f')].join('\n');
    const source = parseCsv(text);
    const preview = applyMapping(source, suggestMapping(source.fields));
    expect(preview.examples.map((e) => e.id)).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(preview.errors).toEqual([{ line: 3, field: '(row)', reason: expect.stringMatching(/quoted value opened on this line is not closed/) }]);
    expect(preview.rowCount).toBe(6);
    expect(source.rows.find((r) => r.values.id === 'e')).toMatchObject({ line: 6, lastLine: 7 });
    expect(accountedLines(text, preview, source).lost).toEqual([]);
  });

  it('recovers from a stray quote after a closed value too, keeping the detected delimiter', () => {
    const text = ['id;title;company;location;remote;description;headline', 'a;Analyst;Acme;Austin;remote;"SQL"x;Analyst', 'b;Analyst;Acme;Austin;remote;SQL, Python;Analyst', 'c;Analyst;Acme;Austin;remote;SQL;Analyst'].join('\n');
    const source = parseCsv(text);
    const preview = applyMapping(source, suggestMapping(source.fields));
    expect(preview.examples.map((e) => e.id)).toEqual(['b', 'c']);
    expect(preview.examples[0]!.job.description).toBe('SQL, Python');
    expect(preview.errors.map((e) => e.line)).toEqual([2]);
  });
});

describe('field and pair sizes', () => {
  it('reports rows whose fields or whole pair exceed what the teacher proxy takes, with the same limits', () => {
    const field = DEFAULT_LIMITS.maxFieldBytes;
    const text = [HEADER, row('ok'), row('long-field', 'x'.repeat(field + 1)), `big-pair,Analyst,Acme,Austin,remote,${'y'.repeat(field - 10)},${'z'.repeat(field - 10)}`, row('ok2')].join('\n');
    const source = parseCsv(text);
    const preview = applyMapping(source, suggestMapping(source.fields));
    expect(preview.examples.map((e) => e.id)).toEqual(['ok', 'ok2']);
    expect(preview.errors).toEqual([
      { line: 3, field: 'job.description', reason: `job.description is ${(field + 1).toLocaleString('en-US')} bytes; a field may be at most ${field.toLocaleString('en-US')} bytes (the teacher proxy's limit)` },
      { line: 4, field: '(row)', reason: expect.stringMatching(new RegExp(`the pair is [\\d,]+ bytes as JSON; a pair may be at most ${DEFAULT_LIMITS.maxPairBytes.toLocaleString('en-US')} bytes \\(the teacher proxy's limit\\)`)) },
    ]);
  });

  it('counts bytes, not characters, as the proxy does', () => {
    const field = DEFAULT_LIMITS.maxFieldBytes;
    // 'é' is two bytes in UTF-8: half the limit in characters is just over it in bytes.
    const text = [HEADER, row('accents', 'é'.repeat(field / 2 + 1))].join('\n');
    const source = parseCsv(text);
    expect(applyMapping(source, suggestMapping(source.fields)).errors).toEqual([
      { line: 2, field: 'job.description', reason: `job.description is ${(field + 2).toLocaleString('en-US')} bytes; a field may be at most ${field.toLocaleString('en-US')} bytes (the teacher proxy's limit)` },
    ]);
  });
});

describe('non-UTF-8 input', () => {
  const latin1 = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const join = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) (out.set(p, at), (at += p.length));
    return out;
  };

  it('reports the rows holding bytes that are not UTF-8, instead of importing U+FFFD', () => {
    const bytes = join(utf8(`${HEADER}\n${row('a')}\n`), latin1(`b,Analyst,Acme,Austin,remote,Requirements: caf\u00e9 SQL,Analyst\n`), utf8(`${row('c', 'Requirements: café')}\n`));
    const source = parseSourceBytes(bytes, { format: 'csv' });
    const preview = applyMapping(source, suggestMapping(source.fields));
    expect(preview.examples.map((e) => e.id)).toEqual(['a', 'c']);
    expect(preview.examples[1]!.job.description).toBe('Requirements: café');
    expect(preview.errors).toEqual([{ line: 3, field: '(row)', reason: expect.stringMatching(/line 3 is not UTF-8 text \(byte 0xE9 at byte 47\).*windows-1252/) }]);
    expect(preview.examples.some((e) => JSON.stringify(e).includes('\ufffd'))).toBe(false);
  });

  it('reports a multi-line row by its first line, and reads the file in the encoding the user names', () => {
    const bytes = join(utf8(`${HEADER}\nm,Analyst,Acme,Austin,remote,"first line\n`), latin1('second line with \u00fc"'), utf8(',Analyst\n'));
    const source = parseSourceBytes(bytes, { format: 'csv' });
    expect(source.errors).toEqual([{ line: 2, field: '(row)', reason: expect.stringMatching(/line 3 is not UTF-8/) }]);
    const asLatin = parseSourceBytes(bytes, { format: 'csv', encoding: 'windows-1252' });
    expect(asLatin.errors).toEqual([]);
    expect(asLatin.encoding).toBe('windows-1252');
    expect(asLatin.rows[0]!.values.description).toBe('first line\nsecond line with ü');
  });

  it('reads UTF-16 files by their byte-order mark, and JSONL lines the same way', () => {
    const text = `${JSON.stringify(PAIRS[0])}\n`;
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) new DataView(utf16.buffer).setUint16(2 + i * 2, text.charCodeAt(i), true);
    expect(parseSourceBytes(utf16, { format: 'jsonl' })).toMatchObject({ encoding: 'utf-16le', errors: [] });
    const bad = join(utf8(`${JSON.stringify(PAIRS[0])}\n`), latin1(`${JSON.stringify({ ...PAIRS[1], id: 'caf\u00e9' })}\n`));
    expect(parseSourceBytes(bad, { format: 'jsonl' }).errors).toEqual([{ line: 2, field: '(row)', reason: expect.stringMatching(/line 2 is not UTF-8/) }]);
  });
});

describe('deeply nested JSON lines', () => {
  it('are reported by line instead of overflowing the stack', () => {
    const deep = `{"id":"x","job":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
    const source = parseJsonl(`${JSON.stringify(PAIRS[0])}\n${deep}\n`);
    expect(source.rows).toHaveLength(1);
    expect(source.errors).toEqual([{ line: 2, field: '(row)', reason: expect.stringMatching(/nested more than 64 levels deep/) }]);
  });
});
