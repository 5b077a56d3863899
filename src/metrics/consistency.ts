// Label ↔ explanation consistency: does the stance an explanation takes agree with the fit label
// it comes with? The stance is read with a small documented lexicon, in two tiers:
//
//  1. Verdicts (weight 3): explicit fit judgments — label mentions such as "strong fit",
//     "high fit", "fit: low", "poor match", and set phrases such as "checks every box" or
//     "falls short". When any verdict is present, the stance is the label with the largest verdict
//     weight (a tie between labels reads as medium).
//  2. Evidence (weight 1), used only when there is no verdict: positive cues ("as the posting
//     requires", "exceeds", "strength") and negative cues ("missing", "lacks", "no sign of",
//     "gaps"). balance = (pos − neg) / (pos + neg): > 1/3 → high, < −1/3 → low, else medium.
//
// Negation: a positive verdict or cue with "not", "no", "never", "hardly" or "n't" among the three
// words before it, in the same clause, counts for the other side ("not a strong fit" → low; "isn't a poor fit" →
// medium). Overlapping cues resolve to the longest ("not a clear match" beats "clear match").
// An explanation with no cue at all has no stance (null) and counts as inconsistent: it does not
// support its label.

import { FIT_LABELS, type FitLabel } from '../data/schema.ts';

type Tier = 'verdict' | 'evidence';
interface Cue {
  phrase: string;
  stance: FitLabel;
  tier: Tier;
}

const verdicts = (stance: FitLabel, phrases: string[]): Cue[] => phrases.map((phrase) => ({ phrase, stance, tier: 'verdict' }));
const evidence = (stance: FitLabel, phrases: string[]): Cue[] => phrases.map((phrase) => ({ phrase, stance, tier: 'evidence' }));

/** The stance lexicon. Phrases are lower case; spaces match any run of whitespace. */
export const STANCE_CUES: readonly Cue[] = [
  ...verdicts('high', [
    'high fit', 'strong fit', 'excellent fit', 'great fit', 'good fit', 'perfect fit', 'fit: high', 'fit level: high', 'fit is high',
    'strong match', 'excellent match', 'great match', 'good match', 'close match', 'clear match',
    'lines up well', 'checks every box', 'checks nearly every box', 'checks all the boxes', 'well suited', 'well-suited',
    'ideal candidate', 'highly qualified', 'well qualified', 'well-qualified', 'strong candidate', 'highly recommended',
  ]),
  ...verdicts('medium', [
    'medium fit', 'moderate fit', 'partial fit', 'mixed fit', 'reasonable fit', 'fair fit', 'fit: medium', 'fit level: medium', 'fit is medium',
    'partial match', 'moderate match', 'plausible but not a clear match', 'not a clear match', 'meets some of', 'some of what',
    'borderline', 'mixed picture',
  ]),
  ...verdicts('low', [
    'low fit', 'poor fit', 'weak fit', 'bad fit', 'fit: low', 'fit level: low', 'fit is low', 'not a fit', 'not a good fit', 'not a strong fit',
    'weak match', 'poor match', 'not a match', 'not a good match', 'not a strong match',
    'falls short', 'falls well short', 'misses too much', 'misses most', 'not suitable', 'unsuitable', 'not qualified', 'underqualified',
  ]),
  ...evidence('high', [
    'as the posting requires', 'as required', 'which the role calls for', 'on the plus side', 'requirements are met', 'meets the requirements',
    'meets all', 'exceeds', 'strength', 'strengths', 'relevant experience', 'solid experience', 'covered', 'matches',
  ]),
  ...evidence('low', [
    'missing', 'lacks', 'lack of', 'lacking', 'no sign of', 'does not show', 'doesn\'t show', 'gap', 'gaps', 'absent', 'not met',
    'insufficient', 'no experience', 'thin', 'shortfall', 'only partly', 'only in part',
  ]),
];

