// Domain vocabulary in one place: occupations, skills (with synonyms), certifications, degrees and
// seniority. The demo generator writes with it, the offline rule-based teacher reads with it, and
// the hallucinated-skill metric uses findSkills to decide whether an explanation names a skill
// that neither the job nor the profile mentions.

export type OccupationId =
  | 'software'
  | 'data'
  | 'nursing'
  | 'accounting'
  | 'sales'
  | 'design'
  | 'operations'
  | 'teaching'
  | 'marketing';

/**
 * A skill with its canonical name. `variants` match case-insensitively; `exact` variants match
 * only with the given casing (for names that are also ordinary words: "React", "Excel", "Lean"),
 * or in any casing when they stand alone as a list item ("Skills: react, excel").
 */
export interface SkillEntry {
  name: string;
  variants?: string[];
  exact?: string[];
}

export const SKILLS: readonly SkillEntry[] = [
  // software
  { name: 'JavaScript', variants: ['JS', 'ECMAScript', 'ES6'] },
  { name: 'TypeScript' },
  { name: 'Python' },
  { name: 'Java' },
  { name: 'React', variants: ['React.js', 'ReactJS'], exact: ['React'] },
  { name: 'Node.js', variants: ['NodeJS', 'Node JS'] },
  { name: 'SQL', variants: ['PostgreSQL', 'Postgres', 'MySQL'] },
  { name: 'Git', variants: ['GitHub', 'GitLab', 'version control'] },
  { name: 'REST APIs', variants: ['REST API', 'RESTful APIs', 'RESTful API', 'RESTful'], exact: ['REST'] },
  { name: 'Docker', variants: ['containerization', 'containerisation'] },
  { name: 'Kubernetes', variants: ['k8s', 'K8S'] },
  { name: 'AWS', variants: ['Amazon Web Services'] },
  { name: 'CI/CD', variants: ['continuous integration', 'continuous delivery', 'continuous deployment', 'CI CD'] },
  { name: 'C++', variants: ['cpp'] },
  { name: 'C#', variants: ['csharp', 'C sharp'] },
  { name: 'Rust', exact: ['Rust'] },
  { name: 'GraphQL' },
  { name: 'microservices', variants: ['microservice', 'micro-services', 'microservice architecture'] },
  { name: 'Linux', variants: ['Unix'] },
  { name: 'Terraform', variants: ['infrastructure as code', 'IaC'] },
  { name: 'unit testing', variants: ['unit tests', 'test-driven development', 'TDD', 'automated testing'] },
  { name: 'system design', variants: ['distributed systems', 'software architecture'] },
  { name: 'Azure', variants: ['Microsoft Azure'] },
  // data
  { name: 'statistics', variants: ['statistical analysis', 'statistical modeling', 'statistical modelling'] },
  { name: 'machine learning', exact: ['ML'] },
  { name: 'deep learning', variants: ['neural networks'] },
  { name: 'PyTorch' },
  { name: 'TensorFlow', variants: ['Keras'] },
  { name: 'scikit-learn', variants: ['sklearn', 'scikit learn'] },
  { name: 'pandas', variants: ['NumPy'] },
  { name: 'Spark', variants: ['Apache Spark', 'PySpark'], exact: ['Spark'] },
  { name: 'Airflow', variants: ['Apache Airflow'] },
  { name: 'dbt', exact: ['dbt', 'DBT'] },
  { name: 'Tableau' },
  { name: 'Power BI', variants: ['PowerBI'] },
  { name: 'Looker' },
  { name: 'A/B testing', variants: ['AB testing', 'A/B tests', 'split testing', 'experimentation'] },
  { name: 'data visualization', variants: ['data visualisation', 'dashboards', 'dashboarding'] },
  { name: 'ETL', variants: ['ELT', 'data pipelines', 'data pipeline'] },
  { name: 'Snowflake', exact: ['Snowflake'] },
  { name: 'BigQuery', variants: ['Big Query'] },
  { name: 'NLP', variants: ['natural language processing'] },
  { name: 'data analysis', variants: ['data analytics', 'analyzing data', 'analysing data'] },
  // nursing
  { name: 'registered nurse', variants: ['RN license', 'registered nursing license'], exact: ['RN'] },
  { name: 'patient care', variants: ['direct patient care', 'bedside care'] },
  { name: 'medication administration', variants: ['administering medications', 'medication management', 'med administration'] },
  { name: 'IV therapy', variants: ['IV insertion', 'intravenous therapy', 'IV starts'] },
  { name: 'EHR', variants: ['electronic health records', 'electronic health record', 'electronic medical records', 'EMR'] },
  { name: 'Epic', exact: ['Epic', 'EPIC'] },
  { name: 'vital signs', variants: ['vitals monitoring', 'monitoring vitals'] },
  { name: 'wound care', variants: ['wound management'] },
  { name: 'triage' },
  { name: 'care planning', variants: ['care plans', 'nursing care plans'] },
  { name: 'patient education', variants: ['educating patients'] },
  { name: 'telemetry', variants: ['cardiac monitoring'] },
  { name: 'critical care', variants: ['intensive care', 'ICU'] },
  { name: 'phlebotomy', variants: ['blood draws'] },
  { name: 'infection control', variants: ['infection prevention'] },
  { name: 'pediatrics', variants: ['paediatrics', 'pediatric care'] },
  { name: 'clinical documentation', variants: ['charting', 'nursing documentation'] },
  // accounting
  { name: 'GAAP', variants: ['US GAAP', 'U.S. GAAP'] },
  { name: 'IFRS' },
  { name: 'financial reporting', variants: ['financial statements', 'financial statement preparation'] },
  { name: 'general ledger', variants: ['GL accounting', 'ledger maintenance'] },
  { name: 'accounts payable', variants: ['A/P'] },
  { name: 'accounts receivable', variants: ['A/R'] },
  { name: 'reconciliations', variants: ['reconciliation', 'account reconciliation', 'account reconciliations', 'bank reconciliations', 'reconciling accounts'] },
  { name: 'month-end close', variants: ['month end close', 'month-end closing', 'period close', 'period-end close'] },
  { name: 'Excel', variants: ['Microsoft Excel', 'MS Excel', 'spreadsheets', 'pivot tables', 'VLOOKUP'], exact: ['Excel'] },
  { name: 'QuickBooks', variants: ['Quickbooks Online', 'QBO'] },
  { name: 'SAP', exact: ['SAP', 'SAP ERP'] },
  { name: 'NetSuite', variants: ['Oracle NetSuite'] },
  { name: 'tax preparation', variants: ['tax returns', 'tax filing', 'tax compliance'] },
  { name: 'auditing', variants: ['audit', 'audits', 'internal audit', 'external audit', 'audit support'] },
  { name: 'budgeting', variants: ['budget planning', 'budget management', 'budgets'] },
  { name: 'forecasting', variants: ['financial forecasting', 'sales forecasting', 'forecasts', 'demand forecasting'] },
  { name: 'financial analysis', variants: ['financial modeling', 'financial modelling', 'variance analysis'] },
  { name: 'SOX compliance', variants: ['SOX', 'Sarbanes-Oxley'] },
  { name: 'payroll', variants: ['payroll processing'] },
  // sales
  { name: 'CRM', variants: ['customer relationship management', 'CRM software', 'CRM systems'] },
  { name: 'Salesforce', variants: ['SFDC'] },
  { name: 'HubSpot', variants: ['Hubspot CRM'] },
  { name: 'lead generation', variants: ['lead gen', 'generating leads'] },
  { name: 'prospecting', variants: ['outbound prospecting'] },
  { name: 'cold calling', variants: ['cold calls', 'cold outreach'] },
  { name: 'negotiation', variants: ['negotiating', 'contract negotiation', 'negotiations'] },
  { name: 'account management', variants: ['key account management', 'managing accounts'] },
  { name: 'pipeline management', variants: ['sales pipeline', 'pipeline building', 'managing a pipeline'] },
  { name: 'B2B sales', variants: ['B2B', 'business-to-business sales'] },
  { name: 'solution selling', variants: ['consultative selling', 'consultative sales'] },
  { name: 'territory management', variants: ['territory planning'] },
  { name: 'customer success', variants: ['client success'] },
  // design
  { name: 'Figma' },
  { name: 'Sketch', exact: ['Sketch'] },
  { name: 'Adobe Creative Suite', variants: ['Adobe Creative Cloud', 'Adobe CC', 'Creative Cloud'] },
  { name: 'Photoshop', variants: ['Adobe Photoshop'] },
  { name: 'Illustrator', variants: ['Adobe Illustrator'], exact: ['Illustrator'] },
  { name: 'InDesign', variants: ['Adobe InDesign'] },
  { name: 'user research', variants: ['UX research', 'user interviews'] },
  { name: 'wireframing', variants: ['wireframes', 'wireframe'] },
  { name: 'prototyping', variants: ['prototypes', 'interactive prototypes'] },
  { name: 'design systems', variants: ['design system', 'component libraries'] },
  { name: 'usability testing', variants: ['usability tests', 'usability studies'] },
  { name: 'interaction design', variants: ['IxD'] },
  { name: 'visual design', variants: ['graphic design'] },
  { name: 'typography' },
  { name: 'accessibility', variants: ['WCAG', 'a11y'] },
  { name: 'HTML', variants: ['HTML5'] },
  { name: 'CSS', variants: ['CSS3', 'Sass', 'SCSS'] },
  { name: 'UX design', variants: ['user experience design', 'UX'] },
  { name: 'UI design', variants: ['user interface design', 'UI'] },
  { name: 'information architecture' },
  // operations
  { name: 'supply chain management', variants: ['supply chain', 'supply-chain management'] },
  { name: 'logistics', variants: ['logistics coordination'] },
  { name: 'inventory management', variants: ['inventory control', 'stock control'] },
  { name: 'process improvement', variants: ['continuous improvement', 'process optimization', 'process optimisation', 'kaizen'] },
  { name: 'Lean', variants: ['lean manufacturing', 'lean principles'], exact: ['Lean', 'LEAN'] },
  { name: 'Six Sigma', variants: ['6 Sigma', 'DMAIC'] },
  { name: 'vendor management', variants: ['supplier management', 'vendor relations', 'managing vendors'] },
  { name: 'project management', variants: ['managing projects', 'program management'] },
  { name: 'procurement', variants: ['purchasing', 'strategic sourcing', 'sourcing'] },
  { name: 'ERP', variants: ['ERP systems', 'enterprise resource planning'] },
  { name: 'scheduling', variants: ['production scheduling', 'shift scheduling'] },
  { name: 'KPI tracking', variants: ['KPIs', 'KPI', 'key performance indicators', 'operational metrics'] },
  { name: 'quality control', variants: ['quality assurance', 'QA/QC'] },
  { name: 'warehouse management', variants: ['WMS', 'warehouse operations'] },
  { name: 'demand planning', variants: ['S&OP', 'sales and operations planning'] },
  // teaching
  { name: 'lesson planning', variants: ['lesson plans', 'lesson plan', 'planning lessons'] },
  { name: 'curriculum development', variants: ['curriculum design', 'curriculum writing'] },
  { name: 'classroom management' },
  { name: 'differentiated instruction', variants: ['differentiation', 'differentiating instruction'] },
  { name: 'student assessment', variants: ['formative assessment', 'summative assessment', 'assessments', 'assessing students'] },
  { name: 'special education', variants: ['SPED', 'special needs education'] },
  { name: 'IEPs', variants: ['IEP', 'individualized education programs', 'individualized education plans'] },
  { name: 'Google Classroom' },
  { name: 'educational technology', variants: ['EdTech', 'ed tech', 'ed-tech', 'instructional technology'] },
  { name: 'parent communication', variants: ['family engagement', 'parent engagement', 'communicating with parents'] },
  { name: 'literacy instruction', variants: ['reading instruction', 'literacy'] },
  { name: 'STEM', variants: ['STEAM'] },
  { name: 'ESL', variants: ['ELL', 'English as a second language', 'English language learners'] },
  { name: 'LMS', variants: ['learning management system', 'learning management systems', 'Canvas LMS', 'Moodle'] },
  { name: 'behavior management', variants: ['behaviour management', 'positive behavior support', 'PBIS'] },
  // marketing
  { name: 'SEO', variants: ['search engine optimization', 'search engine optimisation'] },
  { name: 'Google Analytics', variants: ['GA4'] },
  { name: 'content marketing', variants: ['content strategy'] },
  { name: 'social media marketing', variants: ['social media', 'social media management'] },
  { name: 'email marketing', variants: ['email campaigns', 'lifecycle marketing'] },
  { name: 'Google Ads', variants: ['AdWords', 'Google AdWords', 'SEM', 'paid search', 'PPC'] },
  { name: 'copywriting', variants: ['copy writing', 'copy editing'] },
  { name: 'marketing automation', variants: ['Marketo', 'Mailchimp'] },
  { name: 'brand management', variants: ['branding', 'brand strategy'] },
  // shared
  { name: 'Jira', variants: ['JIRA', 'Atlassian Jira'] },
  { name: 'Agile', variants: ['Scrum', 'Kanban', 'agile methodologies'], exact: ['Agile', 'agile'] },
  { name: 'stakeholder management', variants: ['stakeholder communication', 'managing stakeholders'] },
];

