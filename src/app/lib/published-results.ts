// The project's own results files (docs/results/*.json, written by `lantern run` on the project's
// 2-core CPU machine and reported in docs/results.md), bundled with the studio. Each file is its own
// lazily loaded chunk, read only when opened, so the main chunk stays small; the service worker
// precaches the chunks (they are build files under its size limit), so they open offline too.
// Only each file's experiment name is read up front.
import { readResults, type AnyResults } from './results.ts';

const raw = import.meta.glob('../../../docs/results/*.json', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;
// The experiment alone (Vite's JSON named exports; the rest of the file is left out of this chunk).
const experiments = import.meta.glob('../../../docs/results/*.json', { import: 'experiment', eager: true }) as Record<string, { name?: string }>;

export interface PublishedResult {
  /** The file's name without .json ("sweep-losses.laptop"), also the example it ran (examples/<id>.json). */
  id: string;
  /** The experiment's name, from the file. */
  name: string;
  /** docs/results/<id>.json */
  path: string;
  /** The command that wrote it (docs/results.md gives the same one). */
  command: string;
}

const idOf = (path: string) => path.split('/').at(-1)!.replace(/\.json$/, '');

export const PUBLISHED_RESULTS: PublishedResult[] = Object.keys(raw)
  .map((path) => {
    const id = idOf(path);
    return { id, name: experiments[path]?.name ?? id, path: `docs/results/${id}.json`, command: `npx lantern run examples/${id}.json --out runs/${id}` };
  })
  .sort((a, b) => a.id.localeCompare(b.id));

/** What every published file is, in one sentence (docs/results.md says the same, with the details). */
export const PUBLISHED_MACHINE = "measured on the project's CI-class machine: a 2-core x86 VM with no GPU (the engine's WASM backend)";

/** A published file's results, read (and checked by the results schema) when first opened. */
export async function loadPublished(id: string): Promise<AnyResults> {
  const entry = Object.entries(raw).find(([path]) => idOf(path) === id);
  if (!entry) throw new Error(`No published results "${id}" (published: ${PUBLISHED_RESULTS.map((p) => p.id).join(', ')})`);
  return readResults(await entry[1]());
}
