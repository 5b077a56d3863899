// Content hashes: a dataset is referenced by the SHA-256 of its examples in a canonical form, so
// two studios (or a share link) agree on "the same data" whatever the import order or key order.
import type { Example } from './schema.ts';

/** JSON with object keys sorted at every level (arrays keep their order): equal values serialise, and hash, the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** SHA-256 in hex through WebCrypto (browsers and Node); the teacher server's synchronous one is sha256HexSync. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of the examples' (id, job, profile) sorted by id, one canonical JSON line each; meta is not content. */
export async function contentHash(examples: readonly Pick<Example, 'id' | 'job' | 'profile'>[]): Promise<string> {
  const lines = examples
    .map((e) => canonicalJson({ id: e.id, job: e.job, profile: e.profile }))
    .sort();
  return sha256Hex(lines.join('\n'));
}
