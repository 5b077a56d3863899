// The evaluate view's per-answer details (pure): each test answer as results.json keeps it, with
// its scores as the orchestrator computed them (ROUGE-L, stance, skills named and hallucinated),
// joined with its job and profile texts from the run's dataset. Plus sorting for the failure
// browser and the marking of skill mentions in a text.
import type { Example } from '../../data/schema.ts';
import { jobText, profileText } from '../../data/format.ts';
import { canonicalSkill } from '../../data/lexicon.ts';
import type { TestAnswer } from './results.ts';

export interface AnswerDetail extends TestAnswer {
  jobText: string | null;
  profileText: string | null;
  consistent: boolean;
}

export function answerDetails(answers: readonly TestAnswer[], examples: ReadonlyMap<string, Example>): AnswerDetail[] {
  return answers.map((a) => {
    const example = examples.get(a.exampleId);
    return { ...a, jobText: example ? jobText(example.job) : null, profileText: example ? profileText(example.profile) : null, consistent: a.stance === a.label };
  });
}

export type FailureOrder = 'worst-rouge' | 'inconsistent' | 'hallucinated';

/** The failure browser's order: lowest ROUGE-L first; or inconsistent / hallucinating answers first (then by ROUGE-L). */
export function sortFailures(details: readonly AnswerDetail[], order: FailureOrder): AnswerDetail[] {
  const key = (d: AnswerDetail) => (order === 'inconsistent' ? (d.consistent ? 1 : 0) : order === 'hallucinated' ? -d.hallucinated.length : 0);
  return [...details].sort((a, b) => key(a) - key(b) || (a.rougeL ?? 0) - (b.rougeL ?? 0));
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
