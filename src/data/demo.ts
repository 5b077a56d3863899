// The demo dataset: realistic (job posting, member profile) pairs generated deterministically from
// a seed. Each example aims for a fit level (recorded as meta.intendedFit — a generator fact for
// tests and balance checks, never a teacher label). Fit levels are balanced: every block of three
// consecutive examples holds one low, one medium and one high, in a seeded order.
import { FIT_LABELS, type Education, type Example, type Experience, type FitLabel, type JobPosting, type MemberProfile, type RemotePolicy } from './schema.ts';
import {
  CERTIFICATIONS,
  OCCUPATIONS,
  SKILLS,
  educationRank,
  type EducationLevel,
  type Occupation,
  type OccupationDegree,
  type OccupationId,
} from './lexicon.ts';
import { createRng, deriveSeed, type Rng } from './rng.ts';

export interface DemoOptions {
  seed: number;
  n: number;
  /** Share of near-boundary cases (default 0.2). */
  ambiguousShare?: number;
}

/** Occupations whose skills partly transfer (a data analyst applying for a software role). */
const ADJACENT: Record<OccupationId, OccupationId[]> = {
  software: ['data'],
  data: ['software', 'marketing'],
  nursing: ['teaching'],
  accounting: ['operations'],
  sales: ['marketing'],
  design: ['marketing', 'software'],
  operations: ['accounting', 'sales'],
  teaching: ['nursing'],
  marketing: ['sales', 'design'],
};

const COMPANIES = [
  'Northwind Labs', 'Bluefin Health', 'Acme Logistics', 'Brightpath Learning', 'Copperleaf Finance', 'Helio Systems',
  'Maple & Finch', 'Quantive Analytics', 'Riverbend Medical Center', 'Summit Retail Group', 'Tandem Software',
  'Verdant Foods', 'Lumen Insurance', 'Orbital Payments', 'Cedar Valley School District', 'Pinecrest Hospital',
  'Kestrel Robotics', 'Harbor Freight Partners', 'Atlas Manufacturing', 'Nimbus Cloud', 'Greenway Energy',
  'Sable Design Studio', 'Juniper Media', 'Ironclad Security', 'Westfield Academy', 'Polaris Biotech',
];

const CITIES = [
  'Seattle, WA', 'Austin, TX', 'New York, NY', 'Chicago, IL', 'Denver, CO', 'Boston, MA', 'Atlanta, GA',
  'San Francisco, CA', 'Portland, OR', 'Minneapolis, MN', 'Raleigh, NC', 'Phoenix, AZ', 'Toronto, ON',
  'London, UK', 'Dublin, Ireland', 'Berlin, Germany', 'Amsterdam, Netherlands', 'Sydney, Australia',
];

const SCHOOLS = [
  'University of Washington', 'Ohio State University', 'University of Texas at Austin', 'Georgia Tech',
  'Arizona State University', 'University of Michigan', 'Penn State', 'University of Toronto',
  'Rutgers University', 'Purdue University', 'San Jose State University', 'Portland Community College',
  'University College Dublin', 'University of Manchester', 'Northeastern University',
];

interface Seniority {
  prefix: string;
  minYears: number;
}
const SENIORITIES: Seniority[] = [
  { prefix: 'Junior ', minYears: 1 },
  { prefix: '', minYears: 3 },
  { prefix: 'Senior ', minYears: 5 },
  { prefix: 'Lead ', minYears: 7 },
];

/** The hidden facts of a posting the profile is then written against. */
interface JobPlan {
  occupation: Occupation;
  title: string;
  yearsRequired: number;
  mustHave: string[];
  niceToHave: string[];
  degree: OccupationDegree | null;
  requiredCert: string | null;
  preferredCert: string | null;
}

