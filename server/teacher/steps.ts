// The intermediate outputs of the decomposed chain, one shape for every teacher (LLM or rules).
// Upstream answers are validated against these before anything is cached or returned.
import { z } from 'zod';
import { FitLabel, LabelProbs, TeacherLabel } from '../../src/data/schema.ts';

export const CATEGORIES = ['skill', 'experience', 'education', 'certification', 'location', 'other'] as const;
export const Category = z.enum(CATEGORIES);

export const Requirement = z.object({
  id: z.string().trim().min(1),
  text: z.string().trim().min(1),
  kind: z.enum(['must', 'nice']),
  category: Category,
});
export type Requirement = z.infer<typeof Requirement>;

export const Qualification = z.object({
  text: z.string().trim().min(1),
  category: Category,
});
export type Qualification = z.infer<typeof Qualification>;

export const EVALUATION_STATUSES = ['met', 'partial', 'missing'] as const;
export const Evaluation = z.object({
  requirementId: z.string().trim().min(1),
  status: z.enum(EVALUATION_STATUSES),
  evidence: z.string().trim(),
});
export type Evaluation = z.infer<typeof Evaluation>;

export const RequirementsAnswer = z.object({
  requirements: z
    .array(Requirement)
    .min(1)
    .max(40)
    .refine((rs) => new Set(rs.map((r) => r.id)).size === rs.length, 'requirement ids must be unique'),
});
export const QualificationsAnswer = z.object({ qualifications: z.array(Qualification).max(60) });
export const EvaluationsAnswer = z.object({ evaluations: z.array(Evaluation).max(40) });

export const ChainSteps = z.object({
  requirements: z.array(Requirement),
  qualifications: z.array(Qualification),
  evaluations: z.array(Evaluation),
  rating: z.object({ label: FitLabel, answer: z.string() }),
});
export type ChainSteps = z.infer<typeof ChainSteps>;

/** Where the label probabilities came from. */
export const LABEL_PROBS_SOURCES = ['logprobs', 'rule-based', 'none'] as const;
export type LabelProbsSource = (typeof LABEL_PROBS_SOURCES)[number];

export const Usage = z.object({
  promptTokens: z.number(),
  completionTokens: z.number(),
  /** Calls that reached the upstream for this pair (0 when every step came from the cache). */
  upstreamCalls: z.number(),
  cachedSteps: z.number(),
});
export type Usage = z.infer<typeof Usage>;

/** What the proxy returns per pair: a TeacherLabel (src/data/schema.ts) plus how it was made. */
export const TeacherResult = TeacherLabel.extend({
  steps: ChainSteps,
  labelProbsSource: z.enum(LABEL_PROBS_SOURCES),
  usage: Usage,
  /** True when no upstream call was needed: every step came from the cache. */
  cached: z.boolean(),
});
export type TeacherResult = z.infer<typeof TeacherResult>;

export { LabelProbs };
