// Hash routing: `#/<area>[/<rest>][?query]` names the page, so deep links and the back button work
// and the server needs no routes. A share link (`#x=…`, src/experiment/share-link.ts) is also a hash:
// it opens the area registered as its `shareTarget`.
export interface Route {
  /** The area's id (first path segment), '' when the hash names none. */
  area: string;
  /** Path segments after the area (e.g. a run id). */
  rest: string[];
  query: URLSearchParams;
  /** The whole hash when it is a share link (`#x=…`), else null. */
  share: string | null;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  if (/^x=/.test(h)) return { area: '', rest: [], query: new URLSearchParams(), share: '#' + h };
  const [path = '', q = ''] = h.split('?', 2) as [string?, string?];
  const segments = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  return { area: segments[0] ?? '', rest: segments.slice(1), query: new URLSearchParams(q), share: null };
}

/** The hash for a page: `href('review', ['ds1'], {sort: 'confidence'})` → `#/review/ds1?sort=confidence`. */
export function href(area: string, rest: readonly string[] = [], query: Record<string, string> = {}): string {
  const path = [area, ...rest].map((s) => encodeURIComponent(s)).join('/');
  const q = new URLSearchParams(query).toString();
  return `#/${path}${q ? `?${q}` : ''}`;
}