export interface CertificationEntry {
  name: string;
  variants?: string[];
  exact?: string[];
  occupation: OccupationId;
}

export const CERTIFICATIONS: readonly CertificationEntry[] = [
  { name: 'AWS Certified Solutions Architect', variants: ['AWS Solutions Architect', 'AWS SAA'], occupation: 'software' },
  { name: 'Certified Kubernetes Administrator', variants: ['CKA'], occupation: 'software' },
  { name: 'Oracle Certified Professional Java Programmer', variants: ['OCPJP', 'Oracle Java certification'], occupation: 'software' },
  { name: 'Google Data Analytics Certificate', variants: ['Google Data Analytics Professional Certificate'], occupation: 'data' },
  { name: 'Tableau Desktop Specialist', variants: ['Tableau certification'], occupation: 'data' },
  { name: 'Azure Data Scientist Associate', variants: ['Microsoft Certified: Azure Data Scientist Associate', 'DP-100'], occupation: 'data' },
  { name: 'Databricks Certified Data Engineer', variants: ['Databricks certification'], occupation: 'data' },
  { name: 'BLS', variants: ['Basic Life Support', 'BLS certification', 'CPR/BLS'], occupation: 'nursing' },
  { name: 'ACLS', variants: ['Advanced Cardiovascular Life Support', 'Advanced Cardiac Life Support'], occupation: 'nursing' },
  { name: 'PALS', variants: ['Pediatric Advanced Life Support'], occupation: 'nursing' },
  { name: 'CCRN', variants: ['Critical Care Registered Nurse certification'], occupation: 'nursing' },
  { name: 'CPA', variants: ['Certified Public Accountant', 'CPA license'], occupation: 'accounting' },
  { name: 'CMA', variants: ['Certified Management Accountant'], occupation: 'accounting' },
  { name: 'Enrolled Agent', variants: ['IRS Enrolled Agent'], occupation: 'accounting' },
  { name: 'Salesforce Certified Administrator', variants: ['Salesforce Administrator certification', 'Salesforce Admin certification'], occupation: 'sales' },
  { name: 'HubSpot Sales Software Certification', variants: ['HubSpot Sales certification'], occupation: 'sales' },
  { name: 'Certified Sales Professional', variants: ['CSP certification'], occupation: 'sales' },
  { name: 'Google UX Design Certificate', variants: ['Google UX Design Professional Certificate'], occupation: 'design' },
  { name: 'NN/g UX Certification', variants: ['Nielsen Norman UX Certification', 'NNg UX certification'], occupation: 'design' },
  { name: 'Adobe Certified Professional', variants: ['Adobe Certified Expert'], occupation: 'design' },
  { name: 'PMP', variants: ['Project Management Professional'], occupation: 'operations' },
  { name: 'Six Sigma Green Belt', variants: ['Lean Six Sigma Green Belt', 'Green Belt'], occupation: 'operations' },
  { name: 'Six Sigma Black Belt', variants: ['Lean Six Sigma Black Belt', 'Black Belt'], occupation: 'operations' },
  { name: 'APICS CSCP', variants: ['CSCP', 'Certified Supply Chain Professional'], occupation: 'operations' },
  { name: 'APICS CPIM', variants: ['CPIM', 'Certified in Planning and Inventory Management'], occupation: 'operations' },
  { name: 'state teaching license', variants: ['teaching license', 'teaching licence', 'teaching certificate', 'teacher certification', 'teaching credential'], occupation: 'teaching' },
  { name: 'TESOL', variants: ['TEFL', 'CELTA'], occupation: 'teaching' },
  { name: 'National Board Certification', variants: ['NBCT', 'National Board Certified Teacher'], occupation: 'teaching' },
  { name: 'Google Ads Certification', variants: ['Google Ads certified', 'AdWords certification'], occupation: 'marketing' },
  { name: 'Google Analytics Certification', variants: ['Google Analytics certified', 'GA4 certification', 'Google Analytics Individual Qualification', 'GAIQ'], occupation: 'marketing' },
  { name: 'HubSpot Content Marketing Certification', variants: ['HubSpot Inbound Marketing Certification', 'HubSpot marketing certification'], occupation: 'marketing' },
];

