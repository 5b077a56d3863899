// Share links: the whole experiment in the URL hash, never sent to a server.
//
//   #x=<base64url(deflate-raw(minimal JSON) ‖ CRC-32 of that JSON)>[&s=<same encoding of a results summary>]
//
// Minimal JSON keeps only the fields that differ from their defaults (schema.ts
// minimalExperiment), so links stay short; decoding fills the defaults back in, ignores unknown
// keys with warnings and rejects anything else with a ShareLinkError that leaves the caller's
// state untouched. Datasets travel by reference (id / content hash / demo recipe), never embedded;
// API keys are not part of the schema at all.
//
// Compression: fflate's synchronous deflateSync/inflateSync (raw DEFLATE, the same bytes as
// CompressionStream('deflate-raw')) — chosen over CompressionStream because it is synchronous and
// behaves the same in Node and every browser. Raw DEFLATE carries no checksum, so a CRC-32 of the
// JSON follows it: an edited or truncated link is caught instead of decoding to another experiment.
// Decoding inflates in small steps and stops at MAX_JSON_BYTES, so a decompression bomb never
// reaches memory. When a summary follows, the experiment's CRC covers the JSON plus "&s": a link
// cut at the "&" still decodes, and says that its summary was lost.

import { deflateSync, Inflate } from 'fflate';
import { z } from 'zod';
import { ExperimentError, minimalExperiment, safeParseExperiment, type ExperimentConfig, type ExperimentIssue } from './schema.ts';

export class ShareLinkError extends Error {
  override name = 'ShareLinkError';
  constructor(
    message: string,
    /** The invalid fields, when the link decoded but described an invalid experiment. */
    readonly issues: ExperimentIssue[] = [],
  ) {
    super(message);
  }
}

/** Results that may ride along with a link: row label (a stage or run) → metric name → value. */
export const ShareSummary = z.record(
  z.string().min(1).max(60),
  z.record(z.string().min(1).max(40), z.number().refine(Number.isFinite, 'summary values must be finite numbers')),
);
export type ShareSummary = z.infer<typeof ShareSummary>;

/** Generous bounds: Chrome drops URLs over 2 MiB; a normal experiment is a few hundred bytes. */
const MAX_PART_CHARS = 32_768;
const MAX_JSON_BYTES = 512 * 1024;
const MAX_SUMMARY_ROWS = 32;
const MAX_SUMMARY_METRICS = 16;
/** Compressed bytes inflated at a time: DEFLATE expands at most ~1032×, so one step yields ≤ ~264 KB. */
const INFLATE_STEP = 256;
/** Appended to the experiment's JSON for its CRC when a summary follows (never to the link itself). */
const SUMMARY_FOLLOWS = new TextEncoder().encode('&s');

// ── bytes ──────────────────────────────────────────────────────────────────────────────────────

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as in zip and PNG). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new ShareLinkError('the link is damaged: it contains characters a share link never has');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function encodeJson(value: unknown, opts: { summaryFollows?: boolean } = {}): string {
  const json = new TextEncoder().encode(JSON.stringify(value));
  const body = deflateSync(json, { level: 9 });
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(opts.summaryFollows ? concat(json, SUMMARY_FOLLOWS) : json));
  return toBase64Url(out);
}

/** Raw DEFLATE, inflated a little at a time and abandoned as soon as the output passes `cap`. */
function inflateCapped(body: Uint8Array, cap: number, what: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > cap) throw new ShareLinkError(`the link's ${what} is too large: it inflates to more than ${cap} bytes`);
    parts.push(chunk);
  });
  try {
    for (let at = 0; at < body.length; at += INFLATE_STEP) inflater.push(body.subarray(at, at + INFLATE_STEP), at + INFLATE_STEP >= body.length);
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError(`the link's ${what} is damaged or truncated (it does not decompress)`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function decodeJson(part: string, what: string): { value: unknown; summaryFollows: boolean } {
  if (part.length === 0) throw new ShareLinkError(`the link's ${what} is empty`);
  if (part.length > MAX_PART_CHARS) throw new ShareLinkError(`the link's ${what} is too long (${part.length} characters)`);
  const bytes = fromBase64Url(part);
  if (bytes.length < 5) throw new ShareLinkError(`the link's ${what} is truncated`);
  const body = bytes.subarray(0, bytes.length - 4);
  const expectedCrc = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0);
  const json = inflateCapped(body, MAX_JSON_BYTES, what);
  const summaryFollows = crc32(json) !== expectedCrc && crc32(concat(json, SUMMARY_FOLLOWS)) === expectedCrc;
  if (!summaryFollows && crc32(json) !== expectedCrc) throw new ShareLinkError(`the link's ${what} is damaged or truncated (checksum mismatch)`);
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json)), summaryFollows };
  } catch {
    throw new ShareLinkError(`the link's ${what} is not valid JSON`);
  }
}

