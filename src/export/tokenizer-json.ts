// tokenizer.json + tokenizer_config.json for a student vocabulary, so that a Hugging Face tokenizer
// (transformers.js, @huggingface/tokenizers) gives the student's ids for a text.
//
// The student tokenizer (src/data/vocab.ts) runs Qwen's byte-level BPE and then writes every Qwen
// token outside the pruned vocabulary as its bytes. A byte-level BPE model cannot say "this token
// becomes its bytes" (its final tokens must all be in the vocabulary), so the file is a
// character-level BPE with byte fallback instead: Qwen's merges (written as text), the student's
// tokens as text, bytes as <0xXX> (student ids 6..261, byte b = 6 + b). Running Qwen's merges gives
// Qwen's tokens; a token outside the vocabulary falls back to its UTF-8 bytes — the student's rule.
//
// What a text form cannot carry: Qwen tokens that are not whole UTF-8 characters (pieces of a
// multi-byte character, e.g. CJK or emoji bytes). Their merges are left out and, if such a token is
// in the student vocabulary, it gets a placeholder that no text produces. Text made of whole-token
// characters (every demo dataset) tokenizes exactly as the studio does; `representation` counts
// what was left out so the bundle README can say so.
import { byteLevelToBytes } from '../data/tokenizer.ts';
import { BYTE_OFFSET, FIRST_MERGED_ID, SPECIAL_IDS, STUDENT_SPECIAL_TOKENS, type StudentVocabJson } from '../data/vocab.ts';

/** The parts of Qwen's tokenizer.json this needs. */
export interface QwenTokenizerJson {
  pre_tokenizer: { type: string; pretokenizers?: { type: string }[] };
  model: { merges: (string | [string, string])[] };
}

