// The teacher proxy over HTTP, as both the CLI and the studio call it: POST /api/teacher/label with
// the pairs, read the NDJSON stream ("result" / "error" lines by pair index, then a "summary").
// The browser passes baseUrl '' (same origin); Node an in-process server's or --server's URL.
// The studio's worker also passes `localFallback`: with no server to answer, the rule-based teacher
// labels in the worker (the online one cannot run without the server).
import { TeacherLabel, type Example } from '../../data/schema.ts';
import { RunError, type TeacherClient } from './host.ts';
import { postLabels } from './local-teacher.ts';

interface Line {
  type: string;
  [key: string]: unknown;
}

/** The API's `{error}` message of a failed response, or its body as it is when not JSON. */
export async function errorMessage(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text;
  }
}

/** Parses a streamed NDJSON body line by line as it arrives. */
export async function* readNdjson<T = Line>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) yield JSON.parse(line) as T;
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered) as T;
}

export function httpTeacher(baseUrl: string, opts: { token?: string; fetch?: typeof fetch; chunkSize?: number; localFallback?: boolean } = {}): TeacherClient {
  const doFetch = opts.fetch ?? fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const root = baseUrl.replace(/\/+$/, '');
  return {
    async label(pairs, { provider, onProgress }) {
      const chunkSize = opts.chunkSize ?? 1000;
      const labels: TeacherLabel[] = [];
      const failures: string[] = [];
      for (let start = 0; start < pairs.length; start += chunkSize) {
        const chunk: readonly Example[] = pairs.slice(start, start + chunkSize);
        const url = `${root}/api/teacher/label`;
        const init = { method: 'POST', headers, body: JSON.stringify({ pairs: chunk, provider }) };
        let res: Response | Line[];
        try {
          res = opts.localFallback ? ((await postLabels(doFetch, url, init, chunk, provider)) as Response | Line[]) : await doFetch(url, init);
        } catch (e) {
          if (e instanceof RunError) throw e;
          throw new RunError(`cannot reach the teacher API at ${root || 'this origin'}: ${(e as Error).message}`);
        }
        if (!Array.isArray(res) && (!res.ok || !res.body)) throw new RunError(`the teacher API answered HTTP ${res.status}: ${await errorMessage(res)}`);
        const got = new Array<TeacherLabel | undefined>(chunk.length);
        let summary = false;
        const lines: AsyncIterable<Line> | Iterable<Line> = Array.isArray(res) ? res : readNdjson(res.body!);
        for await (const line of lines) {
          if (line.type === 'result') {
            const parsed = TeacherLabel.safeParse(line.result);
            if (!parsed.success) failures.push(`pair ${chunk[line.index as number]?.id}: malformed label (${parsed.error.issues[0]?.message})`);
            else got[line.index as number] = parsed.data;
          } else if (line.type === 'error') failures.push(`pair ${String(line.exampleId)}: ${String(line.error)}`);
          else if (line.type === 'progress') onProgress?.(start + Number(line.done), pairs.length);
          else if (line.type === 'summary') summary = true;
          else if (line.type === 'fatal') throw new RunError(`the teacher failed: ${String(line.error)}`);
        }
        if (!summary) throw new RunError('the teacher API closed the stream early; run again (answers already paid for are cached)');
        got.forEach((l, i) => {
          if (l) labels.push(l);
          else if (!failures.some((f) => f.startsWith(`pair ${chunk[i]!.id}:`))) failures.push(`pair ${chunk[i]!.id}: no answer`);
        });
      }
      if (failures.length) {
        throw new RunError(`the teacher could not label ${failures.length} of ${pairs.length} pairs:\n  ${failures.slice(0, 10).join('\n  ')}${failures.length > 10 ? '\n  …' : ''}`);
      }
      return labels;
    },
  };
}