/** Education levels in ascending order; a level's rank is its index. */
export const EDUCATION_LEVELS = ['none', 'high school', 'associate', 'bachelor', 'master', 'doctorate'] as const;
export type EducationLevel = (typeof EDUCATION_LEVELS)[number];

export function educationRank(level: EducationLevel): number {
  return EDUCATION_LEVELS.indexOf(level);
}

interface DegreePattern {
  level: Exclude<EducationLevel, 'none'>;
  variants: string[];
  exact?: string[];
}

const DEGREE_PATTERNS: readonly DegreePattern[] = [
  {
    level: 'doctorate',
    variants: ['PhD', 'Ph.D.', 'Ph.D', 'doctorate', 'doctoral degree', 'DPhil', 'EdD', 'Ed.D.', 'DNP', 'doctor of philosophy'],
  },
  {
    level: 'master',
    variants: ["master's", 'masters', "master’s", 'master of', 'M.S.', 'MSc', 'M.Sc.', 'MBA', 'M.B.A.', 'MEd', 'M.Ed.', 'MSN', 'MPH', 'MFA', 'M.A.', 'graduate degree'],
    exact: ['MS'],
  },
  {
    level: 'bachelor',
    variants: ["bachelor's", 'bachelors', "bachelor’s", 'bachelor of', 'B.S.', 'BSc', 'B.Sc.', 'B.A.', 'BSN', 'BFA', 'BBA', 'B.B.A.', 'BEd', 'B.Ed.', 'B.Eng.', 'BEng', 'undergraduate degree', 'four-year degree', '4-year degree', 'college degree', 'university degree'],
    exact: ['BS', 'BA'],
  },
  {
    level: 'associate',
    variants: ["associate's degree", 'associate degree', "associate’s degree", 'associates degree', 'associate of', 'ADN', 'two-year degree', '2-year degree'],
  },
  {
    level: 'high school',
    variants: ['high school diploma', 'high-school diploma', 'GED', 'secondary school diploma'],
  },
];

