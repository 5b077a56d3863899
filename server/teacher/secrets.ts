// Keeping the API key and URL credentials out of everything the proxy shows, logs, stores or
// returns. A message may hold part of a key (an upstream body cut mid-key, an answer that echoes
// it across tokens), so redaction removes every run of 8 or more characters that occurs in the
// key, not only the whole key; URLs lose their user:password@ and their query.

/** Runs of the key at least this long are redacted wherever they appear. */
export const MIN_SECRET_FRAGMENT = 8;

const REDACTED = '[redacted]';

/** `text` without the key or any 8+ character piece of it (a shorter key is removed whole). */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || !text) return text;
  if (secret.length < MIN_SECRET_FRAGMENT) return text.split(secret).join(REDACTED);
  const windows = new Set<string>();
  for (let i = 0; i + MIN_SECRET_FRAGMENT <= secret.length; i++) windows.add(secret.slice(i, i + MIN_SECRET_FRAGMENT));
  let out = '';
  let kept = 0;
  for (let i = 0; i + MIN_SECRET_FRAGMENT <= text.length; ) {
    if (!windows.has(text.slice(i, i + MIN_SECRET_FRAGMENT))) {
      i++;
      continue;
    }
    // The longest piece of the key that starts here.
    let end = i + MIN_SECRET_FRAGMENT;
    while (end < text.length && secret.includes(text.slice(i, end + 1))) end++;
    out += text.slice(kept, i) + REDACTED;
    kept = i = end;
  }
  return out + text.slice(kept);
}

/** True when `text` holds the key or an 8+ character piece of it. */
export function containsSecret(text: string, secret: string | undefined): boolean {
  return Boolean(secret) && redactSecret(text, secret) !== text;
}

/** A copy of a JSON-like value with every string redacted (answers are small, validated objects). */
export function scrubStrings<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubStrings(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scrubStrings(v, redact)])) as T;
  }
  return value;
}

/** Every URL in `text` without user:password@ and without its query or fragment. */
export function stripUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@"'<>]*@)?([^\s?#"'<>]*)(?:[?#][^\s"'<>]*)?/gi, '$1$2');
}

/** How a URL is shown in messages: scheme, host, port and path only. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return stripUrlCredentials(url);
  }
}

const SECRET_PARAM = /key|token|secret|passw|auth|sig|credential/i;

/**
 * A base URL is configuration that is printed and logged: credentials in it (user:password@, or
 * a query parameter like api-key) would leak, and fetch refuses URLs with credentials anyway.
 * Throws a start-up error that says where the key belongs instead.
 */
export function checkBaseUrl(baseUrl: string, name = 'LANTERN_TEACHER_BASE_URL'): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`${name} is not a URL: "${stripUrlCredentials(baseUrl)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an http:// or https:// URL, got "${displayUrl(baseUrl)}"`);
  if (url.username || url.password) {
    throw new Error(`${name} must not hold credentials (user:password@ in ${displayUrl(baseUrl)}): put the key in LANTERN_TEACHER_API_KEY, which is sent as a bearer token and never printed`);
  }
  const secretParams = [...url.searchParams.keys()].filter((k) => SECRET_PARAM.test(k));
  if (secretParams.length) {
    throw new Error(`${name} must not hold credentials (the query parameter ${secretParams.join(', ')} of ${displayUrl(baseUrl)}): put the key in LANTERN_TEACHER_API_KEY, which is sent as a bearer token and never printed`);
  }
}
