// /api/teacher/*: the teacher proxy's HTTP face.
//   GET  /api/teacher/info   the configured teachers, without secrets
//   POST /api/teacher/label  {pairs, provider?} → NDJSON stream: a "start" line, then per pair a
//        "result" or "error" line each followed by a "progress" line, then a "summary" line.
// A client that disconnects stops the job (no new upstream calls); answers that arrived are cached.
import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Pair } from '../../src/data/schema.ts';
import { pairSizeIssues } from '../../src/data/limits.ts';
import { runBatch, type LabelStreamLine, type Teacher } from './batch.ts';
import { AnswerCache } from './cache.ts';
import { TEACHER_PROVIDERS, type TeacherOptions, type TeacherProvider } from './config.ts';
import { describeOpenaiTeacher, LlmTeacher } from './llm-teacher.ts';
import { OfflineTeacher } from './offline-teacher.ts';
import { JobBudget, UpstreamClient } from './upstream.ts';
import { checkBaseUrl, redactSecret, stripUrlCredentials } from './secrets.ts';

const LabelRequest = z.object({
  pairs: z.array(z.unknown(), { error: 'pairs must be an array of (job, profile) pairs' }),
  provider: z.enum(TEACHER_PROVIDERS, { error: `provider must be one of ${TEACHER_PROVIDERS.join(', ')}` }).optional(),
});

/** The teachers this server offers; the LLM one (and its cache file) is created on first use. */
export class TeacherService {
  readonly offline = new OfflineTeacher();
  private llm?: { teacher: LlmTeacher; cache: AnswerCache; client: UpstreamClient };

  constructor(readonly options: TeacherOptions, private readonly warn: (message: string) => void) {
    // A start-up error, not a failure of every pair later.
    if (options.openai) checkBaseUrl(options.openai.baseUrl);
  }

  teacher(provider: TeacherProvider): Teacher & { identity: { provider: string; model: string; templateVersion: string } } {
    if (provider === 'offline') return this.offline;
    if (!this.options.openai) {
      throw new Error('The openai teacher is not configured on this server: set LANTERN_TEACHER_BASE_URL and LANTERN_TEACHER_MODEL (and LANTERN_TEACHER_API_KEY if it needs a key).');
    }
    if (!this.llm) {
      const client = new UpstreamClient(this.options.openai, { warn: this.warn, ...this.options.upstreamDeps });
      const cache = new AnswerCache(this.options.cachePath);
      this.llm = { client, cache, teacher: new LlmTeacher(client, cache) };
    }
    return this.llm.teacher;
  }

  redact(text: string): string {
    return redactSecret(stripUrlCredentials(text), this.options.openai?.apiKey);
  }

  info() {
    const openai = this.options.openai;
    return {
      defaultProvider: this.options.provider,
      providers: { offline: this.offline.describe(), openai: openai ? describeOpenaiTeacher(openai) : null },
      budgetPerJob: this.options.budget,
      limits: this.options.limits,
      cache: { kind: 'sqlite', entries: this.llm?.cache.stats().entries ?? null },
    };
  }

  close(): void {
    this.llm?.cache.close();
  }
}

