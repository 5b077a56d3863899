// ROUGE-1/2/L/Lsum exactly as Google's rouge-score (rouge_score/rouge_scorer.py) computes them,
// which in turn matches ROUGE-1.5.5 (`-e data -n 2`, plus `-m` with stemming):
//   tokens: lowercase → every run of characters outside [a-z0-9] becomes a space → split on
//           whitespace → with stemming, NLTK's Porter stemmer on tokens longer than 3 characters →
//           drop empty tokens.
//   rougeN: clipped n-gram overlap; P = hits / prediction n-grams, R = hits / reference n-grams.
//   rougeL: one LCS over the whole token sequences.
//   rougeLsum: texts split on "\n" (empty lines dropped); for each reference sentence the union of
//           its LCS with every prediction sentence, hits clipped by the token counts on both sides.
//   An empty side scores 0; F = 2PR / (P + R), 0 when P + R = 0.
// The npm package js-rouge differs (case-sensitive, punctuation kept, no stemming).

import { porterStem } from './porter-stemmer.ts';

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export interface RougeScores {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
  rougeLsum: RougeScore;
}

export const ROUGE_TYPES = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const satisfies readonly (keyof RougeScores)[];

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (rouge-score's use_stemmer). */
  stem?: boolean;
}

const NON_ALPHANUMERIC_RUN = /[^a-z0-9]+/g;
const VALID_TOKEN = /^[a-z0-9]+$/;

/** rouge-score's tokenizer. */
export function rougeTokenize(text: string, options: RougeOptions = {}): string[] {
  const tokens = text.toLowerCase().replace(NON_ALPHANUMERIC_RUN, ' ').split(/\s+/);
  const stemmed = options.stem ? tokens.map((t) => (t.length > 3 ? porterStem(t) : t)) : tokens;
  return stemmed.filter((t) => VALID_TOKEN.test(t));
}

export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function score(hits: number, predictionCount: number, referenceCount: number): RougeScore {
  const precision = predictionCount > 0 ? hits / predictionCount : 0;
  const recall = referenceCount > 0 ? hits / referenceCount : 0;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

const ZERO: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };

function countNgrams(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  // Tokens are [a-z0-9]+, so a space joins an n-gram into an unambiguous key.
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function rougeN(referenceTokens: string[], predictionTokens: string[], n: number): RougeScore {
  const ref = countNgrams(referenceTokens, n);
  const pred = countNgrams(predictionTokens, n);
  let hits = 0;
  for (const [gram, count] of ref) hits += Math.min(count, pred.get(gram) ?? 0);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return score(hits, total(pred), total(ref));
}

/** The (|ref|+1) × (|can|+1) LCS length table, row-major. */
function lcsTable(ref: string[], can: string[]): Int32Array {
  const cols = can.length + 1;
  const table = new Int32Array((ref.length + 1) * cols);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      table[i * cols + j] =
        ref[i - 1] === can[j - 1] ? table[(i - 1) * cols + j - 1]! + 1 : Math.max(table[(i - 1) * cols + j]!, table[i * cols + j - 1]!);
    }
  }
  return table;
}

/** Indices into `ref` of one LCS, with rouge-score's tie-breaking (_backtrack_norec). */
export function lcsIndices(ref: string[], can: string[]): number[] {
  const table = lcsTable(ref, can);
  const cols = can.length + 1;
  const indices: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      indices.push(i - 1);
      i--;
      j--;
    } else if (table[i * cols + j - 1]! > table[(i - 1) * cols + j]!) {
      j--;
    } else {
      i--;
    }
  }
  return indices.reverse();
}

export function rougeL(referenceTokens: string[], predictionTokens: string[]): RougeScore {
  if (referenceTokens.length === 0 || predictionTokens.length === 0) return ZERO;
  const table = lcsTable(referenceTokens, predictionTokens);
  const length = table[table.length - 1]!;
  return score(length, predictionTokens.length, referenceTokens.length);
}

/** Tokens of `ref` in the union of its LCS with each candidate sentence, in reference order. */
export function unionLcs(ref: string[], candidates: string[][]): string[] {
  const union = new Set<number>();
  for (const can of candidates) for (const i of lcsIndices(ref, can)) union.add(i);
  return [...union].sort((a, b) => a - b).map((i) => ref[i]!);
}

/** Summary-level LCS (ROUGE paper §3.2) with ROUGE-1.5.5's clipping of repeated tokens. */
export function summaryLevelLcs(referenceSentences: string[][], predictionSentences: string[][]): RougeScore {
  if (referenceSentences.length === 0 || predictionSentences.length === 0) return ZERO;
  const m = referenceSentences.reduce((a, s) => a + s.length, 0);
  const n = predictionSentences.reduce((a, s) => a + s.length, 0);
  if (m === 0 || n === 0) return ZERO;
  const tokenCounts = (sentences: string[][]) => {
    const counts = new Map<string, number>();
    for (const s of sentences) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1);
    return counts;
  };
  const refCounts = tokenCounts(referenceSentences);
  const predCounts = tokenCounts(predictionSentences);
  let hits = 0;
  for (const ref of referenceSentences) {
    for (const token of unionLcs(ref, predictionSentences)) {
      const r = refCounts.get(token) ?? 0;
      const p = predCounts.get(token) ?? 0;
      if (r > 0 && p > 0) {
        hits++;
        refCounts.set(token, r - 1);
        predCounts.set(token, p - 1);
      }
    }
  }
  return score(hits, n, m);
}

function sentences(text: string): string[] {
  return text.split('\n').filter((s) => s.length > 0);
}

/** All four ROUGE scores of one prediction against one reference (rouge-score's RougeScorer.score). */
export function rouge(reference: string, prediction: string, options: RougeOptions = {}): RougeScores {
  const refTokens = rougeTokenize(reference, options);
  const predTokens = rougeTokenize(prediction, options);
  return {
    rouge1: rougeN(refTokens, predTokens, 1),
    rouge2: rougeN(refTokens, predTokens, 2),
    rougeL: rougeL(refTokens, predTokens),
    rougeLsum: summaryLevelLcs(
      sentences(reference).map((s) => rougeTokenize(s, options)),
      sentences(prediction).map((s) => rougeTokenize(s, options)),
    ),
  };
}

/** Mean of each score over many pairs (what a results table reports); zeros for no pairs. */
export function meanRouge(all: RougeScores[]): RougeScores {
  const mean = (type: keyof RougeScores): RougeScore => {
    if (all.length === 0) return { ...ZERO };
    const sum = (f: keyof RougeScore) => all.reduce((a, s) => a + s[type][f], 0) / all.length;
    return { precision: sum('precision'), recall: sum('recall'), fmeasure: sum('fmeasure') };
  };
  return { rouge1: mean('rouge1'), rouge2: mean('rouge2'), rougeL: mean('rougeL'), rougeLsum: mean('rougeLsum') };
}