export function generateDemoExamples(opts: DemoOptions): Example[] {
  const { seed, n } = opts;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${n}`);
  const ambiguousShare = opts.ambiguousShare ?? 0.2;
  const out: Example[] = [];
  for (let i = 0; i < n; i++) out.push(generateDemoExample(seed, i, ambiguousShare));
  return out;
}

/** Example i of the seed's stream: independent of how many are generated. */
export function generateDemoExample(seed: number, index: number, ambiguousShare = 0.2): Example {
  const block = Math.floor(index / 3);
  const order = createRng(deriveSeed(seed, -1 - block)).shuffle(FIT_LABELS);
  const intendedFit = order[index % 3]!;
  const rng = createRng(deriveSeed(seed, index));
  const occupation = rng.pick(OCCUPATIONS);
  const ambiguous = rng.chance(ambiguousShare);
  const plan = planJob(rng, occupation);
  const job = writeJob(rng, plan);
  const profile = writeProfile(rng, plan, job, intendedFit, ambiguous);
  return {
    id: `demo-${seed}-${String(index).padStart(5, '0')}`,
    job,
    profile,
    meta: { occupation: occupation.id, intendedFit, ambiguous, seed },
  };
}

// --- job posting ---------------------------------------------------------------------------------

function planJob(rng: Rng, occupation: Occupation): JobPlan {
  const seniority = rng.pick(SENIORITIES);
  const yearsRequired = Math.max(1, seniority.minYears + rng.int(-1, 1));
  const mustHave = rng.sample(occupation.mustHave, rng.int(3, 5));
  const niceToHave = rng.sample(occupation.niceToHave.filter((s) => !mustHave.includes(s)), rng.int(2, 4));
  const degree = rng.chance(0.8) ? (occupation.degrees.find((d) => d.level === 'bachelor') ?? occupation.degrees[0]!) : null;
  const needsLicence = occupation.id === 'nursing' || occupation.id === 'teaching';
  const requiredCert = needsLicence || rng.chance(0.25) ? occupation.certifications[0]! : null;
  const preferredCert = rng.chance(0.5) ? rng.pick(occupation.certifications.filter((c) => c !== requiredCert)) : null;
  return { occupation, title: seniority.prefix + rng.pick(occupation.titles), yearsRequired, mustHave, niceToHave, degree, requiredCert, preferredCert };
}

const BULLETS = ['- ', '• ', '* ', '– '];

function bulletList(rng: Rng, lines: string[]): string {
  const style = rng.pick([...BULLETS, 'numbered']);
  return lines.map((l, i) => (style === 'numbered' ? `${i + 1}. ` : style) + l).join('\n');
}

function heading(rng: Rng, options: string[]): string {
  const h = rng.pick(options);
  const styled = rng.int(0, 4);
  if (styled === 0) return h.toUpperCase();
  if (styled === 1) return `${h}:`;
  if (styled === 2) return `## ${h}`;
  return h;
}

const REQUIREMENT_HEADINGS = ['Requirements', "What you'll need", 'Must-have', 'Must have', 'Qualifications', 'Minimum qualifications', 'What we are looking for', 'You have'];
const NICE_HEADINGS = ['Nice to have', 'Nice-to-have', 'Preferred qualifications', 'Bonus points', 'Pluses', "It's a plus if you have"];
const RESPONSIBILITY_HEADINGS = ['Responsibilities', "What you'll do", 'The role', 'Your day to day', 'Key responsibilities'];
const ABOUT_HEADINGS = ['About us', 'Who we are', 'About the company', 'Our story'];
const BENEFIT_HEADINGS = ['Benefits', 'What we offer', 'Perks', 'Why join us'];

const ABOUT_TEMPLATES = [
  '{company} is a fast-growing team on a mission to make everyday work simpler. We have offices across three continents and a culture built on trust, curiosity and ownership.',
  'Founded in {year}, {company} serves more than {clients} customers. We believe great work comes from diverse teams who care about each other and about the people we serve.',
  'At {company}, we are proud of a collaborative, people-first environment. Our teams are small, our goals are ambitious, and we celebrate learning from mistakes.',
  '{company} has been recognized as a top workplace for {streak} years running. We invest in our people and in the communities where we work.',
];
const ABOUT_EXTRAS = [
  'Our products are used by teams in more than {countries} countries, from small non-profits to global enterprises.',
  'We are backed by long-term investors and have been profitable for several years, which lets us plan for the long run.',
  'We work in small, autonomous teams with a lot of trust, clear goals and very few meetings.',
  'Our values: be kind, be curious, own the outcome, and leave things better than you found them.',
  'We care deeply about sustainability and donate one percent of our revenue to local causes every year.',
  'You will join colleagues who love to teach, to learn and to celebrate each other\'s wins.',
];
const BENEFIT_LINES = [
  'Competitive salary and annual bonus', 'Medical, dental and vision insurance', '401(k) with company match', 'Generous paid time off and parental leave',
  'Learning and development budget', 'Flexible working hours', 'Home office stipend', 'Wellness programs and gym membership', 'Commuter benefits', 'Tuition reimbursement',
];
const EEO_TEMPLATES = [
  '{company} is an equal opportunity employer. All qualified applicants will receive consideration for employment without regard to race, color, religion, sex, sexual orientation, gender identity, national origin, disability or veteran status.',
  'We are committed to building a diverse and inclusive workplace and welcome applicants of all backgrounds. Reasonable accommodations are available on request during the hiring process.',
  'Equal Opportunity Employer. We do not discriminate on the basis of any protected characteristic.',
];

