// A small OpenAI-compatible chat-completions server on 127.0.0.1 for the teacher tests. It answers
// each step of the chain from the prompt itself (with the shared lexicon), with or without
// logprobs, and can be told to misbehave: timeouts, 429 with Retry-After, 500s, malformed JSON,
// truncated bodies, missing fields, invalid step answers, a 401 that echoes the caller's key, and
// the hostile kind: a body dripped slower than any timeout, a body of megabytes, an answer far
// longer than the step's max_tokens, an ambiguous rating, label probabilities that contradict the
// label, a good answer that echoes the key (split across tokens, too), and an error body that is
// long enough for the key to straddle any cut made in it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findSkills } from '../../../src/data/lexicon.ts';

export type Fault =
  | 'timeout'
  | '429'
  | '500'
  | 'malformed-json'
  | 'truncated'
  | 'missing-fields'
  | 'bad-answer'
  | 'echo-key-401'
  | 'slow-drip'
  | 'huge-body'
  | 'long-answer'
  | 'ambiguous-rating'
  | 'contradicting-probs'
  | 'echo-key-answer'
  | 'echo-key-long-error';

/** Every fault class, for runners that inject them all. */
export const FAULTS: readonly Fault[] = [
  'timeout',
  '429',
  '500',
  'malformed-json',
  'truncated',
  'missing-fields',
  'bad-answer',
  'echo-key-401',
  'slow-drip',
  'huge-body',
  'long-answer',
  'ambiguous-rating',
  'contradicting-probs',
  'echo-key-answer',
  'echo-key-long-error',
];
export type StepName = 'requirements' | 'qualifications' | 'evaluate' | 'rate' | 'explain';

export interface RecordedRequest {
  step: StepName;
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[]; logprobs?: boolean; top_logprobs?: number; max_tokens?: number };
  /** The fault served, if any. */
  fault?: Fault;
}

export interface FakeUpstreamOptions {
  /** Include logprobs when asked (default true). */
  logprobs?: boolean;
  /** Wait this long before answering (to let requests overlap). */
  delayMs?: number;
  /** Seconds sent in Retry-After with a 429. */
  retryAfterSeconds?: number;
  /** Size of the 'huge-body' answer (default 5 MB). */
  hugeBodyBytes?: number;
}

