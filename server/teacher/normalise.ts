// Inputs are normalised once, before prompting and before hashing, so that a pair that differs only
// in spacing or Unicode form hits the same cache entry and gets the same prompt.
import type { Pair } from '../../src/data/schema.ts';

/** NFC, no trailing spaces, runs of spaces/tabs collapsed, at most one blank line in a row. */
export function normaliseText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The parts of a pair the teacher reads (id and generator metadata never reach a prompt). */
export type TeacherInput = Pick<Pair, 'job' | 'profile'>;

export function normalisePair(pair: Pair): TeacherInput {
  const t = normaliseText;
  const { job, profile } = pair;
  return {
    job: { title: t(job.title), company: t(job.company), location: t(job.location), remotePolicy: job.remotePolicy, description: t(job.description) },
    profile: {
      headline: t(profile.headline),
      summary: t(profile.summary),
      location: t(profile.location),
      skills: profile.skills.map(t),
      experience: profile.experience.map((e) => ({ title: t(e.title), company: t(e.company), years: e.years, description: t(e.description) })),
      education: profile.education.map((e) => ({ degree: t(e.degree), field: t(e.field), school: t(e.school) })),
      certifications: profile.certifications.map(t),
    },
  };
}