export interface TokenizerFiles {
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
  representation: {
    /** Student tokens that are not whole UTF-8 text (kept under a placeholder). */
    partialTokens: number;
    /** Qwen merges written / left out (pieces of one character, or a pair already written). */
    merges: number;
    mergesLeftOut: number;
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A byte-level token as text, or null when its bytes are not whole UTF-8 characters. */
function tokenText(byteLevel: string): string | null {
  try {
    return strictUtf8.decode(byteLevelToBytes(byteLevel));
  } catch {
    return null;
  }
}

/** A Qwen merge (byte-level tokens a, b) as a merge of text tokens, or null when none exists. */
function textMerge(a: string, b: string): [string, string] | null {
  const ta = tokenText(a);
  const tb = tokenText(b);
  if (ta !== null && tb !== null) return [ta, tb];
  const text = tokenText(a + b);
  if (text === null) return null;
  const chars = Array.from(text);
  if (chars.length < 2) return null; // the pieces of one character: a text tokenizer starts from it
  // Split at the last character boundary at or before a's end (or the first after, if none).
  const aBytes = byteLevelToBytes(a).length;
  let bytes = 0;
  let cut = 0;
  for (let i = 0; i < chars.length; i++) {
    const next = bytes + utf8.encode(chars[i]!).length;
    if (next > aBytes) break;
    bytes = next;
    cut = i + 1;
  }
  cut = Math.min(Math.max(cut, 1), chars.length - 1);
  return [chars.slice(0, cut).join(''), chars.slice(cut).join('')];
}

const utf8 = new TextEncoder();

export const byteTokenName = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/** What the input of each kind of student looks like (task.ts writes the same ids). */
export type TokenizerUse = 'encoder' | 'decoder';

export function studentTokenizerFiles(vocab: StudentVocabJson, qwen: QwenTokenizerJson, use: TokenizerUse, maxLength: number): TokenizerFiles {
  const split = qwen.pre_tokenizer.type === 'Sequence' ? qwen.pre_tokenizer.pretokenizers?.find((p) => p.type === 'Split') : qwen.pre_tokenizer.type === 'Split' ? qwen.pre_tokenizer : undefined;
  if (!split) throw new Error("Qwen's tokenizer.json has no Split pre-tokenizer (the regex that cuts text into words)");

  const entries: [string, number][] = [];
  STUDENT_SPECIAL_TOKENS.forEach((s, id) => entries.push([s, id]));
  for (let b = 0; b < 256; b++) entries.push([byteTokenName(b), BYTE_OFFSET + b]);
  let partialTokens = 0;
  vocab.tokens.forEach((t, i) => {
    const text = tokenText(t);
    if (text === null) partialTokens++;
    // The byte-level spelling of a partial token: never produced from text, so never matched.
    entries.push([text ?? `<|lantern:partial:${t}|>`, FIRST_MERGED_ID + i]);
  });
  const vocabMap: Record<string, number> = {};
  for (const [s, id] of entries) {
    if (s in vocabMap) throw new Error(`two student tokens are both written "${s}" (ids ${vocabMap[s]} and ${id})`);
    vocabMap[s] = id;
  }

  // A merge of two whole-character tokens is kept as text. A merge that joins pieces of a
  // character but yields whole characters ("ĠÂ" + "·" → " ·") becomes the merge of the result's
  // characters around the nearest character boundary (" " + "·"), at the same rank; the first
  // rank of a pair wins, as in Qwen's own BPE.
  const merges: [string, string][] = [];
  const seen = new Set<string>();
  let mergesLeftOut = 0;
  for (const m of qwen.model.merges) {
    const [a, b] = typeof m === 'string' ? (m.split(' ', 2) as [string, string]) : m;
    const pair = textMerge(a, b);
    const key = pair && `${pair[0]}\u0000${pair[1]}`;
    if (!pair || seen.has(key!)) {
      mergesLeftOut++;
      continue;
    }
    seen.add(key!);
    merges.push(pair);
  }

  const special = (id: number) => ({ id, content: STUDENT_SPECIAL_TOKENS[id]!, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const template = (id: number) => ({ SpecialToken: { id: STUDENT_SPECIAL_TOKENS[id]!, type_id: 0 } });
  // The encoder reads "<|cls|> job <|sep|> profile": a text pair. The decoder's prompt has its
  // pieces encoded one by one (README of the bundle), so nothing is added to a text.
  const postProcessor =
    use === 'encoder'
      ? {
          type: 'TemplateProcessing',
          single: [template(SPECIAL_IDS.cls), { Sequence: { id: 'A', type_id: 0 } }],
          pair: [template(SPECIAL_IDS.cls), { Sequence: { id: 'A', type_id: 0 } }, template(SPECIAL_IDS.sep), { Sequence: { id: 'B', type_id: 0 } }],
          special_tokens: Object.fromEntries([SPECIAL_IDS.cls, SPECIAL_IDS.sep].map((id) => [STUDENT_SPECIAL_TOKENS[id]!, { id: STUDENT_SPECIAL_TOKENS[id]!, ids: [id], tokens: [STUDENT_SPECIAL_TOKENS[id]!] }])),
        }
      : null;

  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: STUDENT_SPECIAL_TOKENS.map((_, id) => special(id)),
    // No NFC: the studio keeps text byte for byte (src/data/tokenizer.ts).
    normalizer: null,
    pre_tokenizer: split,
    post_processor: postProcessor,
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: true,
      ignore_merges: false,
      vocab: vocabMap,
      merges,
    },
  };
  const name = (id: number) => STUDENT_SPECIAL_TOKENS[id]!;
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: maxLength,
    clean_up_tokenization_spaces: false,
    add_bos_token: false,
    add_eos_token: false,
    bos_token: null,
    eos_token: name(SPECIAL_IDS.eos),
    pad_token: name(SPECIAL_IDS.pad),
    ...(use === 'encoder' ? { cls_token: name(SPECIAL_IDS.cls), sep_token: name(SPECIAL_IDS.sep) } : {}),
    // The decoder's prompts are left-padded (as the studio generates); the encoder's right-padded.
    padding_side: use === 'decoder' ? 'left' : 'right',
    added_tokens_decoder: Object.fromEntries(STUDENT_SPECIAL_TOKENS.map((_, id) => [String(id), (({ id: _id, ...rest }) => rest)(special(id))])),
  };
  return { tokenizer, config, representation: { partialTokens, merges: merges.length, mergesLeftOut } };
}
