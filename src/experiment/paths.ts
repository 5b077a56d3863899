// Config paths such as "stages.0.loss.divergence": how sweeps, share-link diffs and error messages
// name one field of an experiment. Segments are object keys or array indices, joined by dots.

export type PathSegment = string | number;

export function parsePath(path: string): PathSegment[] {
  if (path.trim() === '') throw new Error('a config path must not be empty');
  return path.split('.').map((segment) => {
    if (segment === '') throw new Error(`"${path}" has an empty segment`);
    return /^\d+$/.test(segment) ? Number(segment) : segment;
  });
}

export function formatPath(segments: readonly PropertyKey[]): string {
  return segments.length === 0 ? '(root)' : segments.map(String).join('.');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path`, or undefined when any step is missing. */
export function getPath(root: unknown, path: string | readonly PathSegment[]): unknown {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  let node: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isRecord(node) && typeof segment === 'string') node = node[segment];
    else return undefined;
  }
  return node;
}

/**
 * A deep copy of `root` with `value` at `path`. Missing objects on the way are created; an index
 * past the end of an existing array is an error (sweeps never invent stages).
 */
export function setPath<T>(root: T, path: string | readonly PathSegment[], value: unknown): T {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  const copy = structuredClone(root) as unknown;
  if (segments.length === 0) return value as T;
  let node: unknown = copy;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (Array.isArray(node)) {
      if (typeof segment !== 'number' || segment >= node.length) throw new Error(`${formatPath(segments.slice(0, i + 1))}: no such array element`);
      if (last) node[segment] = structuredClone(value);
      else node = node[segment];
    } else if (isRecord(node)) {
      const key = String(segment);
      if (last) node[key] = structuredClone(value);
      else {
        if (node[key] === undefined) node[key] = {};
        node = node[key];
      }
    } else {
      throw new Error(`${formatPath(segments.slice(0, i))} is not an object`);
    }
  });
  return copy as T;
}

/** Structural equality of JSON-like values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