function describeIssues(issues: z.core.$ZodIssue[], prefix: string): string {
  return issues
    .slice(0, 3)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`)
    .join('; ');
}

/** Host, token and origin checks apply to these routes as to every other (server/http-guards.ts). */
export interface TeacherRouteOptions {
  teacher: TeacherOptions;
}

export async function teacherRoutes(app: FastifyInstance, opts: TeacherRouteOptions): Promise<void> {
  const service = new TeacherService(opts.teacher, (m) => app.log.warn(m));
  const { limits } = opts.teacher;
  app.addHook('onClose', async () => service.close());

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: `The request body is larger than ${limits.maxBodyBytes} bytes: send the pairs in smaller batches.` });
    }
    if (status >= 500) {
      req.log.error({ err: { message: service.redact(error.message), code: error.code } }, 'teacher route failed');
      return reply.code(500).send({ error: 'The teacher proxy failed unexpectedly (see the server log).' });
    }
    const what = error.code?.startsWith('FST_ERR_CTP') && /JSON/i.test(error.message) ? `The request body is not valid JSON: ${error.message}` : error.message;
    return reply.code(status).send({ error: service.redact(what) });
  });

  app.get('/api/teacher/info', async () => service.info());

  app.post('/api/teacher/label', { bodyLimit: limits.maxBodyBytes }, async (req, reply) => {
    if (typeof req.body !== 'object' || req.body === null) {
      return reply.code(400).send({ error: 'Send a JSON body {"pairs": [...], "provider"?: "offline" | "openai"} with content-type application/json.' });
    }
    const request = LabelRequest.safeParse(req.body);
    if (!request.success) return reply.code(400).send({ error: `Invalid request: ${describeIssues(request.error.issues, '')}` });
    const raw = request.data.pairs;
    if (raw.length === 0) return reply.code(400).send({ error: 'Invalid request: pairs is empty.' });
    if (raw.length > limits.maxPairs) {
      return reply.code(413).send({ error: `Too many pairs in one request: ${raw.length}, the limit is ${limits.maxPairs}. Split the batch.` });
    }
    const pairs: Pair[] = [];
    for (let i = 0; i < raw.length; i++) {
      const tooLarge = pairSizeIssues(raw[i], limits);
      if (tooLarge.length) {
        const issue = tooLarge.find((x) => x.field === '(pair)') ?? tooLarge[0]!;
        const what = issue.field === '(pair)' ? `pairs[${i}] is ${issue.bytes} bytes; one pair may be at most ${issue.limit} bytes` : `pairs[${i}].${issue.field} is ${issue.bytes} bytes; one field may be at most ${issue.limit} bytes`;
        return reply.code(413).send({ error: `${what}.` });
      }
      const parsed = Pair.safeParse(raw[i]);
      if (!parsed.success) return reply.code(400).send({ error: `Invalid pair: ${describeIssues(parsed.error.issues, `pairs[${i}]`)}` });
      pairs.push(parsed.data);
    }

    let teacher: ReturnType<TeacherService['teacher']>;
    try {
      teacher = service.teacher(request.data.provider ?? opts.teacher.provider);
    } catch (e) {
      return reply.code(400).send({ error: (e as Error).message });
    }

    // From here on the answer is a stream we write ourselves. It may be quiet for as long as an
    // upstream takes (its own timeouts bound that), so the idle timeout no longer applies.
    reply.hijack();
    req.raw.socket.setTimeout(0);
    const res = reply.raw;
    const headers = { ...reply.getHeaders(), 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    res.writeHead(200, headers as Record<string, string>);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) controller.abort();
    });
    const write = (line: LabelStreamLine) => {
      if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(line)}\n`);
    };

    write({ type: 'start', total: pairs.length, teacher: teacher.identity });
    const budget = new JobBudget(opts.teacher.budget.maxRequests, opts.teacher.budget.maxTokens);
    try {
      const summary = await runBatch(teacher, pairs, {
        budget,
        concurrency: opts.teacher.pairConcurrency,
        signal: controller.signal,
        onEvent: write,
        onInternalError: (e) => req.log.error({ err: { message: service.redact((e as Error)?.message ?? String(e)) } }, 'teacher failed on a pair'),
      });
      if (summary.stopped === 'cancelled') req.log.info(`teacher job cancelled by the client after ${summary.labelled + summary.errors} of ${summary.total} pairs`);
      write(summary);
    } catch (e) {
      req.log.error({ err: { message: service.redact((e as Error).message) } }, 'teacher job failed');
      write({ type: 'fatal', error: 'The labelling job failed unexpectedly (see the server log).' });
    }
    res.end();
  });
}