export interface OccupationDegree {
  level: Exclude<EducationLevel, 'none'>;
  /** Degree names as written on a profile ("BSc", "Bachelor of Science"), by level. */
  names: string[];
  fields: string[];
}

export interface Occupation {
  id: OccupationId;
  name: string;
  /** Job titles of this occupation, the most typical first. */
  titles: string[];
  /** Skills a posting typically lists as must-have (canonical names from SKILLS). */
  mustHave: string[];
  /** Skills a posting typically lists as nice-to-have. */
  niceToHave: string[];
  degrees: OccupationDegree[];
  /** Canonical certification names from CERTIFICATIONS. */
  certifications: string[];
  /** Sentence fragments for responsibilities and experience descriptions ("build…", "lead…"). */
  duties: string[];
}

const BACHELOR_NAMES = ['B.S.', 'BSc', 'Bachelor of Science', "Bachelor's degree"];
const BA_NAMES = ['B.A.', 'BA', 'Bachelor of Arts', "Bachelor's degree"];
const MASTER_NAMES = ['M.S.', 'MSc', 'Master of Science', "Master's degree"];

export const OCCUPATIONS: readonly Occupation[] = [
  {
    id: 'software',
    name: 'Software engineering',
    titles: ['Software Engineer', 'Backend Engineer', 'Frontend Engineer', 'Full Stack Developer', 'Web Developer', 'Platform Engineer', 'DevOps Engineer'],
    mustHave: ['JavaScript', 'TypeScript', 'Python', 'Java', 'React', 'Node.js', 'SQL', 'Git', 'REST APIs', 'Docker', 'unit testing', 'Linux', 'C#'],
    niceToHave: ['Kubernetes', 'AWS', 'CI/CD', 'GraphQL', 'microservices', 'Terraform', 'Rust', 'C++', 'system design', 'Azure', 'Agile'],
    degrees: [
      { level: 'bachelor', names: BACHELOR_NAMES, fields: ['Computer Science', 'Software Engineering', 'Computer Engineering', 'Mathematics'] },
      { level: 'master', names: MASTER_NAMES, fields: ['Computer Science', 'Software Engineering'] },
    ],
    certifications: ['AWS Certified Solutions Architect', 'Certified Kubernetes Administrator', 'Oracle Certified Professional Java Programmer'],
    duties: ['design and ship backend services', 'build user-facing features', 'review code and mentor engineers', 'improve reliability and on-call tooling', 'maintain the deployment pipeline', 'write and maintain automated tests'],
  },
  {
    id: 'data',
    name: 'Data science and analytics',
    titles: ['Data Scientist', 'Data Analyst', 'Machine Learning Engineer', 'Analytics Engineer', 'Data Engineer', 'Business Intelligence Analyst'],
    mustHave: ['Python', 'SQL', 'statistics', 'machine learning', 'pandas', 'data visualization', 'data analysis', 'A/B testing', 'ETL'],
    niceToHave: ['PyTorch', 'TensorFlow', 'scikit-learn', 'Spark', 'Airflow', 'dbt', 'Tableau', 'Power BI', 'Looker', 'Snowflake', 'BigQuery', 'NLP', 'deep learning'],
    degrees: [
      { level: 'bachelor', names: BACHELOR_NAMES, fields: ['Statistics', 'Computer Science', 'Mathematics', 'Economics', 'Physics'] },
      { level: 'master', names: MASTER_NAMES, fields: ['Statistics', 'Data Science', 'Computer Science', 'Applied Mathematics'] },
      { level: 'doctorate', names: ['PhD', 'Ph.D.'], fields: ['Statistics', 'Physics', 'Computer Science'] },
    ],
    certifications: ['Google Data Analytics Certificate', 'Tableau Desktop Specialist', 'Azure Data Scientist Associate', 'Databricks Certified Data Engineer'],
    duties: ['build dashboards for product teams', 'design and analyze experiments', 'train and deploy predictive models', 'maintain data pipelines', 'present findings to leadership', 'define core business metrics'],
  },
  {
    id: 'nursing',
    name: 'Nursing',
    titles: ['Registered Nurse', 'ICU Nurse', 'Charge Nurse', 'Pediatric Nurse', 'Staff Nurse', 'ER Nurse', 'Clinical Nurse'],
    mustHave: ['registered nurse', 'patient care', 'medication administration', 'vital signs', 'EHR', 'care planning', 'clinical documentation', 'infection control', 'IV therapy'],
    niceToHave: ['critical care', 'telemetry', 'wound care', 'triage', 'pediatrics', 'phlebotomy', 'Epic', 'patient education'],
    degrees: [
      { level: 'bachelor', names: ['BSN', 'Bachelor of Science in Nursing', 'B.S.'], fields: ['Nursing'] },
      { level: 'associate', names: ['ADN', 'Associate Degree in Nursing', "Associate's degree"], fields: ['Nursing'] },
      { level: 'master', names: ['MSN', 'Master of Science in Nursing'], fields: ['Nursing'] },
    ],
    certifications: ['BLS', 'ACLS', 'PALS', 'CCRN'],
    duties: ['provide direct care to assigned patients', 'administer medications and monitor response', 'coordinate with physicians and therapists', 'educate patients and families on discharge', 'maintain accurate charts', 'respond to rapid-response calls'],
  },
  {
    id: 'accounting',
    name: 'Accounting and finance',
    titles: ['Staff Accountant', 'Senior Accountant', 'Accounting Manager', 'Financial Analyst', 'Auditor', 'Controller', 'Tax Accountant'],
    mustHave: ['GAAP', 'financial reporting', 'general ledger', 'reconciliations', 'month-end close', 'Excel', 'accounts payable', 'accounts receivable'],
    niceToHave: ['IFRS', 'QuickBooks', 'SAP', 'NetSuite', 'tax preparation', 'auditing', 'budgeting', 'forecasting', 'financial analysis', 'SOX compliance', 'payroll'],
    degrees: [
      { level: 'bachelor', names: BACHELOR_NAMES.concat(['Bachelor of Business Administration', 'BBA']), fields: ['Accounting', 'Finance', 'Business Administration', 'Economics'] },
      { level: 'master', names: ['MBA', 'Master of Accountancy', "Master's degree"], fields: ['Accounting', 'Finance'] },
    ],
    certifications: ['CPA', 'CMA', 'Enrolled Agent'],
    duties: ['prepare monthly financial statements', 'own the month-end close checklist', 'support the annual audit', 'reconcile balance sheet accounts', 'analyze budget variances', 'process vendor invoices'],
  },
  {
    id: 'sales',
    name: 'Sales',
    titles: ['Account Executive', 'Sales Development Representative', 'Account Manager', 'Sales Manager', 'Business Development Representative', 'Inside Sales Representative'],
    mustHave: ['CRM', 'prospecting', 'negotiation', 'pipeline management', 'B2B sales', 'account management', 'lead generation', 'cold calling'],
    niceToHave: ['Salesforce', 'HubSpot', 'solution selling', 'territory management', 'customer success', 'forecasting', 'stakeholder management'],
    degrees: [
      { level: 'bachelor', names: BA_NAMES.concat(['BBA']), fields: ['Business Administration', 'Marketing', 'Communications', 'Economics'] },
    ],
    certifications: ['Salesforce Certified Administrator', 'HubSpot Sales Software Certification', 'Certified Sales Professional'],
    duties: ['own a book of mid-market accounts', 'run discovery calls and product demos', 'build outbound pipeline', 'close new business against a quarterly quota', 'negotiate renewals and expansions', 'forecast revenue accurately'],
  },
  {
    id: 'design',
    name: 'Product and UX design',
    titles: ['Product Designer', 'UX Designer', 'UI Designer', 'UX Researcher', 'Visual Designer', 'Interaction Designer'],
    mustHave: ['Figma', 'UX design', 'UI design', 'wireframing', 'prototyping', 'user research', 'design systems', 'visual design'],
    niceToHave: ['Sketch', 'Adobe Creative Suite', 'Photoshop', 'Illustrator', 'usability testing', 'interaction design', 'typography', 'accessibility', 'HTML', 'CSS', 'information architecture'],
    degrees: [
      { level: 'bachelor', names: ['BFA', 'Bachelor of Fine Arts', 'B.A.', "Bachelor's degree"], fields: ['Graphic Design', 'Interaction Design', 'Human-Computer Interaction', 'Visual Communication'] },
      { level: 'master', names: ['MFA', 'M.S.', "Master's degree"], fields: ['Human-Computer Interaction', 'Interaction Design'] },
    ],
    certifications: ['Google UX Design Certificate', 'NN/g UX Certification', 'Adobe Certified Professional'],
    duties: ['design end-to-end product flows', 'run user interviews and synthesize findings', 'maintain the component library', 'partner with engineers on implementation', 'create high-fidelity mockups', 'present design rationale to stakeholders'],
  },
  {
    id: 'operations',
    name: 'Operations and supply chain',
    titles: ['Operations Manager', 'Supply Chain Analyst', 'Logistics Coordinator', 'Operations Analyst', 'Warehouse Manager', 'Procurement Specialist'],
    mustHave: ['supply chain management', 'logistics', 'inventory management', 'process improvement', 'vendor management', 'Excel', 'KPI tracking', 'scheduling'],
    niceToHave: ['Lean', 'Six Sigma', 'ERP', 'SAP', 'procurement', 'project management', 'quality control', 'warehouse management', 'demand planning', 'budgeting'],
    degrees: [
      { level: 'bachelor', names: BACHELOR_NAMES.concat(['BBA']), fields: ['Supply Chain Management', 'Industrial Engineering', 'Business Administration', 'Operations Management'] },
      { level: 'master', names: ['MBA', "Master's degree"], fields: ['Operations Management', 'Supply Chain Management'] },
    ],
    certifications: ['PMP', 'Six Sigma Green Belt', 'Six Sigma Black Belt', 'APICS CSCP', 'APICS CPIM'],
    duties: ['oversee daily warehouse operations', 'reduce fulfillment cycle time', 'negotiate with carriers and suppliers', 'maintain inventory accuracy', 'report weekly operational metrics', 'lead continuous improvement projects'],
  },
  {
    id: 'teaching',
    name: 'Teaching',
    titles: ['Elementary School Teacher', 'High School Math Teacher', 'Middle School Science Teacher', 'Special Education Teacher', 'ESL Teacher', 'English Teacher'],
    mustHave: ['lesson planning', 'classroom management', 'differentiated instruction', 'student assessment', 'curriculum development', 'parent communication'],
    niceToHave: ['special education', 'IEPs', 'Google Classroom', 'educational technology', 'literacy instruction', 'STEM', 'ESL', 'LMS', 'behavior management'],
    degrees: [
      { level: 'bachelor', names: ['B.A.', 'B.S.', 'Bachelor of Education', 'BEd'], fields: ['Education', 'Elementary Education', 'Mathematics', 'English', 'Biology'] },
      { level: 'master', names: ['M.Ed.', 'Master of Education', 'M.A.'], fields: ['Education', 'Curriculum and Instruction', 'Special Education'] },
    ],
    certifications: ['state teaching license', 'TESOL', 'National Board Certification'],
    duties: ['plan and deliver daily lessons', 'track student progress and adjust instruction', 'communicate with families each week', 'collaborate with grade-level teams', 'support students with learning plans', 'supervise extracurricular activities'],
  },
  {
    id: 'marketing',
    name: 'Marketing',
    titles: ['Marketing Manager', 'Digital Marketing Specialist', 'Content Marketing Manager', 'SEO Specialist', 'Growth Marketer', 'Marketing Coordinator'],
    mustHave: ['SEO', 'Google Analytics', 'content marketing', 'social media marketing', 'email marketing', 'copywriting'],
    niceToHave: ['Google Ads', 'marketing automation', 'HubSpot', 'A/B testing', 'brand management', 'data analysis', 'project management', 'Salesforce'],
    degrees: [
      { level: 'bachelor', names: BA_NAMES, fields: ['Marketing', 'Communications', 'Journalism', 'Business Administration'] },
      { level: 'master', names: ['MBA', "Master's degree"], fields: ['Marketing'] },
    ],
    certifications: ['Google Ads Certification', 'Google Analytics Certification', 'HubSpot Content Marketing Certification'],
    duties: ['plan and run multi-channel campaigns', 'grow organic traffic', 'write landing pages and newsletters', 'report on funnel metrics', 'manage the content calendar', 'coordinate with agencies and freelancers'],
  },
];


