// The student vocabulary: Qwen's tokens pruned to what a dataset uses, so small students keep a
// small embedding table, while every student id still names a Qwen token (for KD from a Qwen
// teacher's top-k logprobs).
//
// Student ids, in order:
//   0..5     control tokens: <|pad|>, <|endoftext|> (eos), <|im_start|>, <|im_end|> (chat turns, as
//            in Qwen), <|cls|>, <|sep|> (encoder classifier: pooled position, job/profile separator)
//   6..261   the 256 byte tokens, byte b → id 6 + b (always present)
//   262..    Qwen tokens seen in the dataset, most frequent first (ties: lower Qwen id first),
//            until maxVocab ids in all
// A Qwen token outside the student vocabulary is written as its byte tokens, so encode → decode
// gives back any (well-formed) text exactly. The vocabulary is plain JSON, saved with the dataset.
import { z } from 'zod';
import { byteLevelToBytes, type QwenTokenizer } from './tokenizer.ts';

export const STUDENT_SPECIAL_TOKENS = ['<|pad|>', '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|cls|>', '<|sep|>'] as const;
export type StudentSpecialToken = (typeof STUDENT_SPECIAL_TOKENS)[number];
export const SPECIAL_IDS = { pad: 0, eos: 1, imStart: 2, imEnd: 3, cls: 4, sep: 5 } as const;
export const BYTE_OFFSET = STUDENT_SPECIAL_TOKENS.length;
export const FIRST_MERGED_ID = BYTE_OFFSET + 256;
/** The smallest possible vocabulary: control tokens and bytes. */
export const MIN_VOCAB = FIRST_MERGED_ID;

export const StudentVocabJson = z.object({
  format: z.literal('lantern-student-vocab'),
  version: z.literal(1),
  base: z.object({ name: z.string(), vocabSize: z.number().int().positive() }),
  specials: z.array(z.string()),
  /** Byte-level strings of the merged tokens, student id FIRST_MERGED_ID + i. */
  tokens: z.array(z.string()),
  /** Their Qwen ids. */
  qwenIds: z.array(z.number().int().nonnegative()),
  /** How often each was seen when the vocabulary was built. */
  counts: z.array(z.number().int().nonnegative()),
  maxVocab: z.number().int(),
});
export type StudentVocabJson = z.infer<typeof StudentVocabJson>;

/** The student vocabulary's size cap when none is given: a run's vocabulary is at most this. */
export const DEFAULT_MAX_VOCAB = 8192;

export interface BuildVocabOptions {
  /** Total size including control and byte tokens (≥ 262). Default DEFAULT_MAX_VOCAB. */
  maxVocab?: number;
  /** Drop tokens seen fewer times (default 1: keep everything seen, up to maxVocab). */
  minCount?: number;
}