const WEIGHT: Record<Tier, number> = { verdict: 3, evidence: 1 };
const NEGATION = /(?:^|\s)(?:not|no|never|hardly|\S+n't)\s+(?:\S+\s+){0,2}$/;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CUE_PATTERNS = STANCE_CUES.map((cue) => ({
  cue,
  re: new RegExp(`(?<![\\p{L}\\p{N}])${cue.phrase.split(' ').map(escape).join('\\s+')}(?![\\p{L}\\p{N}])`, 'giu'),
}));

export interface CueHit {
  phrase: string;
  tier: Tier;
  /** The stance this hit counts for (after negation). */
  stance: FitLabel;
  negated: boolean;
}

export interface StanceReading {
  /** null when the explanation contains no stance cue. */
  stance: FitLabel | null;
  hits: CueHit[];
}

/** A negated positive counts as low, a negated negative as medium, a negated medium is dropped. */
function negate(stance: FitLabel): FitLabel | null {
  return stance === 'high' ? 'low' : stance === 'low' ? 'medium' : null;
}

/** The stance an explanation takes, with the cues that decided it. */
export function readStance(explanation: string): StanceReading {
  const text = explanation.toLowerCase().replace(/[’‘]/g, "'");
  const found: { at: number; end: number; cue: Cue }[] = [];
  for (const { cue, re } of CUE_PATTERNS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) found.push({ at: m.index, end: m.index + m[0].length, cue });
  }
  // Longest first, then earliest; keep only hits that do not overlap a kept one.
  found.sort((a, b) => b.end - b.at - (a.end - a.at) || a.at - b.at);
  const kept: typeof found = [];
  for (const f of found) if (!kept.some((k) => f.at < k.end && k.at < f.end)) kept.push(f);
  kept.sort((a, b) => a.at - b.at);

  const hits: CueHit[] = [];
  for (const { at, cue } of kept) {
    // Negation reaches back within the same clause only ("No SQL. Strong fit otherwise" is not negated).
    const clause = text.slice(Math.max(0, at - 40), at).split(/[.;:!?,]/).at(-1)!;
    const negated = NEGATION.test(clause);
    const stance = negated ? negate(cue.stance) : cue.stance;
    if (stance !== null) hits.push({ phrase: cue.phrase, tier: cue.tier, stance, negated });
  }

  const verdictHits = hits.filter((h) => h.tier === 'verdict');
  if (verdictHits.length > 0) {
    const score: Record<FitLabel, number> = { low: 0, medium: 0, high: 0 };
    for (const h of verdictHits) score[h.stance] += WEIGHT.verdict;
    const best = Math.max(...FIT_LABELS.map((l) => score[l]));
    const leaders = FIT_LABELS.filter((l) => score[l] === best);
    return { stance: leaders.length === 1 ? leaders[0]! : 'medium', hits };
  }
  const pos = hits.filter((h) => h.stance === 'high').length * WEIGHT.evidence;
  const neg = hits.filter((h) => h.stance === 'low').length * WEIGHT.evidence;
  const mid = hits.filter((h) => h.stance === 'medium').length;
  if (pos + neg === 0) return { stance: mid > 0 ? 'medium' : null, hits };
  const balance = (pos - neg) / (pos + neg);
  return { stance: balance > 1 / 3 ? 'high' : balance < -1 / 3 ? 'low' : 'medium', hits };
}

export interface ConsistencyReport {
  examples: number;
  /** Explanations whose stance equals their label. */
  consistent: number;
  /** consistent / examples (0 for no examples). */
  rate: number;
  /** Explanations with no stance cue at all (counted as inconsistent). */
  undetermined: number;
  perExample: { label: FitLabel; stance: FitLabel | null; consistent: boolean }[];
}

export function consistencyReport(items: readonly { label: FitLabel; explanation: string }[]): ConsistencyReport {
  const perExample = items.map(({ label, explanation }) => {
    const { stance } = readStance(explanation);
    return { label, stance, consistent: stance === label };
  });
  const consistent = perExample.filter((e) => e.consistent).length;
  return {
    examples: items.length,
    consistent,
    rate: items.length > 0 ? consistent / items.length : 0,
    undetermined: perExample.filter((e) => e.stance === null).length,
    perExample,
  };
}
