// The builder's templates: every experiment shipped in examples/ (read at build time, so a config
// added there appears without code changes), the one-click demo first, then by name.
const files = import.meta.glob('../../../examples/*.json', { eager: true, query: '?raw', import: 'default' }) as Record<string, string>;

export interface Template {
  /** File name without .json, e.g. "sweep-losses.tiny". */
  id: string;
  name: string;
  /** The example's JSON exactly as shipped. */
  json: string;
  tiny: boolean;
}

/** The one-click demo first, its tiny CI variant next, then everything else. */
const rank = (id: string) => (id === 'demo' ? 0 : id.startsWith('demo') ? 1 : 2);

export const TEMPLATES: Template[] = Object.entries(files)
  .map(([path, json]) => {
    const id = path.split('/').at(-1)!.replace(/\.json$/, '');
    let name = id;
    try {
      name = (JSON.parse(json) as { name?: string }).name ?? id;
    } catch {
      // An example that is not JSON still shows (by file name); loading it reports the error.
    }
    return { id, name, json, tiny: id.endsWith('.tiny') };
  })
  .sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