function stepOf(system: string): StepName {
  if (/extract hiring requirements/.test(system)) return 'requirements';
  if (/qualifications from a member profile/.test(system)) return 'qualifications';
  if (/compare a job's requirements/.test(system)) return 'evaluate';
  if (/rate how well/.test(system)) return 'rate';
  return 'explain';
}

const ln = Math.log;

type TokenEntry = { token: string; logprob: number; top_logprobs: { token: string; logprob: number }[] };
interface Completion {
  id: string;
  object: string;
  model: string;
  choices: { index: number; message: { role: string; content: string }; logprobs: { content: TokenEntry[] } | null; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  private faults: { fault: Fault; step?: StepName; match?: string; remaining: number }[] = [];
  private server!: Server;
  url = '';
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(readonly options: FakeUpstreamOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Serve `fault` to the next `count` requests (of `step`, and whose prompt contains `match`, when given). */
  failNext(fault: Fault, count = 1, step?: StepName, match?: string): void {
    this.faults.push({ fault, step, match, remaining: count });
  }

  clearFaults(): void {
    this.faults = [];
  }

  callsTo(step: StepName): number {
    return this.requests.filter((r) => r.step === step).length;
  }

  private takeFault(step: StepName, prompt: string): Fault | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (!x.step || x.step === step) && (!x.match || prompt.includes(x.match)));
    if (!f) return undefined;
    f.remaining--;
    return f.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw) as RecordedRequest['body'];
    const step = stepOf(body.messages[0]?.content ?? '');
    const fault = this.takeFault(step, body.messages.map((m) => m.content).join('\n'));
    this.requests.push({ step, authorization: req.headers.authorization, body, fault });
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));

    switch (fault) {
      case 'timeout':
        return; // never answer; the client's timeout fires
      case '429':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(this.options.retryAfterSeconds ?? 0) });
        return void res.end(JSON.stringify({ error: { message: 'Rate limit reached' } }));
      case '500':
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'internal error' } }));
      case 'malformed-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"choices": [ {"message": ');
      case 'truncated': {
        const full = JSON.stringify(this.answer(step, body));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length + 100) });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      }
      case 'missing-fields':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ id: 'x', choices: [{ index: 0, message: { role: 'assistant' } }] }));
      case 'bad-answer': {
        const content = step === 'rate' ? 'maybe' : step === 'explain' ? '   ' : 'Sure! Here are the requirements: SQL, Python.';
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(this.completion(content, null)));
      }
      case 'echo-key-401':
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }));
      case 'slow-drip': {
        // A byte at a time, slower than the client's timeout: the whole exchange must time out.
        const full = JSON.stringify(this.answer(step, body));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
        let at = 0;
        const timer = setInterval(() => {
          if (res.destroyed || at >= full.length) return clearInterval(timer);
          res.write(full[at++]!);
        }, 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'huge-body': {
        const content = 'The candidate meets SQL. '.repeat(Math.ceil((this.options.hugeBodyBytes ?? 5_000_000) / 25));
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(this.completion(content, null)));
      }
      case 'long-answer': {
        // Well-formed, within any body limit, but far longer than max_tokens allows.
        const words = ((body.max_tokens ?? 100) * 20) / 5;
        const content = step === 'rate' ? `high ${'high '.repeat(words)}` : step === 'explain' ? 'SQL is met. '.repeat(words / 2) : JSON.stringify({ requirements: [{ id: 'r1', text: 'SQL '.repeat(words), kind: 'must', category: 'skill' }], qualifications: [], evaluations: [] });
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(this.completion(content, null)));
      }
      case 'ambiguous-rating': {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(step === 'rate' ? this.completion('High? No. Low.', null) : this.answer(step, body)));
      }
      case 'contradicting-probs': {
        // Rated high, while the label token's own alternatives put 0.9 on low.
        const answer = step === 'rate'
          ? this.completion('high', [{ token: 'high', logprob: ln(0.05), top_logprobs: [{ token: 'low', logprob: ln(0.9) }, { token: 'high', logprob: ln(0.05) }, { token: 'medium', logprob: ln(0.05) }] }])
          : this.answer(step, body);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(answer));
      }
      case 'echo-key-answer': {
        const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const answer = this.answer(step, body);
        const message = answer.choices[0]!.message;
        if (step === 'explain') {
          // The key inside the text and split across tokens, so no single token holds it.
          message.content = `${message.content} Reference: ${key}.`;
          const pieces = [...message.content.matchAll(/.{1,5}/gs)].map((m) => m[0]);
          answer.choices[0]!.logprobs = { content: pieces.map((p) => ({ token: p, logprob: ln(0.9), top_logprobs: [{ token: p, logprob: ln(0.9) }] })) };
        } else if (step === 'requirements') {
          const parsed = JSON.parse(message.content.replace(/^```json\n|\n```$/g, '')) as { requirements: { text: string }[] };
          parsed.requirements[0]!.text = `${parsed.requirements[0]!.text} (${key})`;
          message.content = JSON.stringify(parsed);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(answer));
      }
      case 'echo-key-long-error': {
        // A 400 whose body puts the key right across the 300-character mark where messages were cut.
        const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const message = `${'Your request could not be processed. '.repeat(8)}`.slice(0, 270) + ` Key used: ${key}`;
        res.writeHead(400, { 'content-type': 'text/plain' });
        return void res.end(message);
      }
      default:
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.answer(step, body)));
    }
  }

  private completion(content: string, tokens: { token: string; logprob: number; top_logprobs: { token: string; logprob: number }[] }[] | null): Completion {
    return {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      model: 'fake-model',
      choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: tokens ? { content: tokens } : null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 50, completion_tokens: Math.ceil(content.length / 4), total_tokens: 50 + Math.ceil(content.length / 4) },
    };
  }

  /** A plausible answer for each step, computed from the prompt. */
  private answer(step: StepName, body: RecordedRequest['body']): Completion {
    const prompt = body.messages[body.messages.length - 1]!.content;
    const withLogprobs = Boolean(body.logprobs) && this.options.logprobs !== false;
    switch (step) {
      case 'requirements': {
        const job = prompt.slice(prompt.indexOf('Title:'));
        const skills = findSkills(job).slice(0, 8);
        const requirements = (skills.length ? skills : ['communication']).map((s, i) => ({ id: `r${i + 1}`, text: s, kind: i < 4 ? 'must' : 'nice', category: 'skill' }));
        return this.completion(`\`\`\`json\n${JSON.stringify({ requirements })}\n\`\`\``, null);
      }
      case 'qualifications': {
        const profile = prompt.slice(prompt.indexOf('Headline:'));
        return this.completion(JSON.stringify({ qualifications: findSkills(profile).map((s) => ({ text: s, category: 'skill' })) }), null);
      }
      case 'evaluate': {
        const [reqPart, qualPart] = prompt.split('Qualifications:');
        const quals = new Set(findSkills(qualPart ?? ''));
        const evaluations = [...(reqPart ?? '').matchAll(/^- \[(r\d+)\] \([^)]*\) (.+)$/gm)].map((m) => {
          const met = quals.has(m[2]!.trim());
          return { requirementId: m[1]!, status: met ? 'met' : 'missing', evidence: met ? m[2]!.trim() : '' };
        });
        return this.completion(JSON.stringify({ evaluations }), null);
      }
      case 'rate': {
        const met = (prompt.match(/: met\b/g) ?? []).length;
        const missing = (prompt.match(/: missing\b/g) ?? []).length;
        const share = met / Math.max(1, met + missing);
        const label = share >= 0.75 ? 'high' : share >= 0.4 ? 'medium' : 'low';
        const others = (['high', 'medium', 'low'] as const).filter((l) => l !== label);
        const top = [
          { token: label, logprob: ln(0.7) },
          { token: ` ${label[0]!.toUpperCase()}${label.slice(1)}`, logprob: ln(0.05) },
          { token: others[0]!, logprob: ln(0.15) },
          { token: others[1]!, logprob: ln(0.06) },
          { token: 'The', logprob: ln(0.02) },
        ];
        return this.completion(label, withLogprobs ? [{ token: label, logprob: ln(0.7), top_logprobs: top.slice(0, body.top_logprobs ?? 5) }] : null);
      }
      case 'explain': {
        const metSkills = [...prompt.matchAll(/^- \[r\d+\] \([^)]*\) (.+): met/gm)].map((m) => m[1]!);
        const text = metSkills.length ? `The candidate meets ${metSkills.join(', ')}.` : 'The candidate meets none of the requirements.';
        const words = text.split(/(?= )/);
        const tokens = words.map((w) => ({ token: w, logprob: ln(0.9), top_logprobs: [{ token: w, logprob: ln(0.9) }, { token: ' the', logprob: ln(0.05) }] }));
        return this.completion(text, withLogprobs ? tokens : null);
      }
    }
  }
}
