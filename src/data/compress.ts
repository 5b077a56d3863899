// Input compression: LANTERN kept only a posting's requirements and cut input length by ~80%.
// compressDescription keeps the requirement sections (requirements / qualifications / must-have /
// nice-to-have) and drops the rest (about us, responsibilities, benefits, EEO statements). A posting
// without recognizable section headings keeps the lines that state a requirement (a skill, years,
// a degree or a certificate); one with none of those is kept whole rather than emptied.
import type { Example } from './schema.ts';
import { findCertifications, findDegrees, findSkills, findYearsRequired } from './lexicon.ts';

export type SectionKind = 'requirements' | 'niceToHave' | 'responsibilities' | 'about' | 'benefits' | 'eeo' | 'other';

/** Sections kept by compression. */
export const KEPT_SECTIONS: readonly SectionKind[] = ['requirements', 'niceToHave'];

// Checked in order: "preferred qualifications" is nice-to-have before "qualifications" is a requirement.
const HEADING_KINDS: [SectionKind, RegExp][] = [
  ['niceToHave', /\b(nice[\s-]to[\s-]haves?|preferred( qualifications| skills)?|bonus( points)?|pluses|plus if|desired|good to have|would be a plus|it's a plus)\b/i],
  ['requirements', /\b(requirements?|required|qualifications?|must[\s-]haves?|what you('ll| will)? (need|bring)|what we('re| are) looking for|you have|who you are|skills|experience|minimum|about you|competenc)/i],
  ['responsibilities', /\b(responsibilit|what you('ll| will) do|the role|day[\s-]to[\s-]day|duties|your (mission|impact)|key tasks|in this role)/i],
  ['benefits', /\b(benefits|perks|what we offer|why join|compensation|we offer|salary)/i],
  ['about', /\b(about (us|the company|the team)|who we are|our (story|mission|company)|company overview)/i],
  ['eeo', /\b(equal (employment )?opportunity|eeo|diversity|inclusion)/i],
];

const EEO_TEXT = /equal opportunity employer|without regard to|protected characteristic|reasonable accommodations?|we do not discriminate/i;

export interface Section {
  kind: SectionKind;
  heading: string | null;
  lines: string[];
}

/** A heading: a short line without a bullet or final period, optionally "## …" or "…:". */
function headingKind(line: string): SectionKind | null {
  const t = line.trim();
  if (t.length === 0 || t.length > 60) return null;
  if (/^([-•*–]|\d+[.)])\s/.test(t)) return null;
  const bare = t.replace(/^#+\s*/, '').replace(/:$/, '');
  if (/[.!?]$/.test(bare) || bare.split(/\s+/).length > 8) return null;
  const markedAsHeading = t.startsWith('#') || t.endsWith(':') || bare === bare.toUpperCase() || /^[A-Z]/.test(bare);
  if (!markedAsHeading) return null;
  for (const [kind, re] of HEADING_KINDS) if (re.test(bare)) return kind;
  return null;
}

export function splitSections(description: string): Section[] {
  const sections: Section[] = [{ kind: 'other', heading: null, lines: [] }];
  for (const line of description.split(/\r?\n/)) {
    const kind = headingKind(line);
    if (kind) sections.push({ kind, heading: line.trim(), lines: [] });
    // An EEO statement is boilerplate wherever it sits, usually as a last paragraph without a heading.
    else if (EEO_TEXT.test(line)) sections.push({ kind: 'eeo', heading: null, lines: [line.trimEnd()] });
    else if (line.trim()) sections[sections.length - 1]!.lines.push(line.trimEnd());
  }
  return sections.filter((s) => s.heading !== null || s.lines.length > 0);
}

function statesRequirement(line: string): boolean {
  return findSkills(line).length > 0 || findYearsRequired(line) !== null || findDegrees(line).length > 0 || findCertifications(line).length > 0;
}

export interface CompressedDescription {
  text: string;
  /** 'sections': requirement sections found; 'lines': no headings, requirement lines kept; 'none': kept whole. */
  method: 'sections' | 'lines' | 'none';
}

/** One piece of a description: a section (with its heading) or, without sections, a line or sentence. */
export interface CompressionSegment {
  text: string;
  kept: boolean;
  /** The section's kind; null for the line-by-line method. */
  kind: SectionKind | null;
}

/** The description cut into the pieces compression keeps or drops, in order (the Data page highlights the kept ones). */
export function compressionSegments(description: string): { method: CompressedDescription['method']; segments: CompressionSegment[] } {
  const sections = splitSections(description);
  if (sections.some((s) => s.kind === 'requirements' && s.lines.length > 0)) {
    const segments = sections.map((s) => ({
      text: [s.heading, ...s.lines].filter((l) => l !== null).join('\n'),
      kept: KEPT_SECTIONS.includes(s.kind) && s.lines.length > 0,
      kind: s.kind,
    }));
    return { method: 'sections', segments };
  }
  const segments = description
    .split(/\r?\n|(?<=[.;])\s+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => ({ text: l, kept: !EEO_TEXT.test(l) && statesRequirement(l), kind: null }));
  if (segments.some((s) => s.kept)) return { method: 'lines', segments };
  return { method: 'none', segments: [{ text: description, kept: true, kind: null }] };
}

export function compressDescription(description: string): CompressedDescription {
  const { method, segments } = compressionSegments(description);
  if (method === 'none') return { text: description, method };
  const kept = segments.filter((s) => s.kept).map((s) => s.text);
  return { text: kept.join(method === 'sections' ? '\n\n' : '\n'), method };
}

export interface CompressionReport {
  examples: number;
  /** Job descriptions only. */
  charsBefore: number;
  charsAfter: number;
  /** 1 − after/before, e.g. 0.6 = 60% shorter. */
  charReduction: number;
  tokensBefore: number | null;
  tokensAfter: number | null;
  tokenReduction: number | null;
  /** How many postings were cut by sections, by requirement lines, or left whole. */
  methods: Record<CompressedDescription['method'], number>;
}

/** The length reduction compression achieves on a dataset's job descriptions (tokens when a counter is given). */
export function compressionReport(examples: readonly Example[], countTokens?: (text: string) => number): CompressionReport {
  let charsBefore = 0;
  let charsAfter = 0;
  let tokensBefore = 0;
  let tokensAfter = 0;
  const methods = { sections: 0, lines: 0, none: 0 };
  for (const e of examples) {
    const c = compressDescription(e.job.description);
    methods[c.method]++;
    charsBefore += e.job.description.length;
    charsAfter += c.text.length;
    if (countTokens) {
      tokensBefore += countTokens(e.job.description);
      tokensAfter += countTokens(c.text);
    }
  }
  const reduction = (before: number, after: number) => (before === 0 ? 0 : 1 - after / before);
  return {
    examples: examples.length,
    charsBefore,
    charsAfter,
    charReduction: reduction(charsBefore, charsAfter),
    tokensBefore: countTokens ? tokensBefore : null,
    tokensAfter: countTokens ? tokensAfter : null,
    tokenReduction: countTokens ? reduction(tokensBefore, tokensAfter) : null,
    methods,
  };
}
