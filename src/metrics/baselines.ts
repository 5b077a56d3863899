// Trivial baselines every evaluation is shown beside, so "the student learned" is a visible fact:
// a student that does not beat them has learned nothing a rule of thumb could not do.
//
//   classifier  majority      the most frequent label of the training answers, for every pair
//               skill overlap the share of the posting's skills the profile lists (the domain
//                             lexicon's canonical skills), cut into low / medium / high by two
//                             thresholds fitted on the training answers (best macro-F1)
//   explainer   template      the training explanation most typical of all of them (the medoid
//                             under ROUGE-L: the most frequent shape, with similarity in place of
//                             exact equality, which no two explanations share), its job title and
//                             skill names made slots and filled with the pair's title and skills
//               copy          the posting's requirement sections, as they are
//
// Every baseline is fitted on training data only and sees at test time only what a student sees
// (the job and the profile). Pure functions; the orchestrator scores them with the same metrics as
// the students (src/experiment/run/evaluate.ts).
import { FIT_LABELS, type Example, type FitLabel } from '../data/schema.ts';
import { SKILLS, findSkills } from '../data/lexicon.ts';
import { compressDescription } from '../data/compress.ts';
import { jobText, profileText } from '../data/format.ts';
import { classificationReport } from './classification.ts';
import { rouge } from './rouge.ts';

// ── classifier ─────────────────────────────────────────────────────────────────────────────────

/** The most frequent label (ties: FIT_LABELS order, low first). */
export function majorityLabel(labels: readonly FitLabel[]): FitLabel {
  if (labels.length === 0) throw new RangeError('the majority label of no labels is undefined');
  const counts = FIT_LABELS.map((l) => labels.filter((x) => x === l).length);
  return FIT_LABELS[counts.indexOf(Math.max(...counts))]!;
}

/** Canonical skills the posting names (its requirement sections, as models see them) and the profile lists. */
export function pairSkills(example: Pick<Example, 'job' | 'profile'>): { job: string[]; profile: string[] } {
  return { job: findSkills(jobText(example.job, { compress: true })), profile: findSkills(profileText(example.profile)) };
}

/** |posting skills ∩ profile skills| / |posting skills|; 0 when the posting names no skill. */
export function skillOverlap(example: Pick<Example, 'job' | 'profile'>): number {
  const { job, profile } = pairSkills(example);
  if (job.length === 0) return 0;
  const has = new Set(profile);
  return job.filter((s) => has.has(s)).length / job.length;
}

/** low below `medium`, high from `high` up, medium between. */
export interface OverlapThresholds {
  medium: number;
  high: number;
}

export function overlapLabel(score: number, t: OverlapThresholds): FitLabel {
  return score >= t.high ? 'high' : score >= t.medium ? 'medium' : 'low';
}

/**
 * The two thresholds with the best macro-F1 on (score, label) training pairs. Candidates are the
 * observed scores (and +∞, "never"); the first best pair in ascending order wins, so the fit is
 * deterministic.
 */
export function fitOverlapThresholds(scores: readonly number[], labels: readonly FitLabel[]): OverlapThresholds {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  if (scores.length === 0) throw new RangeError('no training pairs to fit thresholds on');
  const candidates = [...new Set(scores), Number.POSITIVE_INFINITY].sort((a, b) => a - b);
  const truth = labels.map((l) => FIT_LABELS.indexOf(l));
  let best: OverlapThresholds = { medium: candidates[0]!, high: Number.POSITIVE_INFINITY };
  let bestF1 = -1;
  for (const medium of candidates) {
    for (const high of candidates) {
      if (high < medium) continue;
      const predicted = scores.map((s) => FIT_LABELS.indexOf(overlapLabel(s, { medium, high })));
      const f1 = classificationReport(truth, predicted, FIT_LABELS).macroF1;
      if (f1 > bestF1 + 1e-12) {
        bestF1 = f1;
        best = { medium, high };
      }
    }
  }
  return best;
}

// ── explainer ──────────────────────────────────────────────────────────────────────────────────