/** Seniority words in titles and postings, with the minimum years they usually imply. */
export const SENIORITY: readonly { word: string; minYears: number }[] = [
  { word: 'intern', minYears: 0 },
  { word: 'entry-level', minYears: 0 },
  { word: 'junior', minYears: 0 },
  { word: 'associate', minYears: 1 },
  { word: 'mid-level', minYears: 3 },
  { word: 'senior', minYears: 5 },
  { word: 'lead', minYears: 6 },
  { word: 'staff', minYears: 8 },
  { word: 'principal', minYears: 10 },
  { word: 'head of', minYears: 10 },
  { word: 'director', minYears: 10 },
];

// --- matching ------------------------------------------------------------------------------------

/** Text → canonical names, for one table of (name, variants, exact). Longest variant wins. */
class PhraseMatcher {
  private readonly insensitive: RegExp;
  private readonly sensitive: RegExp | null;
  private readonly listItems: RegExp | null;
  private readonly byLower = new Map<string, string>();
  private readonly byExact = new Map<string, string>();
  private readonly byExactLower = new Map<string, string>();

  /** `matchName: false` when the canonical name is a label, not a phrase to look for (degree levels). */
  constructor(entries: readonly { name: string; variants?: string[]; exact?: string[]; matchName?: boolean }[]) {
    const loose: string[] = [];
    const strict: string[] = [];
    for (const e of entries) {
      const nameIsVariant = e.matchName !== false && !(e.exact?.includes(e.name) ?? false);
      for (const v of nameIsVariant ? [e.name, ...(e.variants ?? [])] : (e.variants ?? [])) {
        const key = normalizePhrase(v);
        if (!this.byLower.has(key)) this.byLower.set(key, e.name);
        loose.push(v);
      }
      for (const v of e.exact ?? []) {
        if (!this.byExact.has(v)) this.byExact.set(v, e.name);
        if (!this.byExactLower.has(normalizePhrase(v))) this.byExactLower.set(normalizePhrase(v), e.name);
        strict.push(v);
      }
    }
    this.insensitive = buildAlternation(loose, 'giu');
    this.sensitive = strict.length ? buildAlternation(strict, 'gu') : null;
    this.listItems = strict.length ? new RegExp(`${LIST_ITEM_BEFORE}(?:${alternatives(strict)})${LIST_ITEM_AFTER}`, 'gimu') : null;
  }