const MUST_SKILL_TEMPLATES = [
  'Proficiency in {skill}', 'Hands-on experience with {skill}', 'Strong {skill} skills', 'Solid working knowledge of {skill}',
  'Demonstrated experience in {skill}', '{skill} (required)', 'Comfortable using {skill} day to day', 'Proven track record with {skill}',
];
const NICE_SKILL_TEMPLATES = ['Experience with {skill}', 'Familiarity with {skill}', 'Exposure to {skill}', '{skill} is a plus', 'Some background in {skill}'];
const YEARS_TEMPLATES = [
  '{years}+ years of experience as {aRole} or similar role', 'At least {years} years of professional experience', 'Minimum of {years} years in {aRole} position',
  '{years}+ years of relevant work experience', '{yearsWord} or more years of experience in {field}',
];
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

/** A skill as a person would write it: usually its canonical name, sometimes a synonym or lowercase. */
function renderSkill(rng: Rng, name: string): string {
  const entry = SKILLS.find((s) => s.name === name);
  if (!entry) return name;
  const exactOnly = entry.exact?.includes(name) ?? false;
  const variants = (entry.variants ?? []).filter((v) => v.length > 2);
  if (variants.length > 0 && rng.chance(0.25)) return rng.pick(variants);
  if (!exactOnly && !entry.exact && rng.chance(0.08)) return name.toLowerCase();
  return name;
}

function renderCert(rng: Rng, name: string): string {
  const entry = CERTIFICATIONS.find((c) => c.name === name);
  const variants = entry?.variants ?? [];
  return variants.length > 0 && rng.chance(0.3) ? rng.pick(variants) : name;
}

function degreeRequirement(rng: Rng, d: OccupationDegree): string {
  const level = d.level === 'bachelor' ? rng.pick(["Bachelor's degree", 'BS/BA', "Bachelor’s degree", 'A four-year degree']) : d.level === 'associate' ? "Associate's degree" : "Master's degree";
  const field = rng.pick(d.fields);
  return rng.pick([`${level} in ${field} or a related field`, `${level} in ${field}`, `${level} in ${field}, or equivalent practical experience`]);
}

function writeJob(rng: Rng, plan: JobPlan): JobPosting {
  const company = rng.pick(COMPANIES);
  const o = plan.occupation;
  const role = roleNoun(plan.title);
  const requirementLines: string[] = [];
  requirementLines.push(
    fill(rng.pick(YEARS_TEMPLATES), { years: plan.yearsRequired, yearsWord: capitalize(NUMBER_WORDS[plan.yearsRequired] ?? String(plan.yearsRequired)), aRole: withArticle(role), field: o.name.toLowerCase() }),
  );
  for (const s of plan.mustHave) requirementLines.push(fill(rng.pick(MUST_SKILL_TEMPLATES), { skill: renderSkill(rng, s) }));
  if (plan.degree) requirementLines.push(degreeRequirement(rng, plan.degree));
  if (plan.requiredCert) requirementLines.push(`${renderCert(rng, plan.requiredCert)} ${rng.pick(['required', 'certification required', '(must be current)', 'is mandatory'])}`);
  const niceLines = plan.niceToHave.map((s) => fill(rng.pick(NICE_SKILL_TEMPLATES), { skill: renderSkill(rng, s) }));
  if (plan.preferredCert) niceLines.push(`${renderCert(rng, plan.preferredCert)} ${rng.pick(['preferred', 'a plus', 'nice to have'])}`);
  const duties = rng.sample(o.duties, rng.int(3, 5)).map(capitalize);

  const aboutText = [rng.pick(ABOUT_TEMPLATES), ...rng.sample(ABOUT_EXTRAS, rng.int(0, 2))].join(' ');
  const about = `${heading(rng, ABOUT_HEADINGS)}\n${fill(aboutText, { company, year: rng.int(1985, 2021), clients: `${rng.int(2, 90)},000`, streak: rng.int(2, 6), countries: rng.int(12, 80) })}`;
  const roleIntro = rng.pick([
    `We are looking for a ${plan.title} to join our ${rng.pick(['growing', 'friendly', 'award-winning', 'distributed'])} team.`,
    `${company} is hiring a ${plan.title}.`,
    `As a ${plan.title}, you will work closely with a cross-functional team.`,
  ]);
  const sections = [
    `${heading(rng, RESPONSIBILITY_HEADINGS)}\n${bulletList(rng, duties)}`,
    `${heading(rng, REQUIREMENT_HEADINGS)}\n${bulletList(rng, rng.chance(0.3) ? rng.shuffle(requirementLines) : requirementLines)}`,
    `${heading(rng, NICE_HEADINGS)}\n${bulletList(rng, niceLines)}`,
    `${heading(rng, BENEFIT_HEADINGS)}\n${bulletList(rng, rng.sample(BENEFIT_LINES, rng.int(3, 6)))}`,
  ];
  const eeo = fill(rng.pick(EEO_TEMPLATES), { company });
  const parts = rng.chance(0.7) ? [about, roleIntro, ...sections, eeo] : [roleIntro, ...sections, about, eeo];
  const remotePolicy: RemotePolicy = rng.pick(['onsite', 'onsite', 'hybrid', 'hybrid', 'remote'] as const);
  return {
    title: plan.title,
    company,
    location: remotePolicy === 'remote' && rng.chance(0.5) ? rng.pick(['Remote (US)', 'Remote', 'Anywhere in Europe']) : rng.pick(CITIES),
    remotePolicy,
    description: addNoise(rng, parts.join(rng.chance(0.8) ? '\n\n' : '\n')),
  };
}

