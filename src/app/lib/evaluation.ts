// The evaluate view's per-answer details (pure): for each answer results.json keeps, its ROUGE-L
// against the reference, whether its stance matches its label, and the skills it names that
// neither the job nor the profile holds — computed by src/metrics exactly as the orchestrator's
// evaluation does, so a detail agrees with the totals. Plus sorting for the failure browser and
// the marking of skill mentions in a text.
import type { Example, FitLabel } from '../../data/schema.ts';
import { jobText, profileText } from '../../data/format.ts';
import { canonicalSkill } from '../../data/lexicon.ts';
import { rouge } from '../../metrics/rouge.ts';
import { readStance } from '../../metrics/consistency.ts';
import { checkSkills } from '../../metrics/hallucination.ts';
import type { AnswerSample } from './results.ts';

export interface AnswerDetail extends AnswerSample {
  jobText: string | null;
  profileText: string | null;
  rougeL: number;
  stance: FitLabel | null;
  consistent: boolean;
  /** Skills the explanation names (canonical), and those found in neither the job nor the profile. */
  mentioned: string[];
  hallucinated: string[];
}

export function answerDetails(samples: readonly AnswerSample[], examples: ReadonlyMap<string, Example>, rougeStem: boolean): AnswerDetail[] {
  return samples.map((s) => {
    const example = examples.get(s.exampleId);
    const job = example ? jobText(example.job) : null;
    const profile = example ? profileText(example.profile) : null;
    const skills = job !== null && profile !== null ? checkSkills(s.explanation, job, profile) : { mentioned: [], hallucinated: [] };
    const { stance } = readStance(s.explanation);
    return { ...s, jobText: job, profileText: profile, rougeL: rouge(s.reference, s.explanation, { stem: rougeStem }).rougeL.fmeasure, stance, consistent: stance === s.label, ...skills };
  });
}

export type FailureOrder = 'worst-rouge' | 'inconsistent' | 'hallucinated';

/** The failure browser's order: lowest ROUGE-L first; or inconsistent / hallucinating answers first (then by ROUGE-L). */
export function sortFailures(details: readonly AnswerDetail[], order: FailureOrder): AnswerDetail[] {
  const key = (d: AnswerDetail) => (order === 'inconsistent' ? (d.consistent ? 1 : 0) : order === 'hallucinated' ? -d.hallucinated.length : 0);
  return [...details].sort((a, b) => key(a) - key(b) || a.rougeL - b.rougeL);
}

export interface Segment {
  text: string;
  /** The canonical skill this piece names, when it is one of the marked skills. */
  skill: string | null;
}

/**
 * `text` cut into pieces, the mentions of `skills` (canonical names, as checkSkills gives them)
 * marked: runs of one to three words the lexicon reads as one of those skills.
 */
export function markSkills(text: string, skills: readonly string[]): Segment[] {
  if (skills.length === 0) return [{ text, skill: null }];
  const wanted = new Set(skills);
  const words = [...text.matchAll(/[A-Za-z0-9+#][A-Za-z0-9+#.\-/]*/g)].map((m) => ({ start: m.index, end: m.index + m[0].replace(/[.\-/]+$/, '').length }));
  const out: Segment[] = [];
  let at = 0;
  for (let i = 0; i < words.length; i++) {
    for (let n = 3; n >= 1; n--) {
      if (i + n > words.length) continue;
      const span = text.slice(words[i]!.start, words[i + n - 1]!.end);
      const skill = canonicalSkill(span);
      if (skill && wanted.has(skill)) {
        if (words[i]!.start > at) out.push({ text: text.slice(at, words[i]!.start), skill: null });
        out.push({ text: span, skill });
        at = words[i + n - 1]!.end;
        i += n - 1;
        break;
      }
    }
  }
  if (at < text.length) out.push({ text: text.slice(at), skill: null });
  return out;
}