/** Counts Qwen tokens over `texts` and keeps the most frequent. */
export function buildStudentVocab(qwen: QwenTokenizer, texts: Iterable<string>, opts: BuildVocabOptions = {}): StudentVocabJson {
  const maxVocab = opts.maxVocab ?? DEFAULT_MAX_VOCAB;
  const minCount = opts.minCount ?? 1;
  if (!Number.isInteger(maxVocab) || maxVocab < MIN_VOCAB) throw new Error(`maxVocab must be an integer ≥ ${MIN_VOCAB} (control + byte tokens), got ${maxVocab}`);
  const counts = new Map<number, number>();
  for (const text of texts) {
    for (const id of qwen.encode(text)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const candidates = [...counts.entries()]
    .filter(([id, c]) => c >= minCount && qwen.tokenBytes(id).length > 1 && !qwen.isAddedToken(id))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, maxVocab - FIRST_MERGED_ID);
  return {
    format: 'lantern-student-vocab',
    version: 1,
    base: { name: 'Qwen3', vocabSize: qwen.vocabSize },
    specials: [...STUDENT_SPECIAL_TOKENS],
    tokens: candidates.map(([id]) => qwen.tokenString(id)),
    qwenIds: candidates.map(([id]) => id),
    counts: candidates.map(([, c]) => c),
    maxVocab,
  };
}

const utf8Decoder = () => new TextDecoder('utf-8', { fatal: false });

export class StudentTokenizer {
  readonly vocab: StudentVocabJson;
  /** Number of student ids (embedding rows). */
  readonly size: number;
  private readonly qwen: QwenTokenizer | null;
  private readonly qwenToStudentId = new Map<number, number>();
  private readonly tokenBytes: Uint8Array[];

  /**
   * `qwen` is needed to encode text and to map Qwen ids; decoding needs only the vocabulary, so a
   * trained model can print text without loading the 11 MB tokenizer.
   */
  constructor(vocab: unknown, qwen: QwenTokenizer | null) {
    const parsed = StudentVocabJson.safeParse(vocab);
    if (!parsed.success) throw new Error(`Not a student vocabulary: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const v = parsed.data;
    if (v.tokens.length !== v.qwenIds.length) throw new Error('Student vocabulary is corrupt: tokens and qwenIds differ in length');
    if (v.specials.join() !== STUDENT_SPECIAL_TOKENS.join()) throw new Error(`Student vocabulary has unknown control tokens: ${v.specials.join(', ')}`);
    this.vocab = v;
    this.qwen = qwen;
    this.size = FIRST_MERGED_ID + v.tokens.length;
    const enc = new TextEncoder();
    this.tokenBytes = [
      ...STUDENT_SPECIAL_TOKENS.map((s) => enc.encode(s)),
      ...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)),
      ...v.tokens.map((t) => byteLevelToBytes(t)),
    ];
    if (qwen) {
      if (qwen.vocabSize !== v.base.vocabSize) throw new Error(`This vocabulary was built on a tokenizer with ${v.base.vocabSize} ids, not ${qwen.vocabSize}`);
      for (let i = 0; i < v.tokens.length; i++) {
        if (qwen.tokenString(v.qwenIds[i]!) !== v.tokens[i]) throw new Error(`Student vocabulary does not match the Qwen tokenizer at student id ${FIRST_MERGED_ID + i}`);
        this.qwenToStudentId.set(v.qwenIds[i]!, FIRST_MERGED_ID + i);
      }
      for (let b = 0; b < 256; b++) this.qwenToStudentId.set(qwen.byteTokenId(b), BYTE_OFFSET + b);
      this.qwenToStudentId.set(qwen.specialIds.endoftext, SPECIAL_IDS.eos);
      this.qwenToStudentId.set(qwen.specialIds.imStart, SPECIAL_IDS.imStart);
      this.qwenToStudentId.set(qwen.specialIds.imEnd, SPECIAL_IDS.imEnd);
    }
  }

  private requireQwen(): QwenTokenizer {
    if (!this.qwen) throw new Error('This student tokenizer was loaded without the Qwen tokenizer: it can decode, not encode');
    return this.qwen;
  }

  /**
   * Student ids for one Qwen id: one id when the token is in the vocabulary (or is a control
   * token Qwen and the student share), else the token's bytes.
   */
  qwenToStudent(qwenId: number): number[] {
    const direct = this.qwenToStudentId.get(qwenId);
    if (direct !== undefined) return [direct];
    return Array.from(this.requireQwen().tokenBytes(qwenId), (b) => BYTE_OFFSET + b);
  }

  /**
   * The Qwen id of every student id, in student order (what pruning a pretrained Qwen embedding
   * keeps: pretrained.ts pruneVocabulary): <|endoftext|>, <|im_start|>, <|im_end|> and the byte
   * tokens map to Qwen's own, merged tokens to their qwenIds; <|pad|>, <|cls|> and <|sep|> have no
   * Qwen token (null).
   */
  qwenIds(): (number | null)[] {
    const qwen = this.requireQwen();
    const specials: Record<StudentSpecialToken, number | null> = {
      '<|pad|>': null,
      '<|endoftext|>': qwen.specialIds.endoftext,
      '<|im_start|>': qwen.specialIds.imStart,
      '<|im_end|>': qwen.specialIds.imEnd,
      '<|cls|>': null,
      '<|sep|>': null,
    };
    return [...STUDENT_SPECIAL_TOKENS.map((t) => specials[t]), ...Array.from({ length: 256 }, (_, b) => qwen.byteTokenId(b)), ...this.vocab.qwenIds];
  }

  /**
   * Whether a model's own tokenizer.json (a pretrained folder's) is the Qwen tokenizer as far as
   * this vocabulary is concerned: every Qwen id qwenIds() keeps names the same token there
   * (Qwen2.5 and Qwen3 share the byte-level BPE vocabulary and these control tokens), so the
   * model's embedding rows can be gathered by qwenIds(). Otherwise the first id that differs.
   */
  matchesTokenizerJson(json: unknown): { ok: true } | { ok: false; reason: string } {
    const qwen = this.requireQwen();
    const t = json as { model?: { type?: unknown; vocab?: unknown }; added_tokens?: unknown };
    if (t?.model?.type !== 'BPE' || !t.model.vocab || typeof t.model.vocab !== 'object') return { ok: false, reason: 'tokenizer.json is not a byte-level BPE tokenizer (model.type is not "BPE")' };
    const byId = new Map<number, string>();
    for (const [token, id] of Object.entries(t.model.vocab as Record<string, number>)) byId.set(id, token);
    for (const a of Array.isArray(t.added_tokens) ? (t.added_tokens as { id?: unknown; content?: unknown }[]) : []) {
      if (typeof a.id === 'number' && typeof a.content === 'string') byId.set(a.id, a.content);
    }
    for (const [student, id] of this.qwenIds().entries()) {
      if (id === null) continue;
      const want = qwen.tokenString(id);
      const got = byId.get(id);
      if (got !== want) return { ok: false, reason: `id ${id} (student id ${student}) is ${JSON.stringify(want)} in the Qwen tokenizer but ${got === undefined ? 'absent' : JSON.stringify(got)} in this tokenizer.json` };
    }
    return { ok: true };
  }

  /** Student ids of `text` (no control tokens added). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const id of this.requireQwen().encode(text)) {
      const direct = this.qwenToStudentId.get(id);
      if (direct !== undefined) out.push(direct);
      else for (const b of this.requireQwen().tokenBytes(id)) out.push(BYTE_OFFSET + b);
    }
    return out;
  }

  /** Text of student ids. Control tokens are written out unless skipSpecial; invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new Error(`Student id ${id} is outside the vocabulary (size ${this.size})`);
      if (opts.skipSpecial && id < BYTE_OFFSET) continue;
      const bytes = this.tokenBytes[id]!;
      parts.push(bytes);
      total += bytes.length;
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return utf8Decoder().decode(all);
  }

  /** The token's text for display ("Ġhello" → " hello"; a lone byte as <0xAB>). */
  tokenLabel(id: number): string {
    if (id < BYTE_OFFSET) return STUDENT_SPECIAL_TOKENS[id]!;
    if (id < FIRST_MERGED_ID) return `<0x${(id - BYTE_OFFSET).toString(16).toUpperCase().padStart(2, '0')}>`;
    return utf8Decoder().decode(this.tokenBytes[id]!);
  }

  toJSON(): StudentVocabJson {
    return this.vocab;
  }
}