/** A template: literal text, the job title, and the i-th skill slot. */
export type TemplatePart = string | { slot: 'title' } | { slot: 'skill'; index: number };

const VARIANTS = new Map(SKILLS.map((s) => [s.name, [s.name, ...(s.variants ?? []), ...(s.exact ?? [])]]));
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// The lexicon's word boundary: letters, digits, '+' and '#' are word characters ("C++", "C#").
const BEFORE = '(?<![\\p{L}\\p{N}_+#])';
const AFTER = '(?![\\p{L}\\p{N}_+#])';

/** `explanation` with the pair's job title and every skill it names turned into slots. */
export function toTemplate(explanation: string, title: string): TemplatePart[] {
  const skills = findSkills(explanation);
  const phrases: { text: string; part: TemplatePart }[] = [];
  if (title.trim()) phrases.push({ text: title.trim(), part: { slot: 'title' } });
  skills.forEach((name, index) => {
    for (const v of VARIANTS.get(name) ?? [name]) phrases.push({ text: v, part: { slot: 'skill', index } });
  });
  if (phrases.length === 0) return [explanation];
  phrases.sort((a, b) => b.text.length - a.text.length);
  const re = new RegExp(`${BEFORE}(?:${phrases.map((p) => escapeRegex(p.text)).join('|')})${AFTER}`, 'giu');
  const byLower = new Map<string, TemplatePart>();
  for (const p of phrases) if (!byLower.has(p.text.toLowerCase())) byLower.set(p.text.toLowerCase(), p.part);
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const m of explanation.matchAll(re)) {
    if (m.index > at) parts.push(explanation.slice(at, m.index));
    parts.push(byLower.get(m[0].toLowerCase()) ?? m[0]);
    at = m.index + m[0].length;
  }
  if (at < explanation.length) parts.push(explanation.slice(at));
  return parts;
}

/** The template written out for a pair: its title, and its posting's skills in order (cycled when the template has more slots). */
export function fillTemplate(template: readonly TemplatePart[], title: string, skills: readonly string[], original: readonly string[] = []): string {
  return template
    .map((p) => {
      if (typeof p === 'string') return p;
      if (p.slot === 'title') return title;
      if (skills.length === 0) return original[p.index] ?? '';
      return skills[p.index % skills.length]!;
    })
    .join('');
}

/** Index of the text with the highest mean ROUGE-L F against all the others (the first on ties). */
export function medoidIndex(texts: readonly string[], opts: { stem?: boolean } = {}): number {
  if (texts.length === 0) throw new RangeError('the medoid of no texts is undefined');
  let best = 0;
  let bestScore = -1;
  texts.forEach((t, i) => {
    let sum = 0;
    texts.forEach((u, j) => {
      if (i !== j) sum += rouge(u, t, opts).rougeL.fmeasure;
    });
    if (sum > bestScore + 1e-12) {
      bestScore = sum;
      best = i;
    }
  });
  return best;
}

export interface TemplateBaseline {
  /** The training example the template came from. */
  sourceId: string;
  template: TemplatePart[];
  /** Writes the template for a pair. */
  explain(example: Pick<Example, 'job' | 'profile'>): string;
}

/** At most this many training explanations are compared for the medoid (O(n²) ROUGE-L). */
export const MEDOID_POOL = 200;

export function templateBaseline(train: readonly { example: Example; explanation: string }[], opts: { stem?: boolean } = {}): TemplateBaseline {
  const pool = train.slice(0, MEDOID_POOL);
  if (pool.length === 0) throw new RangeError('no training explanations to build a template from');
  const source = pool[medoidIndex(pool.map((t) => t.explanation), opts)]!;
  const template = toTemplate(source.explanation, source.example.job.title);
  const original = findSkills(source.explanation);
  return {
    sourceId: source.example.id,
    template,
    explain: (example) => fillTemplate(template, example.job.title, pairSkills(example).job, original),
  };
}

/** The copy baseline: the posting's requirement sections (what compression keeps), verbatim. */
export function copyExplanation(example: Pick<Example, 'job'>): string {
  return compressDescription(example.job.description).text;
}