  /** Canonical names in order of first mention, each once. */
  find(text: string): string[] {
    const hits: { at: number; end: number; name: string }[] = [];
    for (const m of text.matchAll(this.insensitive)) {
      const name = this.byLower.get(normalizePhrase(m[0]));
      if (name) hits.push({ at: m.index, end: m.index + m[0].length, name });
    }
    if (this.sensitive) {
      for (const m of text.matchAll(this.sensitive)) {
        const name = this.byExact.get(m[0]);
        if (name) hits.push({ at: m.index, end: m.index + m[0].length, name });
      }
    }
    if (this.listItems) {
      for (const m of text.matchAll(this.listItems)) {
        const name = this.byExactLower.get(normalizePhrase(m[0]));
        if (name) hits.push({ at: m.index, end: m.index + m[0].length, name });
      }
    }
    // Overlapping hits are one mention ("Excel" inside "MS Excel", "ERP" inside "SAP ERP"):
    // the earliest start wins, then the longest.
    hits.sort((a, b) => a.at - b.at || b.end - a.end);
    const seen = new Set<string>();
    const out: string[] = [];
    let claimedTo = 0;
    for (const h of hits) {
      if (h.at < claimedTo) continue;
      claimedTo = h.end;
      if (!seen.has(h.name)) {
        seen.add(h.name);
        out.push(h.name);
      }
    }
    return out;
  }

