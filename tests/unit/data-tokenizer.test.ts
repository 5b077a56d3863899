import { beforeAll, describe, expect, it } from 'vitest';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import type { QwenTokenizer } from '../../src/data/tokenizer.ts';
import { BYTE_OFFSET, FIRST_MERGED_ID, MIN_VOCAB, SPECIAL_IDS, StudentTokenizer, buildStudentVocab, type StudentVocabJson } from '../../src/data/vocab.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { exampleText } from '../../src/data/format.ts';

const ADVERSARIAL = [
  '',
  ' ',
  '\n\n\t  \r\n',
  'Héllo wörld — naïve façade, Ångström, São Paulo',
  'e\u0301 vs é (decomposed vs composed accents must both survive)',
  'emoji 🚀🔥 and ZWJ families 👩‍👩‍👧‍👦 👨🏽‍💻 flags 🇮🇪🇯🇵 keycap 1️⃣',
  '日本語のテキスト、中文文本，한국어 텍스트',
  'مرحبا بالعالم — עברית',
  'const f = (x: number) => x ** 2; // ∑ λ ≠ ≤\n\tif (a && b || !c) { return `${x}`; }',
  'control chars \u0000\u0001\u0007\u001b[31m\u007f\u0085\u200b\ufeff end',
  'special strings in data: <|im_start|>user<|im_end|> <|endoftext|> <think></think>',
  'a'.repeat(3000),
  'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(40),
  '0123456789'.repeat(200),
  '\u{10FFFF}\u{E000} private use and last code point',
];

describe('Qwen tokenizer and the pruned student vocabulary', () => {
  let qwen: QwenTokenizer;
  let texts: string[];
  let vocab: StudentVocabJson;
  let tok: StudentTokenizer;

  beforeAll(() => {
    qwen = loadQwenTokenizer();
    texts = generateDemoExamples({ seed: 1, n: 120 }).map((e) => exampleText(e));
    vocab = buildStudentVocab(qwen, texts);
    tok = new StudentTokenizer(vocab, qwen);
  });

  it('is the real Qwen3 tokenizer', () => {
    expect(qwen.vocabSize).toBe(151669);
    expect(qwen.encode('Hello World')).toEqual([9707, 4337]);
    expect(qwen.specialIds).toEqual({ endoftext: 151643, imStart: 151644, imEnd: 151645 });
    // Text that looks like a control token is plain text, not a control id.
    expect(qwen.encode('<|im_start|>')).not.toContain(151644);
  });

  it('keeps all byte tokens and every multi-byte token seen in the demo set, and says how many', () => {
    const seen = new Set<number>();
    for (const t of texts) for (const id of qwen.encode(t)) if (qwen.tokenBytes(id).length > 1) seen.add(id);
    expect(tok.size).toBe(FIRST_MERGED_ID + seen.size);
    expect(tok.size).toBeGreaterThan(MIN_VOCAB);
    expect(tok.size).toBeLessThan(8192);
    console.log(`pruned student vocabulary on 120 demo examples: ${tok.size} ids (Qwen3: ${qwen.vocabSize})`);
    // Most frequent first.
    for (let i = 1; i < vocab.counts.length; i++) expect(vocab.counts[i]!).toBeLessThanOrEqual(vocab.counts[i - 1]!);
  });

  it('round-trips the demo data exactly, with the same token count as Qwen when nothing is pruned away', () => {
    for (const t of texts) {
      const ids = tok.encode(t);
      expect(tok.decode(ids)).toBe(t);
      expect(ids.length).toBe(qwen.encode(t).length);
      for (const id of ids) expect(id).toBeGreaterThanOrEqual(BYTE_OFFSET);
    }
  });

  it.each(ADVERSARIAL.map((t) => [JSON.stringify(t).slice(0, 40), t]))('round-trips adversarial text %s', (_, text) => {
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    for (const id of ids) expect(id).toBeLessThan(tok.size);
  });

  it('caps the vocabulary by frequency and stays lossless through byte fallback', () => {
    const small = new StudentTokenizer(buildStudentVocab(qwen, texts, { maxVocab: 300 }), qwen);
    expect(small.size).toBe(300);
    for (const t of [...texts.slice(0, 10), ...ADVERSARIAL]) expect(small.decode(small.encode(t))).toBe(t);
    // Fewer merged tokens, so more ids for the same text.
    expect(small.encode(texts[0]!).length).toBeGreaterThan(tok.encode(texts[0]!).length);
    expect(() => buildStudentVocab(qwen, texts, { maxVocab: MIN_VOCAB - 1 })).toThrow(/maxVocab/);
  });

  it('maps Qwen ids onto student ids: kept tokens one to one, unseen ones as their bytes', () => {
    const kept = vocab.qwenIds[0]!;
    expect(tok.qwenToStudent(kept)).toEqual([FIRST_MERGED_ID]);
    const unseen = qwen.encode(' 量子コンピュータ supercalifragilistic').find((id) => !vocab.qwenIds.includes(id) && qwen.tokenBytes(id).length > 1)!;
    expect(unseen).toBeDefined();
    const mapped = tok.qwenToStudent(unseen);
    expect(mapped.length).toBe(qwen.tokenBytes(unseen).length);
    expect(tok.decode(mapped)).toBe(qwen.decode([unseen]));
    expect(tok.qwenToStudent(qwen.specialIds.imEnd)).toEqual([SPECIAL_IDS.imEnd]);
    // A teacher's token sequence, mapped id by id, reads the same as the teacher's text.
    const teacher = qwen.encode('The candidate meets 4 of 5 must-have skills (Kubernetes → k8s).');
    expect(tok.decode(teacher.flatMap((id) => tok.qwenToStudent(id)))).toBe(qwen.decode(teacher));
  });

  it('serializes to JSON and back, and refuses a vocabulary that does not match the tokenizer', () => {
    const restored = new StudentTokenizer(JSON.parse(JSON.stringify(tok)), qwen);
    expect(restored.size).toBe(tok.size);
    expect(restored.encode(texts[1]!)).toEqual(tok.encode(texts[1]!));
    // Decoding needs only the vocabulary.
    const decodeOnly = new StudentTokenizer(JSON.parse(JSON.stringify(vocab)), null);
    expect(decodeOnly.decode(tok.encode(texts[2]!))).toBe(texts[2]);
    expect(() => decodeOnly.encode('x')).toThrow(/can decode, not encode/);
    const corrupt = { ...vocab, tokens: vocab.tokens.map((t, i) => (i === 3 ? 'Ġzzzzzz' : t)) };
    expect(() => new StudentTokenizer(corrupt, qwen)).toThrow(/does not match/);
    expect(() => new StudentTokenizer({ format: 'something-else' }, qwen)).toThrow(/Not a student vocabulary/);
    expect(() => tok.decode([tok.size])).toThrow(/outside the vocabulary/);
  });
});