// --- member profile ------------------------------------------------------------------------------

interface ProfilePlan {
  occupation: Occupation;
  years: number;
  skills: string[];
  degree: { level: EducationLevel; d: OccupationDegree | null };
  certifications: string[];
}

function levelDegree(o: Occupation, level: EducationLevel): OccupationDegree | null {
  return o.degrees.find((d) => d.level === level) ?? null;
}

/**
 * What the candidate has, for the fit the generator aims at. Near-boundary cases (ambiguous) sit
 * just on the aimed side of the next level: a "high" that misses one must-have, a "medium" with the
 * skills but short on years, a "low" from an adjacent occupation with transferable skills.
 */
function planProfile(rng: Rng, job: JobPlan, fit: FitLabel, ambiguous: boolean): ProfilePlan {
  const o = job.occupation;
  const bachelor = levelDegree(o, 'bachelor') ?? o.degrees[0]!;
  const own = (k: number) => rng.sample(o.niceToHave, k);
  if (fit === 'high') {
    const missing = ambiguous ? 1 : 0;
    const must = rng.sample(job.mustHave, job.mustHave.length - missing);
    const nice = rng.sample(job.niceToHave, rng.int(1, job.niceToHave.length));
    const years = job.yearsRequired + (ambiguous ? 0 : rng.int(0, 5));
    const master = levelDegree(o, 'master');
    const degree = master && rng.chance(0.3) ? { level: master.level, d: master } : { level: bachelor.level, d: bachelor };
    const certs = [job.requiredCert, job.preferredCert && rng.chance(0.6) ? job.preferredCert : null].filter((c): c is string => c !== null);
    return { occupation: o, years, skills: unique([...must, ...nice, ...own(1)]), degree, certifications: certs };
  }
  if (fit === 'medium') {
    // Two of three gaps: fewer must-haves, fewer years, a missing required certificate / degree.
    const gaps = rng.sample(['skills', 'years', 'credentials'] as const, ambiguous ? 1 : 2);
    const keepShare = gaps.includes('skills') ? 0.5 + rng.next() * 0.2 : ambiguous ? 1 : 0.8;
    const must = rng.sample(job.mustHave, Math.max(1, Math.round(job.mustHave.length * keepShare)));
    const years = gaps.includes('years') ? Math.max(0, job.yearsRequired - rng.int(ambiguous ? 1 : 2, 3)) : job.yearsRequired + rng.int(0, 2);
    const credentialsGap = gaps.includes('credentials');
    const degree = credentialsGap && job.degree && rng.chance(0.5) ? { level: 'associate' as EducationLevel, d: levelDegree(o, 'associate') } : { level: bachelor.level, d: bachelor };
    const certs = credentialsGap || !job.requiredCert ? [] : [job.requiredCert];
    return { occupation: o, years, skills: unique([...must, ...rng.sample(job.niceToHave, rng.int(0, 2))]), degree, certifications: certs };
  }
  // low: another occupation (adjacent ones when near the boundary), or a career starter.
  if (!ambiguous && rng.chance(0.2)) {
    const must = rng.sample(job.mustHave, rng.int(0, 1));
    return { occupation: o, years: rng.int(0, 1), skills: unique([...must, ...rng.sample(rng.pick(OCCUPATIONS.filter((x) => x.id !== o.id)).mustHave, 2)]), degree: { level: 'high school', d: null }, certifications: [] };
  }
  const otherId = ambiguous ? rng.pick(ADJACENT[o.id]) : rng.pick(OCCUPATIONS.filter((x) => x.id !== o.id && !ADJACENT[o.id].includes(x.id))).id;
  const other = OCCUPATIONS.find((x) => x.id === otherId)!;
  const transferable = ambiguous ? job.mustHave.filter((s) => other.mustHave.includes(s) || other.niceToHave.includes(s)) : [];
  const skills = unique([...rng.sample(other.mustHave, rng.int(3, 6)), ...rng.sample(other.niceToHave, rng.int(1, 3)), ...transferable, ...(ambiguous ? rng.sample(job.mustHave, 1) : [])]);
  const otherDegree = levelDegree(other, 'bachelor') ?? other.degrees[0]!;
  return { occupation: other, years: rng.int(1, 12), skills, degree: { level: otherDegree.level, d: otherDegree }, certifications: rng.chance(0.4) ? [rng.pick(other.certifications)] : [] };
}

