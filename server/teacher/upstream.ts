// A client for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp
// server, LM Studio): bounded concurrency, per-request timeout, retries with exponential backoff and
// jitter on 429 / 5xx / timeouts / connection errors / malformed answers, honouring Retry-After, and
// a per-job request and token budget. The API key never leaves this file except in the
// Authorization header: every message built from upstream text goes through `redact` (before it
// is cut short, so no piece of a key survives the cut). Answers are bounded twice: the response
// body in bytes (maxResponseBytes) and the answer in characters per token the step asked for.
import { z } from 'zod';
import type { TokenLogprob } from '../../src/data/schema.ts';
import { Stopped } from '../../src/experiment/run/stopped.ts';
import { checkBaseUrl, displayUrl, redactSecret, stripUrlCredentials } from './secrets.ts';
import type { ChatMessage, StepParams } from './templates.ts';

/** Longest characters-per-token an answer may average: real tokens are 3–5 characters, runs of spaces or symbols up to ~16. */
export const MAX_CHARS_PER_TOKEN = 16;
/** Default bound on one response body: a 220-token explanation with top-5 logprobs is about 100 KB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

export interface UpstreamConfig {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (the part before /chat/completions). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per HTTP request, body included. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Longest Retry-After we accept to wait; longer ones are waited this long and retried. */
  retryAfterMaxMs: number;
  /** Upstream requests in flight at once, across all jobs. */
  concurrency: number;
  /** Ask for logprobs / top_logprobs (turn off for servers that reject the parameters). */
  logprobs: boolean;
  /** Bytes of one response body read at most (default DEFAULT_MAX_RESPONSE_BYTES); a larger body is a failed attempt. */
  maxResponseBytes?: number;
}

export interface UpstreamDeps {
  fetch?: typeof fetch;
  /** Waits between retries; tests pass one that records the delays instead of waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Warnings (retries); the text is already redacted. */
  warn?: (message: string) => void;
}

export interface ChatAnswer {
  content: string;
  /** Per generated token with its top alternatives; null when the upstream gave no logprobs. */
  tokens: TokenLogprob[] | null;
  promptTokens: number;
  completionTokens: number;
}

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** The upstream cannot serve any pair (unreachable, key refused, no such model): stop the job. */
    readonly jobFatal = false,
  ) {
    super(message);
  }
}

export class BudgetExhaustedError extends Error {
  override name = 'BudgetExhaustedError';
  readonly perCaller = true;
}

/** The client went away: the job is stopped (one concept with a stopped run, src/experiment/run/stopped.ts). */
export class JobStopped extends Stopped {
  override name = 'JobStopped';
  readonly perCaller = true;
  constructor() {
    super('The job was stopped (the client went away).');
  }
}

/** What one labelling job may spend upstream. Cache hits are free. */
export class JobBudget {
  requests = 0;
  tokens = 0;
  constructor(readonly maxRequests: number, readonly maxTokens: number) {}

  /** Counts one upstream request, or refuses it when the job has spent its budget. */
  reserveRequest(): void {
    if (this.requests >= this.maxRequests) throw new BudgetExhaustedError(`Request budget exhausted: ${this.requests} of ${this.maxRequests} upstream requests used by this job.`);
    if (this.tokens >= this.maxTokens) throw new BudgetExhaustedError(`Token budget exhausted: ${this.tokens} of ${this.maxTokens} tokens used by this job.`);
    this.requests++;
  }

  addTokens(n: number): void {
    this.tokens += n;
  }
}

const TopLogprob = z.object({ token: z.string(), logprob: z.number() });
const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string({ error: 'choices[0].message.content is missing' }) }),
        logprobs: z
          .object({
            content: z
              .array(z.object({ token: z.string(), logprob: z.number(), top_logprobs: z.array(TopLogprob).nullish() }))
              .nullish(),
          })
          .nullish(),
      }),
    )
    .min(1, 'choices is empty'),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).partial().nullish(),
});