  /** A phrase that is known to name one entry (a profile's skill list): casing no longer matters. */
  canonical(phrase: string): string | null {
    const trimmed = phrase.trim();
    const key = normalizePhrase(trimmed);
    return this.byExact.get(trimmed) ?? this.byLower.get(key) ?? this.byExactLower.get(key) ?? null;
  }
}

/** Lowercase, unify apostrophes, and treat runs of spaces/hyphens as one space. */
function normalizePhrase(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[\s\-_]+/g, ' ')
    .trim();
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A variant as a pattern: spaces and hyphens interchangeable, apostrophes either kind. */
function variantPattern(v: string): string {
  return v
    .trim()
    .split(/[\s\-_]+/)
    .map((part) => escapeRegex(part).replace(/'/g, "['’]"))
    .join('[\\s\\-_]+');
}

// Word boundary that treats letters, digits, '+' and '#' as word characters, so "C++" and "C#"
// are words, "Java" does not match inside "JavaScript", and "js" does not match inside "Node.js"
// (a longer alternative is tried first at the same position and the scan moves past it).
const BEFORE = '(?<![\\p{L}\\p{N}_+#])';
const AFTER = '(?![\\p{L}\\p{N}_+#])';

// A whole list item: after the start of a line, a separator (, ; : | • · ( /) or a bullet, and
// before the end of the line, a separator or a final period.
const LIST_ITEM_BEFORE = '(?<=(?:^|[,;:|•·(/])[ \\t]*(?:[-–*•][ \\t]+)?)';
const LIST_ITEM_AFTER = '(?=[ \\t]*(?:$|[,;|)/·•]|\\.[ \\t]*$))';

function alternatives(variants: string[]): string {
  return [...new Set(variants)]
    .sort((a, b) => b.length - a.length)
    .map(variantPattern)
    .join('|');
}

function buildAlternation(variants: string[], flags: string): RegExp {
  const unique = [...new Set(variants)].sort((a, b) => b.length - a.length);
  // A leading '.' ("Node.js" has none, but ".NET" would) must not be preceded by a word character either.
  return new RegExp(`${BEFORE}(?:${unique.map(variantPattern).join('|')})${AFTER}`, flags);
}

// Text that reached us through NFKC-incompatible forms (full-width letters) is normalized first;
// matching runs on the normalized text, so offsets are not reported.
function prepare(text: string): string {
  return text.normalize('NFKC');
}

const skillMatcher = new PhraseMatcher(SKILLS);
const certificationMatcher = new PhraseMatcher(CERTIFICATIONS);
const degreeMatcher = new PhraseMatcher(DEGREE_PATTERNS.map((d) => ({ name: d.level, variants: d.variants, exact: d.exact, matchName: false })));

/** Canonical skills mentioned in `text` (word-boundary, case-insensitive, synonym-aware), first mention first. */
export function findSkills(text: string): string[] {
  return skillMatcher.find(prepare(text));
}

/** The canonical name of a skill or one of its variants; null when the lexicon does not know it. */
export function canonicalSkill(s: string): string | null {
  return skillMatcher.canonical(s.normalize('NFKC'));
}

/** Canonical certification names mentioned in `text`. */
export function findCertifications(text: string): string[] {
  return certificationMatcher.find(prepare(text));
}

export function canonicalCertification(s: string): string | null {
  return certificationMatcher.canonical(s.normalize('NFKC'));
}

/** Education levels mentioned in `text`, highest first. "MS Excel" is not a master's degree. */
export function findDegrees(text: string): Exclude<EducationLevel, 'none'>[] {
  const cleaned = prepare(text).replace(/\bMS(?=[\s\-]+(?:Excel|Office|Word|Teams|Project|SQL|Access|PowerPoint|Outlook|Dynamics)\b)/g, 'Microsoft');
  const found = degreeMatcher.find(cleaned) as Exclude<EducationLevel, 'none'>[];
  return found.sort((a, b) => educationRank(b) - educationRank(a));
}

/** The highest education level mentioned in `text`, or 'none'. */
export function highestDegree(text: string): EducationLevel {
  return findDegrees(text)[0] ?? 'none';
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12, fifteen: 15,
};

/**
 * The years of experience a text asks for: "5+ years", "at least three years", "3-5 years",
 * "minimum of 2 yrs", "three or more years". A range counts by its lower end; with several mentions the largest counts.
 * Null when none is stated.
 */
export function findYearsRequired(text: string): number | null {
  const num = '(\\d{1,2}(?:\\.\\d)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen)';
  const re = new RegExp(`${BEFORE}${num}\\s*(?:\\+|plus|or more)?\\s*(?:(?:-|–|to)\\s*${num}\\s*)?\\+?\\s*(?:years?|yrs?)\\b`, 'giu');
  let best: number | null = null;
  for (const m of prepare(text).matchAll(re)) {
    const raw = m[1]!.toLowerCase();
    const value = NUMBER_WORDS[raw] ?? Number(raw);
    if (Number.isFinite(value) && (best === null || value > best)) best = value;
  }
  return best;
}

/** The seniority word in a title ("Senior Data Analyst" → senior), or null. */
export function findSeniority(title: string): { word: string; minYears: number } | null {
  const lower = prepare(title).toLowerCase();
  let hit: { word: string; minYears: number } | null = null;
  for (const s of SENIORITY) {
    const re = new RegExp(`${BEFORE}${variantPattern(s.word)}${AFTER}`, 'iu');
    if (re.test(lower) && (hit === null || s.minYears > hit.minYears)) hit = s;
  }
  return hit;
}

/** The occupation a job title or headline most likely belongs to, from the titles table; null if unknown. */
// Each occupation title as its significant words' patterns, compiled once.
const TITLE_PATTERNS = OCCUPATIONS.flatMap((o) =>
  o.titles.map((candidate) => {
    const words = normalizePhrase(candidate).split(' ');
    return { id: o.id, wordCount: words.length, patterns: words.filter((w) => w.length > 2).map((w) => new RegExp(`\\b${escapeRegex(w)}\\b`)) };
  }),
);

export function occupationOfTitle(title: string): OccupationId | null {
  const t = normalizePhrase(title);
  let best: { id: OccupationId; score: number } | null = null;
  for (const { id, wordCount, patterns } of TITLE_PATTERNS) {
    const score = patterns.filter((p) => p.test(t)).length / wordCount;
    if (score > 0 && (best === null || score > best.score)) best = { id, score };
  }
  return best && best.score >= 0.5 ? best.id : null;
}
