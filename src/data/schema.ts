// The data contract: what an example, a teacher label, a review and a dataset look like.
// Every importer, the store, the teacher proxy and the trainer validate against these schemas.
import { z } from 'zod';

/**
 * Fit levels in classifier order: a classifier's class index is the position in this array
 * (0 = low, 1 = medium, 2 = high), so "higher index = better fit".
 */
export const FIT_LABELS = ['low', 'medium', 'high'] as const;
export const FitLabel = z.enum(FIT_LABELS);
export type FitLabel = z.infer<typeof FitLabel>;

export function fitLabelIndex(label: FitLabel): number {
  return FIT_LABELS.indexOf(label);
}

export const REMOTE_POLICIES = ['onsite', 'hybrid', 'remote'] as const;
export const RemotePolicy = z.enum(REMOTE_POLICIES);
export type RemotePolicy = z.infer<typeof RemotePolicy>;

const text = z.string().trim();
const nonEmpty = (what: string) => z.string().trim().min(1, `${what} is empty`);

export const JobPosting = z.object({
  title: nonEmpty('title'),
  company: text,
  location: text,
  remotePolicy: RemotePolicy,
  /** Free text with sections (responsibilities, requirements / must-have, nice-to-have, benefits…). */
  description: nonEmpty('description'),
});
export type JobPosting = z.infer<typeof JobPosting>;

export const Experience = z.object({
  title: nonEmpty('experience title'),
  company: text,
  years: z.number().min(0, 'years must be ≥ 0').max(70, 'years must be ≤ 70'),
  description: text.default(''),
});
export type Experience = z.infer<typeof Experience>;

export const Education = z.object({
  degree: text,
  field: text.default(''),
  school: text.default(''),
});
export type Education = z.infer<typeof Education>;

export const MemberProfile = z.object({
  headline: nonEmpty('headline'),
  summary: text.default(''),
  location: text.default(''),
  skills: z.array(nonEmpty('skill')).default([]),
  experience: z.array(Experience).default([]),
  education: z.array(Education).default([]),
  certifications: z.array(nonEmpty('certification')).default([]),
});
export type MemberProfile = z.infer<typeof MemberProfile>;

/** Generator-only facts kept beside an example (never a teacher label). */
export const ExampleMeta = z
  .object({
    occupation: z.string().optional(),
    /** The fit the demo generator aimed for; for tests and balance checks, not for training. */
    intendedFit: FitLabel.optional(),
    ambiguous: z.boolean().optional(),
    seed: z.number().optional(),
  })
  .catchall(z.unknown());
export type ExampleMeta = z.infer<typeof ExampleMeta>;

export const ExampleId = z.string().trim().min(1, 'id is empty').max(200, 'id is longer than 200 characters');

/** One (job, profile) pair. `Pair` and `Example` are the same thing. */
export const Example = z.object({
  id: ExampleId,
  job: JobPosting,
  profile: MemberProfile,
  meta: ExampleMeta.optional(),
});
export type Example = z.infer<typeof Example>;
export const Pair = Example;
export type Pair = Example;

export const TeacherRef = z.object({
  /** 'openai' (any OpenAI-compatible endpoint), 'offline' (rule-based) or an in-house stage. */
  provider: z.string().min(1),
  model: z.string().min(1),
  templateVersion: z.string().min(1),
});
export type TeacherRef = z.infer<typeof TeacherRef>;

export const TopLogprob = z.object({ token: z.string(), logprob: z.number() });
export const TokenLogprob = z.object({
  token: z.string(),
  logprob: z.number(),
  top: z.array(TopLogprob),
});
export type TokenLogprob = z.infer<typeof TokenLogprob>;

export const LabelProbs = z.object({ low: z.number().min(0).max(1), medium: z.number().min(0).max(1), high: z.number().min(0).max(1) });
export type LabelProbs = z.infer<typeof LabelProbs>;

/** Why a stored label is doubtful; the Review page shows it (the label is kept, not silently trusted). */
export const LABEL_FLAG_CODES = ['soft-label-disagrees'] as const;
export const LabelFlag = z.object({ code: z.enum(LABEL_FLAG_CODES), message: z.string() });
export type LabelFlag = z.infer<typeof LabelFlag>;

export const TeacherLabel = z.object({
  exampleId: ExampleId,
  teacher: TeacherRef,
  label: FitLabel,
  /** From the logprobs of the label token when the teacher gives them; null otherwise. */
  labelProbs: LabelProbs.nullable(),
  explanation: z.string(),
  /** Per generated token: its logprob and the teacher's top-k alternatives. */
  explanationTopLogprobs: z.array(TokenLogprob).optional(),
  /** Intermediate outputs of the decomposed prompt chain. */
  steps: z.unknown().optional(),
  /** Doubts the teacher proxy found (e.g. label probabilities that favour another label). */
  flags: z.array(LabelFlag).optional(),
  createdAt: z.string(),
});
export type TeacherLabel = z.infer<typeof TeacherLabel>;

export const REVIEW_DECISIONS = ['accepted', 'fixed', 'rejected'] as const;
export const ReviewDecision = z.enum(REVIEW_DECISIONS);
export type ReviewDecision = z.infer<typeof ReviewDecision>;

export const Review = z
  .object({
    exampleId: ExampleId,
    decision: ReviewDecision,
    fixedLabel: FitLabel.optional(),
    fixedExplanation: z.string().optional(),
    note: z.string().optional(),
    reviewedAt: z.string(),
  })
  .refine((r) => r.decision !== 'fixed' || r.fixedLabel !== undefined || r.fixedExplanation !== undefined, {
    message: 'a fixed review needs a fixedLabel or a fixedExplanation',
    path: ['decision'],
  });
export type Review = z.infer<typeof Review>;

export const SPLIT_NAMES = ['raw', 'seed', 'synthetic', 'eval'] as const;
export const SplitName = z.enum(SPLIT_NAMES);
export type SplitName = z.infer<typeof SplitName>;

export const Dataset = z.object({
  id: z.string().min(1),
  name: z.string().trim().min(1, 'name is empty'),
  createdAt: z.string(),
  splits: z.object({
    raw: z.array(ExampleId),
    seed: z.array(ExampleId),
    synthetic: z.array(ExampleId),
    eval: z.array(ExampleId),
  }),
  /** SHA-256 (hex) of the dataset's examples in canonical form; see contentHash in hash.ts. */
  contentHash: z.string(),
  /** The pruned student vocabulary saved with the dataset (see vocab.ts), when built. */
  vocab: z.unknown().optional(),
});
export type Dataset = z.infer<typeof Dataset>;

export function emptySplits(): Dataset['splits'] {
  return { raw: [], seed: [], synthetic: [], eval: [] };
}
