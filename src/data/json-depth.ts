// Nesting depth of JSON, measured without recursion. JSON.parse copes with any depth, but every
// recursive walk after it (JSON.stringify, structuredClone, zod, a flattener) overflows the stack
// on a few thousand levels; hostile input is refused at this depth instead, before it is walked.

/** Deeper than any pair, label or experiment (about 6 levels) will ever need. */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** The deepest nesting of arrays and objects in a value (a breadth-first walk, stopped past `limit`). */
export function valueDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let level: unknown[] = [value];
  let depth = 0;
  while (depth <= limit) {
    const next: unknown[] = [];
    for (const v of level) if (v !== null && typeof v === 'object') for (const child of Object.values(v as object)) next.push(child);
    if (next.length === 0 && !level.some((v) => v !== null && typeof v === 'object')) return depth;
    depth++;
    level = next;
  }
  return depth;
}

/** The message every reader of JSON gives when it refuses deep nesting. */
export function tooDeepMessage(depth: number, limit = MAX_JSON_DEPTH): string {
  return `the JSON is nested ${depth > limit ? `more than ${limit}` : depth} levels deep; at most ${limit} are accepted`;
}
