// The orchestrator's Node host (`lantern run`, tests): WebGPU through Dawn, artifacts as files
// under the output folder (written to a temporary name, then renamed: a crash never leaves half a
// file), the teacher through a running server (--server) or an in-process one on 127.0.0.1.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from '../../engine/runtime.ts';
import { acquireNodeDevice } from '../../engine/node-gpu.ts';
import type { AcquiredDevice } from '../../engine/gpu.ts';
import type { EngineChoice } from '../../engine/backend.ts';
import { backendReportOf, selectEngine } from '../../engine/select.ts';
import { Example, Review } from '../../data/schema.ts';
import { loadQwenTokenizer } from '../../data/tokenizer-node.ts';
import { RunError, type ArtifactStore, type RunEvent, type RunHost, type TeacherClient } from './host.ts';
import { httpTeacher } from './teacher-client.ts';
import { nodeModelFolder } from '../../export/node.ts';

export function fileStore(root: string): ArtifactStore {
  const base = resolve(root);
  const path = (key: string) => {
    const p = resolve(base, key);
    if (p !== base && !p.startsWith(`${base}/`)) throw new RunError(`artifact key "${key}" leaves the output folder`);
    return p;
  };
  return {
    async read(key) {
      try {
        return new Uint8Array(await readFile(path(key)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async write(key, data) {
      const p = path(key);
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.tmp-${process.pid}`;
      await writeFile(tmp, data);
      await rename(tmp, p);
    },
    async remove(key) {
      await rm(path(key), { recursive: true, force: true });
    },
    scoped(prefix) {
      return fileStore(join(base, prefix));
    },
  };
}

/** JSON Lines of examples; every bad line is reported with its number, nothing is used. */
function parseLines<T>(text: string, what: string, parse: (json: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }): T[] {
  const trimmed = text.trim();
  // A JSON array is accepted too (review decisions are often saved that way).
  const rows: { line: number; raw: string }[] = trimmed.startsWith('[') ? [] : text.split('\n').map((raw, i) => ({ line: i + 1, raw })).filter((r) => r.raw.trim());
  const values: { line: number; json: unknown }[] = [];
  const problems: string[] = [];
  if (trimmed.startsWith('[')) {
    try {
      (JSON.parse(trimmed) as unknown[]).forEach((json, i) => values.push({ line: i + 1, json }));
    } catch (e) {
      throw new RunError(`${what} is not valid JSON: ${(e as Error).message}`);
    }
  }
  for (const r of rows) {
    try {
      values.push({ line: r.line, json: JSON.parse(r.raw) });
    } catch (e) {
      problems.push(`line ${r.line}: not JSON (${(e as Error).message})`);
    }
  }
  const out: T[] = [];
  for (const v of values) {
    const parsed = parse(v.json);
    if (parsed.success) out.push(parsed.data);
    else problems.push(`${trimmed.startsWith('[') ? 'item' : 'line'} ${v.line}: ${parsed.error.issues.slice(0, 2).map((q) => `${q.path.join('.')}: ${q.message}`).join('; ')}`);
  }
  if (problems.length) throw new RunError(`${what} has ${problems.length} invalid entr${problems.length === 1 ? 'y' : 'ies'}:\n  ${problems.slice(0, 10).join('\n  ')}${problems.length > 10 ? '\n  …' : ''}`);
  return out;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new RunError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** A dataset file: JSON Lines (or a JSON array) of pairs {id, job, profile}. */
export async function readExamplesFile(path: string): Promise<Example[]> {
  const examples = parseLines(await readText(path, 'dataset'), `dataset ${path}`, (j) => Example.safeParse(j));
  if (examples.length === 0) throw new RunError(`dataset ${path} holds no examples`);
  return examples;
}

/** Review decisions: JSON Lines or a JSON array of {exampleId, decision, fixedLabel?, fixedExplanation?, reviewedAt}. */
export async function readReviewsFile(path: string): Promise<Review[]> {
  return parseLines(await readText(path, 'review decisions'), `review decisions ${path}`, (j) => Review.safeParse(j));
}

export interface NodeHostOptions {
  /** A running Lantern server; default: an in-process one on 127.0.0.1. */
  serverUrl?: string;
  token?: string;
  /** Relative dataset and review paths resolve against this folder (the experiment file's). */
  baseDir?: string;
  emit?: (event: RunEvent) => void;
  /** A device to use (tests share one); default: a new one, destroyed by close(). */
  device?: AcquiredDevice;
  /** An engine over that device to reuse (its compiled kernels too); close() leaves it alive. */
  engine?: Engine;
  /** Without a given engine: which backend (the experiment's `engine`); default 'auto'. */
  backend?: EngineChoice;
}

export interface NodeHost extends RunHost {
  close(): Promise<void>;
}

export async function createNodeHost(opts: NodeHostOptions = {}): Promise<NodeHost> {
  const given = opts.engine ?? (opts.device ? new Engine(opts.device.device) : null);
  const selected = given
    ? { engine: given, device: opts.device ?? null, backend: backendReportOf(given, opts.device?.report) }
    : await selectEngine(opts.backend ?? 'auto', acquireNodeDevice);
  const { engine, device, backend } = selected;
  const baseDir = opts.baseDir ?? process.cwd();
  let teacher: TeacherClient;
  let closeServer: (() => Promise<void>) | undefined;
  if (opts.serverUrl) teacher = httpTeacher(opts.serverUrl, opts.token ? { token: opts.token } : {});
  else {
    let started: Promise<string> | undefined;
    // Started on first use: a resumed run whose labels are stored never needs it.
    const start = () =>
      (started ??= (async () => {
        const { buildServer } = await import('../../../server/app.ts');
        const { teacherOptionsFromEnv } = await import('../../../server/teacher/config.ts');
        const app = await buildServer({ teacher: teacherOptionsFromEnv() });
        closeServer = () => app.close();
        return app.listen({ host: '127.0.0.1', port: 0 });
      })());
    teacher = { label: async (pairs, o) => httpTeacher(await start()).label(pairs, o) };
  }
  return {
    engine,
    device: device?.report ?? backend?.adapter ?? null,
    backend,
    teacher,
    qwenTokenizer: async () => loadQwenTokenizer(),
    async loadDataset(ref) {
      if (!ref.path) throw new RunError(`dataset.id "${ref.id}" names a dataset stored in the studio; headless runs read dataset.path (JSON Lines of pairs) or dataset.demo`);
      return readExamplesFile(resolve(baseDir, ref.path));
    },
    async loadReviews(policy) {
      if (policy.policy === 'reviewed') throw new RunError('seedSet.policy "reviewed" uses the decisions stored in the studio; headless runs use "review-file" (a JSON/JSONL file of review decisions) or "auto-accept"');
      return readReviewsFile(resolve(baseDir, policy.path));
    },
    async loadSeedSplit() {
      throw new RunError('seedSet.policy "reviewed" trains on the seed split built in the studio; headless runs use "review-file" or "auto-accept"');
    },
    async modelFolder(source) {
      try {
        return await nodeModelFolder(resolve(baseDir, source));
      } catch (e) {
        throw new RunError(`pretrained.source "${source}": ${(e as Error).message} (headless runs read a Hugging Face model folder at this path, relative to the experiment file)`);
      }
    },
    now: () => performance.now(),
    emit: opts.emit ?? (() => undefined),
    async close() {
      await closeServer?.();
      if (!opts.engine) engine.destroy();
      if (!opts.device) device?.device.destroy();
    },
  };
}