const HEADLINE_TEMPLATES = ['{title} at {company}', '{title} | {s1}, {s2}', '{title} with {yearsText} of experience', '{title} · {s1} · {s2} · {s3}'];
const SENIOR_HEADLINE_TEMPLATES = [...HEADLINE_TEMPLATES, 'Experienced {title}'];
const SUMMARY_TEMPLATES = [
  '{title} with {yearsText} of experience. I specialize in {s1} and {s2}, and I like to {duty}.',
  'Over the past {yearsText} I have worked as {aRole}, focusing on {s1}, {s2} and {s3}.',
  'Detail-oriented {role} who likes to {duty}. Core strengths: {s1}, {s2}.',
  'I am {aRole} passionate about {s1}. Previously I helped teams {duty}, mostly with {s2}.',
  'Motivated professional ({yearsText} as {aRole}). Skills include {s1}, {s2} and {s3}.',
];
const EXPERIENCE_DESCRIPTIONS = ['{Duty} using {s1} and {s2}.', '{Duty}; day-to-day work with {s1}.', 'Responsible for helping {duty}. Tools: {s1}, {s2}.', '{Duty}. Introduced {s1} to the team.', '{Duty}.'];

function writeProfile(rng: Rng, job: JobPlan, posting: JobPosting, fit: FitLabel, ambiguous: boolean): MemberProfile {
  const plan = planProfile(rng, job, fit, ambiguous);
  const o = plan.occupation;
  const skillPool = rng.shuffle(plan.skills);
  const fallbackSkills = o.mustHave;
  const s = (i: number) => renderSkill(rng, skillPool[i] ?? fallbackSkills[i % fallbackSkills.length]!);
  const seniorityPrefix = plan.years >= 7 ? rng.pick(['Senior ', 'Lead ', 'Senior ']) : plan.years >= 4 ? rng.pick(['', 'Senior ']) : plan.years <= 1 ? rng.pick(['Junior ', '', 'Associate ']) : '';
  const title = seniorityPrefix + rng.pick(o.titles);
  const role = roleNoun(title);
  const yearsText = plan.years === 1 ? 'one year' : plan.years === 0 ? 'a few months' : `${plan.years} years`;

  // Experience: the total years split over one to three roles, most recent first.
  const experience: Experience[] = [];
  let remaining = plan.years;
  const roles = plan.years < 2 ? 1 : rng.int(1, 3);
  // Skills the candidate has but does not list are mentioned in the experience text instead.
  const listed = skillPool.filter(() => rng.chance(0.85));
  const unlisted = skillPool.filter((x) => !listed.includes(x));
  for (let r = 0; r < roles; r++) {
    const years = r === roles - 1 ? remaining : Math.max(1, Math.round(remaining * (0.4 + rng.next() * 0.3)));
    remaining -= years;
    const mentioned = r === 0 ? unlisted : [];
    const e1 = mentioned[0] ?? skillPool[rng.int(0, Math.max(0, skillPool.length - 1))] ?? fallbackSkills[0]!;
    const e2 = mentioned[1] ?? skillPool[rng.int(0, Math.max(0, skillPool.length - 1))] ?? fallbackSkills[1]!;
    let description = fill(rng.pick(EXPERIENCE_DESCRIPTIONS), { Duty: capitalize(rng.pick(o.duties)), duty: rng.pick(o.duties), s1: renderSkill(rng, e1), s2: renderSkill(rng, e2) });
    for (const extra of mentioned.slice(2)) description += ` Also used ${renderSkill(rng, extra)}.`;
    experience.push({
      title: r === 0 ? title : rng.pick(o.titles),
      company: rng.pick(COMPANIES.filter((c) => c !== posting.company)),
      years: Math.max(0, years) === 0 ? 0.5 : Math.max(0, years),
      description,
    });
  }

  const education: Education[] = [];
  if (plan.degree.d) {
    education.push({ degree: rng.pick(plan.degree.d.names), field: rng.pick(plan.degree.d.fields), school: rng.pick(SCHOOLS) });
    if (educationRank(plan.degree.level) >= educationRank('master')) {
      const b = levelDegree(o, 'bachelor');
      if (b) education.push({ degree: rng.pick(b.names), field: rng.pick(b.fields), school: rng.pick(SCHOOLS) });
    }
  } else if (plan.degree.level === 'associate') {
    education.push({ degree: "Associate's degree", field: rng.pick(['General Studies', 'Business', 'Liberal Arts']), school: 'Portland Community College' });
  } else if (plan.degree.level === 'high school') {
    education.push({ degree: rng.pick(['High school diploma', 'GED']), field: '', school: rng.pick(['Lincoln High School', 'Central High School', 'Roosevelt High School']) });
  }

  const headline = fill(rng.pick(plan.years >= 5 ? SENIOR_HEADLINE_TEMPLATES : HEADLINE_TEMPLATES), { title, company: experience[0]!.company, s1: s(0), s2: s(1), s3: s(2), yearsText });
  const summary = addNoise(rng, fill(rng.pick(SUMMARY_TEMPLATES), { title, role, aRole: withArticle(role), yearsText, s1: s(0), s2: s(1), s3: s(2), duty: rng.pick(o.duties) }));
  const sameCity = rng.chance(fit === 'low' ? 0.3 : 0.6);
  return {
    headline,
    summary,
    location: sameCity && !posting.location.startsWith('Remote') && posting.location !== 'Anywhere in Europe' ? posting.location : rng.pick(CITIES),
    skills: listed.map((x) => renderSkill(rng, x)),
    experience,
    education,
    certifications: plan.certifications.map((c) => renderCert(rng, c)),
  };
}

