// `lantern label`: label (job, profile) pairs through the teacher API — a running server's, or an
// in-process one on 127.0.0.1 — writing one TeacherLabel per line as results stream in.
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { Pair } from '../../src/data/schema.ts';
import { errorMessage, readNdjson } from '../../src/experiment/run/teacher-client.ts';
import { TEACHER_PROVIDERS, teacherOptionsFromEnv, type TeacherProvider } from '../../server/teacher/config.ts';

const USAGE = `Usage: lantern label --in pairs.jsonl --out labels.jsonl [--server URL] [--provider offline|openai] [--token TOKEN]

Labels every (job, profile) pair of --in (JSON Lines, one pair per line) with the teacher and writes
one label per line to --out, in input order, as results arrive. Pairs the teacher could not label
are reported on stderr (exit code 1); an answer already paid for is cached by the server, so running
the command again costs nothing for the pairs that finished.

  --in FILE        pairs as JSON Lines: {"id", "job": {...}, "profile": {...}}
  --out FILE       where the labels go (overwritten)
  --server URL     a running Lantern server (default: an in-process one on 127.0.0.1)
  --provider NAME  offline (rule-based, no network) or openai (LANTERN_TEACHER_* settings);
                   default: the server's default (LANTERN_TEACHER_PROVIDER, else offline)
  --token TOKEN    bearer token for a server bound beyond loopback (default: $LANTERN_API_TOKEN)`;

interface Line {
  type: string;
  [key: string]: unknown;
}

/** Reads and validates the pairs; every bad line is reported, with its number. */
function readPairs(path: string): Pair[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --in ${path}: ${(e as Error).message}`);
  }
  const pairs: Pair[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      problems.push(`line ${i + 1}: not JSON (${(e as Error).message})`);
      return;
    }
    const parsed = Pair.safeParse(json);
    if (parsed.success) pairs.push(parsed.data);
    else problems.push(`line ${i + 1}: ${parsed.error.issues.slice(0, 2).map((q) => `${q.path.join('.')}: ${q.message}`).join('; ')}`);
  });
  if (problems.length) {
    const shown = problems.slice(0, 10).join('\n  ');
    throw new Error(`${path} has ${problems.length} invalid line(s); nothing was labelled:\n  ${shown}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}`);
  }
  if (!pairs.length) throw new Error(`${path} holds no pairs.`);
  return pairs;
}

function progressBar(done: number, total: number, errors: number, cached: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} pairs, ${errors} errors, ${cached} from cache`;
}

export const command: CliCommand = {
  name: 'label',
  summary: 'Label (job, profile) pairs with the teacher (offline rule-based or an OpenAI-compatible LLM)',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { in: { type: 'string' }, out: { type: 'string' }, server: { type: 'string' }, provider: { type: 'string' }, token: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (!values.in) throw new UsageError('--in is required');
    if (!values.out) throw new UsageError('--out is required');
    const provider = values.provider as TeacherProvider | undefined;
    if (provider && !TEACHER_PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${TEACHER_PROVIDERS.join(', ')}`);
    const pairs = readPairs(values.in);

    let baseUrl = values.server?.replace(/\/+$/, '');
    let closeServer: (() => Promise<void>) | undefined;
    if (!baseUrl) {
      const { buildServer } = await import('../../server/app.ts');
      const app = await buildServer({ teacher: teacherOptionsFromEnv() });
      baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
      closeServer = () => app.close();
    }
    const token = values.token ?? process.env.LANTERN_API_TOKEN;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;

    const out = createWriteStream(values.out);
    const tty = process.stderr.isTTY;
    let done = 0;
    let errors = 0;
    let cached = 0;
    let lastReported = -1;
    const report = () => {
      if (tty) process.stderr.write(`\r${progressBar(done, pairs.length, errors, cached)}`);
      else if (Math.floor((done / pairs.length) * 10) > lastReported || done === pairs.length) {
        lastReported = Math.floor((done / pairs.length) * 10);
        process.stderr.write(`${progressBar(done, pairs.length, errors, cached)}\n`);
      }
    };

    try {
      const info = (await (await fetch(`${baseUrl}/api/teacher/info`, { headers })).json()) as { limits?: { maxPairs?: number }; error?: string };
      if (info.error) throw new Error(`the server refused: ${info.error}`);
      const chunkSize = Math.max(1, Math.min(info.limits?.maxPairs ?? 1000, 1000));
      for (let start = 0; start < pairs.length; start += chunkSize) {
        const chunk = pairs.slice(start, start + chunkSize);
        const res = await fetch(`${baseUrl}/api/teacher/label`, { method: 'POST', headers, body: JSON.stringify({ pairs: chunk, ...(provider ? { provider } : {}) }) });
        if (!res.ok || !res.body) {
          throw new Error(`the server answered HTTP ${res.status}: ${await errorMessage(res)}`);
        }
        // Results arrive in any order; they are written in input order as soon as they can be.
        const pending = new Map<number, unknown>();
        let nextToWrite = 0;
        const flush = async () => {
          while (pending.has(nextToWrite)) {
            const result = pending.get(nextToWrite);
            pending.delete(nextToWrite);
            nextToWrite++;
            if (result !== null && !out.write(`${JSON.stringify(result)}\n`)) await once(out, 'drain');
          }
        };
        let summary: Line | undefined;
        for await (const line of readNdjson<Line>(res.body)) {
          if (line.type === 'result') {
            done++;
            if ((line.result as { cached?: boolean }).cached) cached++;
            pending.set(line.index as number, line.result);
            await flush();
            report();
          } else if (line.type === 'error') {
            done++;
            errors++;
            pending.set(line.index as number, null);
            await flush();
            process.stderr.write(`${tty ? '\n' : ''}pair ${String(line.exampleId)}: ${String(line.error)}\n`);
            report();
          } else if (line.type === 'summary') summary = line;
          else if (line.type === 'fatal') throw new Error(String(line.error));
        }
        if (!summary) throw new Error('the server closed the stream before the summary: some pairs may be missing (run again; finished answers are cached)');
      }
    } finally {
      out.end();
      await once(out, 'close');
      if (tty) process.stderr.write('\n');
      await closeServer?.();
    }
    process.stderr.write(`${done - errors} of ${pairs.length} pairs labelled into ${values.out}${errors ? `, ${errors} failed (see above)` : ''}.\n`);
    return errors ? 1 : 0;
  },
};
