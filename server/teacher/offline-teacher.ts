// The offline teacher: a deterministic rule-based teacher that follows the same five-step chain as
// the LLM teacher, over the texts, with the shared lexicon (src/data/lexicon.ts). It needs no
// network, which makes `npm start` a complete offline demo. It says it is rule-based wherever it is
// described (its model name and /api/teacher/info).
//
// Label probabilities: a fit score s ∈ [0, 1] (weighted share of requirements met) becomes
// p(label) = softmax_k(−(s − c_k)² / T) with centres c = {low 0.15, medium 0.55, high 0.9} and
// temperature T = 0.04: confident far from the decision boundaries (s ≈ 0.35 and s ≈ 0.725), close
// to 50/50 on them. The label is always the most probable one. T was fitted to the demo generator's
// intended fit (src/data/demo.ts): on 1500 pairs (seed 11) T = 0.04 gives the lowest NLL (0.351)
// and an expected calibration error of 0.025 (T = 0.02: 0.081; T = 0.1: 0.165); the label agrees
// with the intended fit on 87% of pairs.
import type { FitLabel, LabelProbs, Pair, TeacherRef } from '../../src/data/schema.ts';
import { FIT_LABELS } from '../../src/data/schema.ts';
import {
  canonicalCertification,
  canonicalSkill,
  CERTIFICATIONS,
  educationRank,
  findCertifications,
  findDegrees,
  findSeniority,
  findSkills,
  findYearsRequired,
  highestDegree,
  occupationOfTitle,
  type EducationLevel,
} from '../../src/data/lexicon.ts';
import { mulberry32 } from '../../src/data/rng.ts';
import { sha256HexSync } from '../../src/data/hash.ts';
import { normalisePair, type TeacherInput } from './normalise.ts';
import type { ChainSteps, Evaluation, Qualification, Requirement, TeacherResult } from './steps.ts';
import { TEMPLATE_VERSION } from './templates.ts';

export const OFFLINE_MODEL = 'lantern-rule-based-teacher-v1';
export const OFFLINE_DESCRIPTION =
  'Built-in rule-based teacher (no language model, no network): it reads requirements and qualifications with the skill lexicon, ' +
  'years and seniority, education, certifications and location, scores the fit, and writes templated explanations that cite only what the inputs contain.';

/** Fit-score centres and softmax temperature of the calibrated label probabilities (see header). */
export const FIT_CENTRES: Record<FitLabel, number> = { low: 0.15, medium: 0.55, high: 0.9 };
export const FIT_TEMPERATURE = 0.04;
const NICE_WEIGHT = 0.35;
const STATUS_VALUE = { met: 1, partial: 0.5, missing: 0 } as const;

type Section = 'must' | 'nice' | 'ignore';

