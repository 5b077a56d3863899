// A few hand-written (job, profile) pairs across occupations and fit levels for the teacher tests.
import type { Pair } from '../../../src/data/schema.ts';

export const DATA_JOB: Pair['job'] = {
  title: 'Senior Data Analyst',
  company: 'Northwind',
  location: 'Austin, TX',
  remotePolicy: 'hybrid',
  description: [
    'About the role',
    'You will build dashboards for product teams and design experiments.',
    'Requirements:',
    '- 5+ years of experience in analytics',
    '- Strong SQL and Python',
    '- Experience with A/B testing and statistics',
    "- Bachelor's degree in a quantitative field",
    'Nice to have:',
    '- Tableau or Looker',
    '- dbt',
    'Benefits:',
    '- Generous learning stipend and health insurance',
  ].join('\n'),
};

export const PAIRS: Pair[] = [
  {
    id: 'data-strong',
    job: DATA_JOB,
    profile: {
      headline: 'Data Analyst at Contoso',
      summary: 'Analyst who loves turning data into decisions.',
      location: 'Austin, TX',
      skills: ['SQL', 'Python', 'A/B testing', 'statistics', 'Tableau'],
      experience: [
        { title: 'Data Analyst', company: 'Contoso', years: 4, description: 'Built dashboards in Tableau and ran experiments.' },
        { title: 'Business Intelligence Analyst', company: 'Fabrikam', years: 3, description: 'Wrote SQL reports.' },
      ],
      education: [{ degree: 'B.S.', field: 'Statistics', school: 'UT Austin' }],
      certifications: [],
    },
  },
  {
    id: 'data-partial',
    job: DATA_JOB,
    profile: {
      headline: 'Junior Data Analyst',
      summary: 'I know some Python.',
      location: 'Dallas, TX',
      skills: ['SQL', 'Excel'],
      experience: [{ title: 'Data Analyst', company: 'Initech', years: 3, description: 'Maintained Excel reports and SQL queries.' }],
      education: [{ degree: "Bachelor's degree", field: 'Economics', school: 'UNT' }],
      certifications: [],
    },
  },
  {
    id: 'nurse-for-data',
    job: DATA_JOB,
    profile: {
      headline: 'Registered Nurse',
      summary: 'Compassionate ICU nurse.',
      location: 'Boston, MA',
      skills: ['patient care', 'medication administration', 'EHR'],
      experience: [{ title: 'ICU Nurse', company: 'General Hospital', years: 6, description: 'Critical care nursing on a 20-bed unit.' }],
      education: [{ degree: 'BSN', field: 'Nursing', school: 'BU' }],
      certifications: ['BLS', 'ACLS'],
    },
  },
  {
    id: 'accountant',
    job: {
      title: 'Staff Accountant',
      company: 'Acme Corp',
      location: 'Chicago, IL',
      remotePolicy: 'onsite',
      description:
        'We are hiring a Staff Accountant to own the month-end close. Must have: GAAP, reconciliations, general ledger and Excel. ' +
        'CPA preferred. At least 2 years of accounting experience. NetSuite experience is a plus.',
    },
    profile: {
      headline: 'Accountant',
      summary: 'Detail-oriented accountant.',
      location: 'Chicago, IL',
      skills: ['GAAP', 'Excel', 'general ledger', 'QuickBooks'],
      experience: [{ title: 'Staff Accountant', company: 'Globex', years: 2, description: 'Prepared bank reconciliations and supported the month-end close.' }],
      education: [{ degree: 'Bachelor of Science', field: 'Accounting', school: 'UIC' }],
      certifications: [],
    },
  },
  {
    id: 'remote-designer',
    job: {
      title: 'Product Designer',
      company: 'Umbrella',
      location: 'Berlin, Germany',
      remotePolicy: 'remote',
      description: "What you'll do\nDesign end-to-end product flows in Figma.\nWhat we're looking for\n3 years of product design, wireframing, prototyping and user research.\nBonus: design systems experience.",
    },
    profile: {
      headline: 'UX Designer',
      summary: 'Designer focused on research-led product work.',
      location: 'Lisbon, Portugal',
      skills: ['Figma', 'wireframing', 'user research', 'design systems'],
      experience: [{ title: 'UX Designer', company: 'Hooli', years: 4, description: 'Ran user interviews and built prototypes.' }],
      education: [],
      certifications: ['Google UX Design Certificate'],
    },
  },
];