// ── links ──────────────────────────────────────────────────────────────────────────────────────

function roundSummary(summary: ShareSummary): ShareSummary {
  const rows = Object.entries(summary);
  if (rows.length > MAX_SUMMARY_ROWS) throw new ShareLinkError(`a share summary holds at most ${MAX_SUMMARY_ROWS} rows`);
  return Object.fromEntries(
    rows.map(([row, metrics]) => {
      const entries = Object.entries(metrics);
      if (entries.length > MAX_SUMMARY_METRICS) throw new ShareLinkError(`a share summary row holds at most ${MAX_SUMMARY_METRICS} metrics ("${row}")`);
      // Four significant digits: enough to compare runs, short in a URL.
      return [row, Object.fromEntries(entries.map(([k, v]) => [k, Number(v.toPrecision(4))]))];
    }),
  );
}

/** The hash part of a share link ("#x=…", plus "&s=…" when a summary is given). */
export function encodeShareLink(config: ExperimentConfig, options: { summary?: ShareSummary } = {}): string {
  let hash = `#x=${encodeJson(minimalExperiment(config), { summaryFollows: options.summary !== undefined })}`;
  if (options.summary !== undefined) {
    const checked = ShareSummary.safeParse(options.summary);
    if (!checked.success) throw new ShareLinkError(`invalid summary: ${checked.error.issues[0]!.message}`);
    hash += `&s=${encodeJson(roundSummary(checked.data))}`;
  }
  return hash;
}

export interface DecodedShareLink {
  config: ExperimentConfig;
  /** Unknown keys that were ignored, with their paths. */
  warnings: ExperimentIssue[];
  summary?: ShareSummary;
}

/**
 * Read a share link: a full URL, its hash ("#x=…") or the bare hash body ("x=…"). Throws
 * ShareLinkError (never anything else) when the link is missing, damaged, truncated, or
 * describes an invalid experiment.
 */
export function decodeShareLink(link: string): DecodedShareLink {
  try {
    return decode(link);
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError(`the link could not be read: ${(e as Error).message}`);
  }
}

function decode(link: string): DecodedShareLink {
  const hashAt = link.indexOf('#');
  const hash = (hashAt >= 0 ? link.slice(hashAt + 1) : link).trim();
  const parts = new Map<string, string>();
  for (const piece of hash.split('&')) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts.set(piece.slice(0, eq), piece.slice(eq + 1));
  }
  const x = parts.get('x');
  if (x === undefined) throw new ShareLinkError('this link holds no experiment (its hash has no "x=" part)');

  const experiment = decodeJson(x, 'experiment');
  const result = safeParseExperiment(experiment.value);
  if (!result.ok) {
    const detail = new ExperimentError(result.errors).message;
    throw new ShareLinkError(`the link describes an invalid experiment — ${detail}`, result.errors);
  }
  const decoded: DecodedShareLink = { config: result.config, warnings: result.warnings };
  const s = parts.get('s');
  if (s === undefined && experiment.summaryFollows) {
    // The experiment is whole (its checksum says so); only the results that rode along are gone.
    decoded.warnings.push({ path: '(link)', message: 'the link was cut short after the experiment: its results summary is missing (copy the whole link to see it)' });
  }
  if (s !== undefined) {
    const summary = ShareSummary.safeParse(decodeJson(s, 'summary').value);
    if (!summary.success) throw new ShareLinkError(`the link's summary is invalid: ${summary.error.issues[0]!.message}`);
    decoded.summary = summary.data;
  }
  return decoded;
}
