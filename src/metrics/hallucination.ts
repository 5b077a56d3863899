// Hallucinated skills: skills an explanation names that appear in neither the job posting nor the
// member profile. Skills are recognised by the domain lexicon (src/data/lexicon.ts findSkills:
// canonical names, synonyms, word boundaries), so "JS" in an explanation matches "JavaScript" in
// a profile. Skills outside the lexicon are invisible to this metric: it measures a lower bound.

import { findSkills } from '../data/lexicon.ts';

export interface SkillCheck {
  /** Canonical skills the explanation names. */
  mentioned: string[];
  /** The subset found in neither the job nor the profile. */
  hallucinated: string[];
}

export function checkSkills(explanation: string, jobText: string, profileText: string): SkillCheck {
  const mentioned = findSkills(explanation);
  const grounded = new Set([...findSkills(jobText), ...findSkills(profileText)]);
  return { mentioned, hallucinated: mentioned.filter((s) => !grounded.has(s)) };
}

export interface HallucinationReport {
  examples: number;
  /** Skill mentions across all explanations (each skill once per explanation). */
  mentions: number;
  hallucinatedMentions: number;
  /** hallucinatedMentions / mentions (0 when nothing was mentioned). */
  mentionRate: number;
  /** Fraction of explanations naming at least one hallucinated skill (0 for no examples). */
  exampleRate: number;
  perExample: SkillCheck[];
}

export function hallucinationReport(items: readonly { explanation: string; jobText: string; profileText: string }[]): HallucinationReport {
  const perExample = items.map((it) => checkSkills(it.explanation, it.jobText, it.profileText));
  const mentions = perExample.reduce((a, c) => a + c.mentioned.length, 0);
  const hallucinatedMentions = perExample.reduce((a, c) => a + c.hallucinated.length, 0);
  const withAny = perExample.filter((c) => c.hallucinated.length > 0).length;
  return {
    examples: items.length,
    mentions,
    hallucinatedMentions,
    mentionRate: mentions > 0 ? hallucinatedMentions / mentions : 0,
    exampleRate: items.length > 0 ? withAny / items.length : 0,
    perExample,
  };
}