class Semaphore {
  private waiting: (() => void)[] = [];
  private active = 0;
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new JobStopped());
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(new JobStopped());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** A rough token count for servers that do not report usage (4 characters per token). */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The body as text, refusing (and no longer reading) one larger than `maxBytes`. */
async function readBounded(res: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new UpstreamError(`the upstream's answer is larger than ${maxBytes} bytes`, true, res.status);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** An answer longer than the tokens the step allowed could produce is not an answer to it. */
function checkAnswerSize(answer: ChatAnswer, params: StepParams): void {
  const maxChars = params.max_tokens * MAX_CHARS_PER_TOKEN;
  if (answer.content.length > maxChars) {
    throw new Error(`it is ${answer.content.length} characters long, more than ${maxChars} (${MAX_CHARS_PER_TOKEN} per token of the ${params.max_tokens} asked for)`);
  }
  if (answer.tokens && answer.tokens.length > params.max_tokens) {
    throw new Error(`it has ${answer.tokens.length} tokens, more than the ${params.max_tokens} asked for`);
  }
}

export class UpstreamClient {
  private readonly semaphore: Semaphore;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly warn: (message: string) => void;
  readonly endpoint: string;
  /** The endpoint as messages show it (no credentials, no query). */
  private readonly where: string;

  constructor(readonly config: UpstreamConfig, deps: UpstreamDeps = {}) {
    checkBaseUrl(config.baseUrl);
    this.semaphore = new Semaphore(Math.max(1, config.concurrency));
    this.fetchImpl = deps.fetch ?? fetch;
    this.sleep = deps.sleep ?? abortableSleep;
    this.random = deps.random ?? Math.random;
    this.warn = deps.warn ?? (() => {});
    // The path goes before any query (e.g. Azure's ?api-version=…), which is kept.
    const url = new URL(config.baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
    this.endpoint = url.toString();
    this.where = displayUrl(this.endpoint);
  }

  /** `text` fit to show or log: no piece of the key, no URL credentials or queries. */
  redact(text: string): string {
    return redactSecret(stripUrlCredentials(text), this.config.apiKey);
  }

  /** At most `n` characters of upstream text for a message, redacted before it is cut. */
  private quote(text: string, n: number): string {
    const clean = this.redact(text);
    return clean.length > n ? `${clean.slice(0, n)}…` : clean;
  }

  /** Delay before retry number `retry` (0-based): exponential with "equal jitter", or Retry-After. */
  backoffMs(retry: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.config.retryAfterMaxMs);
    const cap = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** retry);
    return cap / 2 + (this.random() * cap) / 2;
  }

  /**
   * One chat completion, retried on transient failures. `validate` checks the answer's content
   * (e.g. that it is the JSON a step asked for); an invalid answer is retried like a 500.
   */
  async chat<T>(
    messages: ChatMessage[],
    params: StepParams,
    ctx: { budget: JobBudget; signal?: AbortSignal },
    validate: (answer: ChatAnswer) => T,
  ): Promise<{ value: T; answer: ChatAnswer }> {
    let lastError: UpstreamError | undefined;
    for (let attempt = 0; attempt <= this.config.maxRetries; attempt++) {
      if (ctx.signal?.aborted) throw new JobStopped();
      ctx.budget.reserveRequest();
      let retryAfterMs: number | undefined;
      try {
        const answer = await this.request(messages, params, (ms) => (retryAfterMs = ms));
        ctx.budget.addTokens(answer.promptTokens + answer.completionTokens);
        try {
          checkAnswerSize(answer, params);
          return { value: validate(answer), answer };
        } catch (e) {
          throw new UpstreamError(`the upstream's answer did not have the expected form: ${(e as Error).message}`, true);
        }
      } catch (e) {
        if (!(e instanceof UpstreamError)) throw e;
        lastError = new UpstreamError(this.redact(e.message), e.retryable, e.status, e.jobFatal);
        if (!e.retryable || attempt === this.config.maxRetries) break;
        const delay = this.backoffMs(attempt, retryAfterMs);
        this.warn(`teacher upstream: ${lastError.message}; retry ${attempt + 1} of ${this.config.maxRetries} in ${Math.round(delay)} ms`);
        await this.sleep(delay, ctx.signal);
      }
    }
    const tries = this.config.maxRetries + 1;
    throw new UpstreamError(
      lastError!.retryable ? `${lastError!.message} (gave up after ${tries} attempts)` : lastError!.message,
      false,
      lastError!.status,
      lastError!.jobFatal,
    );
  }

  private async request(messages: ChatMessage[], params: StepParams, onRetryAfter: (ms: number) => void): Promise<ChatAnswer> {
    const body: Record<string, unknown> = {
      model: this.config.model,
      messages,
      temperature: params.temperature,
      max_tokens: params.max_tokens,
    };
    if (this.config.logprobs && params.topLogprobs > 0) {
      body.logprobs = true;
      body.top_logprobs = params.topLogprobs;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;

    await this.semaphore.acquire();
    let status: number;
    let text: string;
    try {
      // The timeout covers the whole exchange, reading the body included.
      const res = await this.fetchImpl(this.endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.config.timeoutMs) });
      status = res.status;
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      if (retryAfter !== undefined) onRetryAfter(retryAfter);
      text = await readBounded(res, this.config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    } catch (e) {
      if (e instanceof UpstreamError) throw e;
      const err = e as Error;
      if (err.name === 'TimeoutError') throw new UpstreamError(`the upstream did not answer within ${this.config.timeoutMs} ms`, true);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamError(`could not reach the upstream at ${this.where} (${this.redact(cause?.code ?? cause?.message ?? err.message)})`, true, undefined, true);
    } finally {
      this.semaphore.release();
    }

    if (status === 429 || status === 408 || status >= 500) {
      throw new UpstreamError(`the upstream answered HTTP ${status}${status === 429 ? ' (rate limited)' : ''}`, true, status);
    }
    if (status === 401 || status === 403) {
      throw new UpstreamError(`the upstream refused the request (HTTP ${status}): check LANTERN_TEACHER_API_KEY`, false, status, true);
    }
    if (status < 200 || status >= 300) {
      // 404: a wrong base URL or model name fails every pair alike; other 4xx may be this pair's own.
      throw new UpstreamError(`the upstream answered HTTP ${status}: ${this.quote(text, 300)}`, false, status, status === 404);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UpstreamError(`the upstream's answer is not valid JSON (${text.length} bytes${text.length ? `, starting "${this.quote(text, 40)}"` : ''})`, true, status);
    }
    const parsed = ChatCompletion.safeParse(json);
    if (!parsed.success) {
      throw new UpstreamError(`the upstream's answer is not a chat completion: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, true, status);
    }
    const choice = parsed.data.choices[0]!;
    const content = choice.message.content;
    const tokens = choice.logprobs?.content?.map((t) => ({ token: t.token, logprob: t.logprob, top: t.top_logprobs ?? [] })) ?? null;
    const usage = parsed.data.usage;
    return {
      content,
      tokens: tokens && tokens.length ? tokens : null,
      promptTokens: usage?.prompt_tokens ?? estimateTokens(messages.map((m) => m.content).join('\n')),
      completionTokens: usage?.completion_tokens ?? estimateTokens(content),
    };
  }
}
