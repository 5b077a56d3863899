// The LLM teacher: the five-step chain over an OpenAI-compatible upstream. Each step's validated
// answer is cached under (provider, model, template@version, parameters, step input); steps that
// read only the job (requirements) or only the profile (qualifications) are shared by every pair
// with that job or profile, so a batch pays for each posting once.
import type { FitLabel, LabelProbs, Pair, TeacherRef, TokenLogprob } from '../../src/data/schema.ts';
import { FIT_LABELS } from '../../src/data/schema.ts';
import type { AnswerCache } from './cache.ts';
import { cacheKey } from './cache.ts';
import { normalisePair } from './normalise.ts';
import { EvaluationsAnswer, QualificationsAnswer, RequirementsAnswer, type ChainSteps, type Evaluation, type TeacherResult } from './steps.ts';
import { evaluateStep, explainStep, qualificationsStep, rateStep, requirementsStep, TEMPLATE_VERSION, type StepTemplate } from './templates.ts';
import type { ChatAnswer, JobBudget, UpstreamClient, UpstreamConfig } from './upstream.ts';
import { containsSecret, redactSecret, scrubStrings } from './secrets.ts';
import type { z } from 'zod';

/** A step's JSON answer: tolerant of code fences and prose around the object, strict about its shape. */
export function parseJsonAnswer<S extends z.ZodType>(content: string, schema: S): z.infer<S> {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  if (start < 0 || end <= start) throw new Error('no JSON object in the answer');
  let json: unknown;
  try {
    json = JSON.parse(content.slice(start, end + 1));
  } catch (e) {
    throw new Error(`the answer's JSON does not parse (${(e as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * The label a rating answer names: exactly one word, high, medium or low, with nothing around it
 * but punctuation and spaces ("High." yes; "High? No. Low." is ambiguous and refused).
 */
export function parseLabel(content: string): FitLabel {
  const word = /^[\s\p{P}]*([a-z]+)[\s\p{P}]*$/iu.exec(content)?.[1]?.toLowerCase();
  const label = FIT_LABELS.find((l) => l === word);
  if (!label) throw new Error(`the rating is "${content.trim().slice(0, 40)}", not exactly one of high, medium or low`);
  return label;
}

/**
 * Label probabilities from the top_logprobs of the rating's first word token, normalised over the
 * three labels. Variants of a label (" High", "high", "med") add up. A label absent from the top-k
 * gets the smaller of the least shown probability and an even share of the unshown mass (it can be
 * no likelier than anything shown). Null when no alternative names a label.
 */
export function labelProbsFromLogprobs(tokens: TokenLogprob[] | null): LabelProbs | null {
  const first = tokens?.find((t) => /[a-z]/i.test(t.token));
  if (!first || first.top.length === 0) return null;
  const mass: Record<FitLabel, number> = { low: 0, medium: 0, high: 0 };
  let shown = 0;
  let least = Infinity;
  for (const alt of first.top) {
    const p = Math.exp(alt.logprob);
    shown += p;
    least = Math.min(least, p);
    const text = alt.token.trim().toLowerCase().replace(/[^a-z]/g, '');
    if (!text) continue;
    const matches = FIT_LABELS.filter((l) => l.startsWith(text));
    if (matches.length === 1) mass[matches[0]!] += p;
  }
  const absent = FIT_LABELS.filter((l) => mass[l] === 0);
  if (absent.length === FIT_LABELS.length) return null;
  const floor = Math.min(least, Math.max(0, 1 - shown) / Math.max(1, absent.length));
  for (const l of absent) mass[l] = floor;
  const total = mass.low + mass.medium + mass.high;
  return { low: mass.low / total, medium: mass.medium / total, high: mass.high / total };
}

function checkEvaluations(requirementIds: string[], evaluations: Evaluation[]): Evaluation[] {
  const byId = new Map<string, Evaluation>();
  for (const e of evaluations) {
    if (!requirementIds.includes(e.requirementId)) throw new Error(`evaluation of unknown requirement "${e.requirementId}"`);
    byId.set(e.requirementId, e);
  }
  const missing = requirementIds.filter((id) => !byId.has(id));
  if (missing.length) throw new Error(`requirements not evaluated: ${missing.join(', ')}`);
  return requirementIds.map((id) => byId.get(id)!);
}

interface RateValue {
  label: FitLabel;
  answer: string;
  labelProbs: LabelProbs | null;
}

interface ExplainValue {
  text: string;
  tokens: TokenLogprob[] | null;
}

/** The configured upstream as /api/teacher/info shows it: no key, no credentials or query in the URL. */
export function describeOpenaiTeacher(config: UpstreamConfig) {
  const url = new URL(config.baseUrl);
  const where = `${url.origin}${url.pathname}`;
  return {
    provider: 'openai',
    model: config.model,
    templateVersion: TEMPLATE_VERSION,
    kind: 'llm' as const,
    description: `An OpenAI-compatible chat-completions endpoint at ${where} (model ${config.model}), asked through the decomposed prompt chain.`,
    baseUrl: where,
    apiKeyConfigured: Boolean(config.apiKey),
    logprobs: config.logprobs,
    concurrency: config.concurrency,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    network: true,
  };
}

export class LlmTeacher {
  readonly identity: TeacherRef;
  /** Cache namespace: the same model name on two servers is two teachers. */
  private readonly providerKey: string;

  constructor(private readonly client: UpstreamClient, private readonly cache: AnswerCache) {
    this.identity = { provider: 'openai', model: client.config.model, templateVersion: TEMPLATE_VERSION };
    this.providerKey = `openai:${client.endpoint}`;
  }

  describe() {
    return describeOpenaiTeacher(this.client.config);
  }

  async label(pair: Pair, ctx: { budget: JobBudget; signal?: AbortSignal }): Promise<TeacherResult> {
    const input = normalisePair(pair);
    const usage = { promptTokens: 0, completionTokens: 0, upstreamCalls: 0, cachedSteps: 0 };

    const step = async <I, T>(template: StepTemplate<I>, stepInput: I, validate: (answer: ChatAnswer) => T): Promise<T> => {
      const params = { ...template.params, logprobs: this.client.config.logprobs && template.params.topLogprobs > 0 };
      const templateId = `${template.name}@${template.version}`;
      const key = cacheKey({ provider: this.providerKey, model: this.client.config.model, template: templateId, params, input: stepInput });
      const apiKey = this.client.config.apiKey;
      const { value, cached } = await this.cache.getOrCompute(key, templateId, async () => {
        const { value, answer } = await this.client.chat(template.messages(stepInput), template.params, ctx, validate);
        usage.promptTokens += answer.promptTokens;
        usage.completionTokens += answer.completionTokens;
        usage.upstreamCalls++;
        // An answer that echoes the key (or part of it) is stored and returned without it.
        return scrubStrings(value, (text) => redactSecret(text, apiKey));
      });
      if (cached) usage.cachedSteps++;
      return value;
    };

    const { requirements } = await step(requirementsStep, { job: input.job }, (a) => parseJsonAnswer(a.content, RequirementsAnswer));
    const ids = requirements.map((r) => r.id);
    const { qualifications } = await step(qualificationsStep, { profile: input.profile }, (a) => parseJsonAnswer(a.content, QualificationsAnswer));
    const evaluations = await step(evaluateStep, { requirements, qualifications }, (a) => checkEvaluations(ids, parseJsonAnswer(a.content, EvaluationsAnswer).evaluations));
    const title = input.job.title;
    const rating = await step<Parameters<typeof rateStep.messages>[0], RateValue>(rateStep, { title, requirements, evaluations }, (a) => ({
      label: parseLabel(a.content),
      answer: a.content.trim(),
      labelProbs: labelProbsFromLogprobs(a.tokens),
    }));
    const explanation = await step<Parameters<typeof explainStep.messages>[0], ExplainValue>(explainStep, { title, requirements, evaluations, label: rating.label }, (a) => {
      const text = a.content.trim();
      if (!text) throw new Error('the explanation is empty');
      // Tokens cannot be redacted one by one (the key may straddle them): such an answer keeps its text only.
      const key = this.client.config.apiKey;
      const leaks = containsSecret(a.content, key) || (a.tokens !== null && containsSecret(a.tokens.map((t) => t.token).join(''), key));
      return { text, tokens: leaks ? null : a.tokens };
    });

    const steps: ChainSteps = { requirements, qualifications, evaluations, rating: { label: rating.label, answer: rating.answer } };
    return {
      exampleId: pair.id,
      teacher: this.identity,
      label: rating.label,
      labelProbs: rating.labelProbs,
      labelProbsSource: rating.labelProbs ? 'logprobs' : 'none',
      explanation: explanation.text,
      ...(explanation.tokens ? { explanationTopLogprobs: explanation.tokens } : {}),
      steps,
      usage,
      cached: usage.upstreamCalls === 0,
      createdAt: new Date().toISOString(),
    };
  }
}
