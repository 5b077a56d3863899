// How an example is written as model input text: one rendering used to build the student
// vocabulary, to train students and to prompt teachers, so they all see the same text.
import type { Example, JobPosting, MemberProfile } from './schema.ts';
import { compressDescription } from './compress.ts';

export interface FormatOptions {
  /** Keep only the posting's requirement sections (see compress.ts). */
  compress?: boolean;
}

export function jobText(job: JobPosting, opts: FormatOptions = {}): string {
  const description = opts.compress ? compressDescription(job.description).text : job.description;
  const where = [job.location, job.remotePolicy].filter(Boolean).join(', ');
  return [`Job: ${job.title}${job.company ? ` at ${job.company}` : ''}`, `Location: ${where}`, description].join('\n');
}

export function profileText(profile: MemberProfile): string {
  const lines = [`Candidate: ${profile.headline}`];
  if (profile.location) lines.push(`Location: ${profile.location}`);
  if (profile.summary) lines.push(`Summary: ${profile.summary}`);
  if (profile.skills.length) lines.push(`Skills: ${profile.skills.join(', ')}`);
  if (profile.experience.length) {
    lines.push('Experience:');
    for (const e of profile.experience) {
      lines.push(`- ${e.title}${e.company ? ` at ${e.company}` : ''} (${e.years} ${e.years === 1 ? 'year' : 'years'})${e.description ? `: ${e.description}` : ''}`);
    }
  }
  if (profile.education.length) {
    lines.push('Education:');
    for (const e of profile.education) lines.push(`- ${[e.degree + (e.field ? ` in ${e.field}` : ''), e.school].filter(Boolean).join(', ')}`);
  }
  if (profile.certifications.length) lines.push(`Certifications: ${profile.certifications.join(', ')}`);
  return lines.join('\n');
}

/** The whole input: job, a blank line, then the candidate. */
export function exampleText(example: Pick<Example, 'job' | 'profile'>, opts: FormatOptions = {}): string {
  return `${jobText(example.job, opts)}\n\n${profileText(example.profile)}`;
}
