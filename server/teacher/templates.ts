// The decomposed prompt chain, every step a versioned template (one place for all of them).
// Bump a step's version whenever its wording or parameters change: the version is part of every
// cache key, so old answers are never served for a new prompt.
import type { JobPosting, MemberProfile, FitLabel } from '../../src/data/schema.ts';
import type { Evaluation, Qualification, Requirement } from './steps.ts';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface StepParams {
  temperature: number;
  max_tokens: number;
  /** Ask the upstream for per-token logprobs with this many alternatives (0 = do not ask). */
  topLogprobs: number;
}

export interface StepTemplate<I> {
  name: 'requirements' | 'qualifications' | 'evaluate' | 'rate' | 'explain';
  version: number;
  params: StepParams;
  messages(input: I): ChatMessage[];
}

const JSON_ONLY = 'Reply with one JSON object and nothing else: no prose, no code fences.';

function jobText(job: JobPosting): string {
  return [`Title: ${job.title}`, `Company: ${job.company}`, `Location: ${job.location}`, `Remote policy: ${job.remotePolicy}`, '', job.description].join('\n');
}

function profileText(p: MemberProfile): string {
  const lines = [`Headline: ${p.headline}`, `Location: ${p.location}`];
  if (p.summary) lines.push(`Summary: ${p.summary}`);
  if (p.skills.length) lines.push(`Skills: ${p.skills.join(', ')}`);
  for (const e of p.experience) lines.push(`Experience: ${e.title} at ${e.company}, ${e.years} years. ${e.description}`.trim());
  for (const e of p.education) lines.push(`Education: ${[e.degree, e.field].filter(Boolean).join(' in ')}${e.school ? `, ${e.school}` : ''}`);
  for (const c of p.certifications) lines.push(`Certification: ${c}`);
  return lines.join('\n');
}

function requirementLines(reqs: Requirement[]): string {
  return reqs.map((r) => `- [${r.id}] (${r.kind === 'must' ? 'must-have' : 'nice-to-have'}, ${r.category}) ${r.text}`).join('\n');
}

function evaluationLines(reqs: Requirement[], evals: Evaluation[]): string {
  const byId = new Map(reqs.map((r) => [r.id, r]));
  return evals
    .map((e) => {
      const r = byId.get(e.requirementId);
      return `- [${e.requirementId}] ${r ? `(${r.kind === 'must' ? 'must-have' : 'nice-to-have'}) ${r.text}` : ''}: ${e.status}${e.evidence ? ` (${e.evidence})` : ''}`;
    })
    .join('\n');
}

export const requirementsStep: StepTemplate<{ job: JobPosting }> = {
  name: 'requirements',
  version: 1,
  params: { temperature: 0, max_tokens: 700, topLogprobs: 0 },
  messages: ({ job }) => [
    { role: 'system', content: `You extract hiring requirements from job postings. ${JSON_ONLY}` },
    {
      role: 'user',
      content:
        `List the requirements of this job posting. For each give an id (r1, r2, …), the requirement in a few words as written in the posting, ` +
        `kind "must" (required) or "nice" (preferred, a plus), and a category: skill, experience, education, certification, location or other. ` +
        `Include years of experience, degrees, certifications and the location / remote policy when the posting states them. ` +
        `Answer as {"requirements":[{"id":"r1","text":"…","kind":"must","category":"skill"}]}.\n\n${jobText(job)}`,
    },
  ],
};

export const qualificationsStep: StepTemplate<{ profile: MemberProfile }> = {
  name: 'qualifications',
  version: 1,
  params: { temperature: 0, max_tokens: 700, topLogprobs: 0 },
  messages: ({ profile }) => [
    { role: 'system', content: `You extract a candidate's qualifications from a member profile. ${JSON_ONLY}` },
    {
      role: 'user',
      content:
        `List the qualifications this profile shows: skills, years of experience (with the roles), degrees, certifications and location. ` +
        `Use only what the profile says. Each has a short text and a category: skill, experience, education, certification, location or other. ` +
        `Answer as {"qualifications":[{"text":"…","category":"skill"}]}.\n\n${profileText(profile)}`,
    },
  ],
};

export const evaluateStep: StepTemplate<{ requirements: Requirement[]; qualifications: Qualification[] }> = {
  name: 'evaluate',
  version: 1,
  params: { temperature: 0, max_tokens: 900, topLogprobs: 0 },
  messages: ({ requirements, qualifications }) => [
    { role: 'system', content: `You compare a job's requirements with a candidate's qualifications. ${JSON_ONLY}` },
    {
      role: 'user',
      content:
        `For every requirement below decide whether the candidate's qualifications meet it: "met", "partial" or "missing", ` +
        `with a short evidence quoting the qualification (empty when missing). Evaluate every requirement id exactly once. ` +
        `Answer as {"evaluations":[{"requirementId":"r1","status":"met","evidence":"…"}]}.\n\n` +
        `Requirements:\n${requirementLines(requirements)}\n\nQualifications:\n${qualifications.map((q) => `- (${q.category}) ${q.text}`).join('\n')}`,
    },
  ],
};

export const rateStep: StepTemplate<{ title: string; requirements: Requirement[]; evaluations: Evaluation[] }> = {
  name: 'rate',
  version: 1,
  // The first generated token is the label: its top_logprobs give the label probabilities.
  params: { temperature: 0, max_tokens: 3, topLogprobs: 10 },
  messages: ({ title, requirements, evaluations }) => [
    { role: 'system', content: 'You rate how well a candidate fits a job. Answer with exactly one word: high, medium or low.' },
    {
      role: 'user',
      content:
        `Job: ${title}\nEvaluation of each requirement:\n${evaluationLines(requirements, evaluations)}\n\n` +
        `high = meets all or nearly all must-haves; medium = meets most must-haves with some gaps; low = misses several must-haves or the core of the role.\n` +
        `Fit (one word: high, medium or low):`,
    },
  ],
};

export const explainStep: StepTemplate<{ title: string; requirements: Requirement[]; evaluations: Evaluation[]; label: FitLabel }> = {
  name: 'explain',
  version: 1,
  params: { temperature: 0, max_tokens: 220, topLogprobs: 5 },
  messages: ({ title, requirements, evaluations, label }) => [
    { role: 'system', content: 'You explain job-fit ratings to recruiters in plain, specific prose.' },
    {
      role: 'user',
      content:
        `The candidate's fit for "${title}" was rated ${label}. In two to four sentences explain why, naming the requirements that are met and ` +
        `those that are missing. Cite only requirements and qualifications listed below; never invent skills.\n\n` +
        `Evaluation of each requirement:\n${evaluationLines(requirements, evaluations)}`,
    },
  ],
};

export const CHAIN = [requirementsStep, qualificationsStep, evaluateStep, rateStep, explainStep] as const;

/** The chain's identity, e.g. "chain-1.1.1.1.1": it changes whenever any step's version does. */
export const TEMPLATE_VERSION = `chain-${CHAIN.map((s) => s.version).join('.')}`;