/** Headings that open a section of a posting. */
const NICE_HEADING = /\b(nice[\s-]to[\s-]haves?|preferred|bonus|desirable|pluses|good to have|extra credit)\b/i;
const MUST_HEADING = /\b(requirements?|must[\s-]haves?|qualifications|what you('|’)?ll need|what we('|’)?re looking for|you have|required|who you are|minimum)\b/i;
const IGNORE_HEADING = /\b(benefits|perks|we offer|about (us|the company)|compensation|salary|equal opportunity|how to apply)\b/i;
const RESPONSIBILITY_HEADING = /\b(responsibilit(y|ies)|what you('|’)?ll do|the role|duties|day to day|your impact)\b/i;
/** A sentence that marks itself optional wherever it stands. */
const NICE_SENTENCE = /\b(nice[\s-]to[\s-]have|a plus|is a bonus|preferred|ideally|desirable|helpful|bonus points)\b/i;

interface Segment {
  text: string;
  section: Section;
}

/** Splits a posting into sentences, each tagged with the section it sits in. */
function segmentPosting(description: string): Segment[] {
  const out: Segment[] = [];
  let section: Section = 'must';
  let responsibilities = false;
  for (const rawLine of description.split('\n')) {
    const line = rawLine.replace(/^[\s•*\-–·]+/, '').trim();
    if (!line) continue;
    const isHeading = line.length <= 60 && (/:$/.test(line) || !/[.!?]$/.test(line)) && line.split(/\s+/).length <= 7;
    if (isHeading || /^[^.!?]{0,50}:\s/.test(line)) {
      const head = isHeading ? line : line.slice(0, line.indexOf(':'));
      if (NICE_HEADING.test(head)) (section = 'nice'), (responsibilities = false);
      else if (IGNORE_HEADING.test(head)) (section = 'ignore'), (responsibilities = false);
      else if (RESPONSIBILITY_HEADING.test(head)) (section = 'nice'), (responsibilities = true);
      else if (MUST_HEADING.test(head)) (section = 'must'), (responsibilities = false);
    }
    for (const sentence of line.split(/(?<=[.!?;])\s+/)) {
      if (!sentence) continue;
      const own: Section = section !== 'ignore' && NICE_SENTENCE.test(sentence) ? 'nice' : section;
      // Tools named among the duties are wanted, but softer than the listed requirements.
      out.push({ text: sentence, section: responsibilities && own === 'must' ? 'nice' : own });
    }
  }
  return out;
}

const CERTIFICATION_NAMES = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${CERTIFICATIONS.flatMap((c) => [c.name, ...(c.variants ?? [])])
    .sort((a, b) => b.length - a.length)
    .map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('|')})(?![\\p{L}\\p{N}])`,
  'giu',
);

function withoutCertifications(text: string): string {
  return text.replace(CERTIFICATION_NAMES, ' ; ');
}

const DEGREE_WORDS: Record<Exclude<EducationLevel, 'none'>, string> = {
  'high school': 'a high school diploma',
  associate: "an associate's degree",
  bachelor: "a bachelor's degree",
  master: "a master's degree",
  doctorate: 'a doctorate',
};

interface Facts {
  requirements: Requirement[];
  /** Per requirement id: what it asks for, in a form the evaluator can compare. */
  asks: Map<string, Ask>;
}

type Ask =
  | { kind: 'skill'; skill: string }
  | { kind: 'years'; years: number; source: 'stated' | 'seniority' }
  | { kind: 'degree'; level: Exclude<EducationLevel, 'none'> }
  | { kind: 'certification'; name: string }
  | { kind: 'location'; location: string; policy: 'onsite' | 'hybrid' };

/** Step 1: the job's requirements. */
function extractRequirements(input: TeacherInput): Facts {
  const { job } = input;
  const requirements: Requirement[] = [];
  const asks = new Map<string, Ask>();
  const add = (text: string, kind: 'must' | 'nice', category: Requirement['category'], ask: Ask) => {
    const id = `r${requirements.length + 1}`;
    requirements.push({ id, text, kind, category });
    asks.set(id, ask);
  };
  // One text per section (sentences kept apart by ";" so no phrase spans two): the lexicon's
  // matchers are the costly part, so they run a few times per posting, not once per sentence.
  const sections: Record<'must' | 'nice', string[]> = { must: [], nice: [] };
  for (const seg of segmentPosting(job.description)) if (seg.section !== 'ignore') sections[seg.section].push(seg.text);
  const mustText = sections.must.join('\n;\n');
  const niceText = sections.nice.join('\n;\n');
  const wanted = (find: (t: string) => string[]) => {
    const kindOf = new Map<string, 'must' | 'nice'>();
    for (const name of [...find(job.title), ...find(mustText)]) kindOf.set(name, 'must');
    for (const name of find(niceText)) if (!kindOf.has(name)) kindOf.set(name, 'nice');
    return kindOf;
  };

  // "Project Management Professional certification" names a certification, not the skill inside it.
  for (const [skill, kind] of wanted((t) => findSkills(withoutCertifications(t)))) add(skill, kind, 'skill', { kind: 'skill', skill });

  const mustYears = findYearsRequired(mustText);
  const years = mustYears !== null ? { years: mustYears, kind: 'must' as const } : findYearsRequired(niceText) !== null ? { years: findYearsRequired(niceText)!, kind: 'nice' as const } : null;
  if (years) add(`${years.years}+ years of experience`, years.kind, 'experience', { kind: 'years', years: years.years, source: 'stated' });
  else {
    const seniority = findSeniority(job.title);
    if (seniority && seniority.minYears > 0) {
      add(`${seniority.word}-level experience (${seniority.minYears}+ years)`, 'must', 'experience', { kind: 'years', years: seniority.minYears, source: 'seniority' });
    }
  }

  // "Bachelor's or master's": the lowest level the must-haves name is the bar.
  const mustDegrees = findDegrees(mustText);
  const niceDegrees = findDegrees(niceText);
  const degree = mustDegrees.length ? { level: mustDegrees.at(-1)!, kind: 'must' as const } : niceDegrees.length ? { level: niceDegrees.at(-1)!, kind: 'nice' as const } : null;
  if (degree) add(DEGREE_WORDS[degree.level], degree.kind, 'education', { kind: 'degree', level: degree.level });

  for (const [name, kind] of wanted(findCertifications)) add(name, kind, 'certification', { kind: 'certification', name });

  if (job.remotePolicy !== 'remote' && job.location) {
    const where = job.remotePolicy === 'onsite' ? `on-site work in ${job.location}` : `hybrid work near ${job.location}`;
    add(where, 'must', 'location', { kind: 'location', location: job.location, policy: job.remotePolicy });
  }
  return { requirements, asks };
}


interface Profile {
  qualifications: Qualification[];
  /** Canonical skill → where the profile shows it. */
  skills: Map<string, 'skills' | 'experience' | 'summary'>;
  certifications: Set<string>;
  degree: EducationLevel;
  degreeText: string;
  totalYears: number;
  /** Years in roles of the job's occupation (all years when the occupation is unknown). */
  relevantYears: number;
  relevantRoles: string[];
}

/** Step 2: the candidate's qualifications. */
function extractQualifications(input: TeacherInput): Profile {
  const { profile, job } = input;
  const skills = new Map<string, 'skills' | 'experience' | 'summary'>();
  for (const s of profile.skills) {
    const name = canonicalSkill(s) ?? findSkills(s)[0];
    if (name && !skills.has(name)) skills.set(name, 'skills');
  }
  const history = profile.experience.map((e) => `${e.title}. ${e.description}`).join('\n;\n');
  for (const name of findSkills(history)) if (!skills.has(name)) skills.set(name, 'experience');
  for (const name of findSkills(`${profile.headline}. ${profile.summary}`)) if (!skills.has(name)) skills.set(name, 'summary');

  const certifications = new Set<string>();
  for (const c of profile.certifications) {
    const name = canonicalCertification(c) ?? findCertifications(c)[0];
    if (name) certifications.add(name);
  }
  for (const name of findCertifications(`${profile.summary} ${profile.experience.map((e) => e.description).join(' ')}`)) certifications.add(name);

  let degree: EducationLevel = 'none';
  let degreeText = '';
  for (const e of profile.education) {
    const level = highestDegree(e.degree);
    if (educationRank(level) > educationRank(degree)) {
      degree = level;
      degreeText = [e.degree, e.field].filter(Boolean).join(' in ');
    }
  }

  const jobOccupation = occupationOfTitle(job.title);
  const totalYears = profile.experience.reduce((sum, e) => sum + e.years, 0);
  const relevant = profile.experience.filter((e) => !jobOccupation || occupationOfTitle(e.title) === jobOccupation);
  const relevantYears = relevant.reduce((sum, e) => sum + e.years, 0);

  const qualifications: Qualification[] = [];
  for (const [name, where] of skills) qualifications.push({ text: where === 'skills' ? name : `${name} (mentioned in ${where === 'experience' ? 'work history' : 'summary'})`, category: 'skill' });
  for (const e of profile.experience) qualifications.push({ text: `${e.years} years as ${e.title}${e.company ? ` at ${e.company}` : ''}`, category: 'experience' });
  for (const e of profile.education) if (e.degree) qualifications.push({ text: [e.degree, e.field].filter(Boolean).join(' in ') + (e.school ? `, ${e.school}` : ''), category: 'education' });
  for (const c of profile.certifications) qualifications.push({ text: c, category: 'certification' });
  if (profile.location) qualifications.push({ text: `based in ${profile.location}`, category: 'location' });

  return {
    qualifications,
    skills,
    certifications,
    degree,
    degreeText,
    totalYears,
    relevantYears,
    relevantRoles: relevant.map((e) => e.title),
  };
}

function placeParts(location: string): string[] {
  return location
    .toLowerCase()
    .split(/[,/()]+/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Step 3: each requirement met, partial or missing, with evidence from the profile. */
function evaluate(facts: Facts, p: Profile, input: TeacherInput): Evaluation[] {
  return facts.requirements.map((r) => {
    const ask = facts.asks.get(r.id)!;
    const result = (status: Evaluation['status'], evidence: string): Evaluation => ({ requirementId: r.id, status, evidence });
    switch (ask.kind) {
      case 'skill': {
        const where = p.skills.get(ask.skill);
        if (where === 'skills') return result('met', `lists ${ask.skill} among skills`);
        if (where === 'experience') return result('met', `used ${ask.skill} in past roles`);
        if (where === 'summary') return result('partial', `mentions ${ask.skill} only in the summary`);
        return result('missing', '');
      }
      case 'years': {
        const years = p.relevantYears;
        const roles = p.relevantRoles.length ? ` as ${listOf(p.relevantRoles.slice(0, 2))}` : '';
        if (years >= ask.years) return result('met', `${years} years of relevant experience${roles}`);
        if (years >= 0.6 * ask.years || p.totalYears >= ask.years) {
          return result('partial', years > 0 ? `${years} years of relevant experience${roles}, ${p.totalYears} in total` : `${p.totalYears} years of experience in other roles`);
        }
        return result('missing', p.totalYears > 0 ? `${years} years of relevant experience` : '');
      }
      case 'degree': {
        const gap = educationRank(ask.level) - educationRank(p.degree);
        if (gap <= 0) return result('met', p.degreeText);
        if (gap === 1 && p.degree !== 'none') return result('partial', p.degreeText);
        return result('missing', p.degreeText);
      }
      case 'certification':
        return p.certifications.has(ask.name) ? result('met', `holds ${ask.name}`) : result('missing', '');
      case 'location': {
        const here = input.profile.location;
        if (!here) return result('partial', 'the profile gives no location');
        const want = placeParts(ask.location);
        const have = placeParts(here);
        if (want[0] && have[0] === want[0]) return result('met', `based in ${here}`);
        if (want.some((w) => have.includes(w))) return result('partial', `based in ${here}`);
        return result('missing', `based in ${here}`);
      }
    }
  });
}

/** The weighted share of requirements met: must-haves count fully, nice-to-haves a third. */
export function fitScore(requirements: Requirement[], evaluations: Evaluation[]): number {
  const byId = new Map(evaluations.map((e) => [e.requirementId, e]));
  let total = 0;
  let got = 0;
  for (const r of requirements) {
    const w = r.kind === 'must' ? 1 : NICE_WEIGHT;
    total += w;
    got += w * STATUS_VALUE[byId.get(r.id)?.status ?? 'missing'];
  }
  return total === 0 ? 0.5 : got / total;
}

/** The calibrated label distribution for a fit score (see the header for the formula). */
export function labelProbsForScore(score: number): LabelProbs {
  const logits = FIT_LABELS.map((l) => -((score - FIT_CENTRES[l]) ** 2) / FIT_TEMPERATURE);
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return { low: exps[0]! / sum, medium: exps[1]! / sum, high: exps[2]! / sum };
}

function argmaxLabel(probs: LabelProbs): FitLabel {
  return FIT_LABELS.reduce((best, l) => (probs[l] > probs[best] ? l : best), FIT_LABELS[0] as FitLabel);
}

// --- step 5: explanations -------------------------------------------------------------------------
// Varied wording chosen by a PRNG seeded from the input, so the same pair always reads the same.
// The fixed words below name no skill of the lexicon (the grounding test checks this on many pairs).

function prng(seedHex: string): () => number {
  return mulberry32(parseInt(seedHex.slice(0, 8), 16));
}

function listOf(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const OPENERS: Record<FitLabel, ((title: string) => string)[]> = {
  high: [
    (t) => `The candidate is a strong match for the ${t} role.`,
    (t) => `This profile lines up well with what the ${t} posting asks for.`,
    (t) => `High fit for ${t}: the profile covers the core of the role.`,
    (t) => `For the ${t} opening, this candidate checks nearly every box.`,
  ],
  medium: [
    (t) => `The candidate is a partial match for the ${t} role.`,
    (t) => `Medium fit for ${t}: a good part of the role is covered, with clear gaps.`,
    (t) => `This profile meets some of what the ${t} posting asks for, but not all of it.`,
    (t) => `For the ${t} opening, the candidate is plausible but not a clear match.`,
  ],
  low: [
    (t) => `The candidate is a weak match for the ${t} role.`,
    (t) => `Low fit for ${t}: most of what the posting asks for is absent from the profile.`,
    (t) => `This profile falls well short of the ${t} posting.`,
    (t) => `For the ${t} opening, the candidate misses too much of the core of the role.`,
  ],
};

/** Phrasings take the list and how many items it has (for "the gap is" / "the gaps are"). */
type Phrase = (items: string, n: number) => string;

const MET: Phrase[] = [
  (x) => `The profile shows ${x}, as the posting requires.`,
  (x) => `On the plus side, the candidate brings ${x}.`,
  (x) => `Required items that are covered: ${x}.`,
  (x) => `They have ${x}, which the role calls for.`,
];

const MISSING: Phrase[] = [
  (x, n) => `However, the posting asks for ${x}, and the profile does not show ${n === 1 ? 'it' : 'them'}.`,
  (x) => `Missing from the profile: ${x}.`,
  (x) => `There is no sign of ${x} on the profile.`,
  (x, n) => (n === 1 ? `The main gap is ${x}.` : `The main gaps are ${x}.`),
];

const PARTIAL: Phrase[] = [
  (x) => `Only partly covered: ${x}.`,
  (x) => `Some requirements are met only in part (${x}).`,
  (x) => `The evidence is thin for ${x}.`,
];

const NICE: Phrase[] = [
  (x) => `Among the nice-to-haves, the candidate also has ${x}.`,
  (x) => `Extras the posting would welcome: ${x}.`,
];

function describeRequirement(r: Requirement, e: Evaluation | undefined, withEvidence: boolean): string {
  if (!withEvidence || !e?.evidence || r.category === 'skill' || r.category === 'certification') return r.text;
  return `${r.text} (${e.evidence})`;
}

function explain(title: string, requirements: Requirement[], evaluations: Evaluation[], label: FitLabel, seed: string): string {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const byId = new Map(evaluations.map((e) => [e.requirementId, e]));
  const withStatus = (kind: 'must' | 'nice', status: Evaluation['status']) => requirements.filter((r) => r.kind === kind && byId.get(r.id)?.status === status);

  const metMust = withStatus('must', 'met');
  const missingMust = withStatus('must', 'missing');
  const partialMust = withStatus('must', 'partial');
  const metNice = withStatus('nice', 'met');
  const cap = (rs: Requirement[], n: number, evidence: boolean) => rs.slice(0, n).map((r) => describeRequirement(r, byId.get(r.id), evidence));

  const sentences = [pick(OPENERS[label])(title)];
  const body: string[] = [];
  const say = (phrases: Phrase[], items: string[]) => pick(phrases)(listOf(items), items.length);
  if (metMust.length) body.push(say(MET, cap(metMust, 4, rand() < 0.5)));
  if (partialMust.length) body.push(say(PARTIAL, cap(partialMust, 3, true)));
  if (missingMust.length) body.push(say(MISSING, cap(missingMust, 4, false)));
  if (metNice.length && (label !== 'low' || rand() < 0.5)) body.push(say(NICE, cap(metNice, 3, false)));
  if (!metMust.length && !missingMust.length && !partialMust.length) body.push('The posting states few explicit requirements, so the rating rests on the nice-to-haves.');
  // Gaps first for a low fit, strengths first otherwise; sometimes the other way for variety.
  if (label === 'low' ? rand() < 0.7 : rand() < 0.25) body.reverse();
  sentences.push(...body);
  return sentences.join(' ');
}

export class OfflineTeacher {
  readonly identity: TeacherRef = { provider: 'offline', model: OFFLINE_MODEL, templateVersion: TEMPLATE_VERSION };

  describe() {
    return { ...this.identity, kind: 'rule-based' as const, description: OFFLINE_DESCRIPTION, labelProbs: `softmax over a fit score, temperature ${FIT_TEMPERATURE}`, network: false };
  }

  /** The whole chain; pure and synchronous apart from the timestamp. */
  labelSync(pair: Pair): TeacherResult {
    const input = normalisePair(pair);
    const facts = extractRequirements(input);
    const profile = extractQualifications(input);
    const evaluations = evaluate(facts, profile, input);
    const labelProbs = labelProbsForScore(fitScore(facts.requirements, evaluations));
    const label = argmaxLabel(labelProbs);
    const steps: ChainSteps = {
      requirements: facts.requirements,
      qualifications: profile.qualifications,
      evaluations,
      rating: { label, answer: label },
    };
    const seed = sha256HexSync(JSON.stringify(input));
    return {
      exampleId: pair.id,
      teacher: this.identity,
      label,
      labelProbs,
      labelProbsSource: 'rule-based',
      explanation: explain(input.job.title, facts.requirements, evaluations, label, seed),
      steps,
      usage: { promptTokens: 0, completionTokens: 0, upstreamCalls: 0, cachedSteps: 0 },
      cached: false,
      createdAt: new Date().toISOString(),
    };
  }

  async label(pair: Pair): Promise<TeacherResult> {
    return this.labelSync(pair);
  }
}