// --- noise ---------------------------------------------------------------------------------------

// Only filler words get typos, so a typo never hides a skill, certificate or degree.
const TYPO_WORDS = ['environment', 'excellent', 'ability', 'collaborative', 'professional', 'including', 'opportunity', 'responsible', 'organization', 'motivated', 'ensure', 'passionate', 'ambitious', 'customers', 'communities', 'together', 'closely'];

function addNoise(rng: Rng, text: string): string {
  let out = text;
  if (rng.chance(0.35)) {
    const word = rng.pick(TYPO_WORDS);
    out = out.replace(new RegExp(`\\b${word}\\b`), () => swapLetters(rng, word));
  }
  if (rng.chance(0.15)) out = out.replace(/\. /, '.  ');
  if (rng.chance(0.1)) out = out.replace(/\n/g, ' \n');
  return out;
}

function swapLetters(rng: Rng, word: string): string {
  const i = rng.int(1, word.length - 3);
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

/** "Senior ER Nurse" → "ER nurse": the title as a noun, seniority dropped, acronyms and languages kept. */
function roleNoun(title: string): string {
  return title
    .replace(/^(Junior|Senior|Lead|Associate) /, '')
    .split(' ')
    .map((w) => (w.length > 1 && w === w.toUpperCase()) || w === 'English' ? w : w.toLowerCase())
    .join(' ');
}

/** "an ER nurse", "a UX designer", "an accountant": acronyms go by how their first letter sounds. */
function withArticle(noun: string): string {
  const first = noun.split(' ')[0]!;
  const isAcronym = first.length > 1 && first === first.toUpperCase();
  const an = isAcronym ? /^[AEFHILMNORSX]/.test(first) : /^[aeiou]/i.test(first);
  return `${an ? 'an' : 'a'} ${noun}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** One JSON object per line, the format `lantern demo-data` writes and the JSONL importer reads. */
export function toJsonl(examples: readonly Example[]): string {
  return examples.map((e) => JSON.stringify(e)).join('\n') + (examples.length ? '\n' : '');
}
