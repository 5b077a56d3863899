import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LanternStore } from '../../src/data/store.ts';
import { ImportRejectedError, MappingError, applyMapping, commitImport, parseCsv, parseJsonl, parseSource, suggestMapping, type ColumnMapping } from '../../src/data/import.ts';
import { exportDatasetJsonl } from '../../src/data/export.ts';
import { generateDemoExamples, toJsonl } from '../../src/data/demo.ts';
import { contentHash } from '../../src/data/hash.ts';

let n = 0;
const stores: LanternStore[] = [];
async function freshStore() {
  const s = await LanternStore.open({ name: `lantern-import-${process.pid}-${++n}`, storage: null });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

// Line numbers matter: row 2 spans lines 3–5 (a quoted description with newlines).
const CSV = [
  'Pair ID,Job Title,Employer,Location,Work Mode,Job Description,Candidate Headline,Candidate Location,Skills,Work Experience,Education,Certifications',
  'p1,Data Analyst,Quantive,"Austin, TX",Hybrid,Requirements: SQL and Python,Analyst at Acme,"Austin, TX","SQL, Python; Tableau","Data Analyst at Acme, 3 years: dashboards","BSc in Statistics, Rutgers University",',
  'p2,Staff Nurse,Pinecrest,Denver,On-site,"About us',
  'We care.',
  'Must have: BLS, RN license",RN at Mercy,Denver,"patient care",Registered Nurse at Mercy (6 yrs),BSN in Nursing,BLS|ACLS',
  'p3,,Acme,Boston,Remote,Requirements: Excel,Accountant,Boston,Excel,,,', // missing title
  'p4,Teacher,Westfield,Chicago,moon base,Requirements: lesson planning,Teacher,Chicago,lesson planning,,,', // bad remote policy
  'p5,Designer,Sable,Berlin,remote,Requirements: Figma,Designer,Berlin,Figma,worked a lot with Figma,,', // experience without years
  'p6,Designer,Sable,Berlin,remote', // too few columns
  'p1,Engineer,Helio,Seattle,remote,Requirements: Java,Engineer,Seattle,Java,,,', // duplicate id
  '',
  'p7,Sales Rep,Summit,Phoenix,WFH,Requirements: CRM,Account Executive,Phoenix,"CRM, negotiation","Account Executive at Summit, 2 years",,',
].join('\n');

describe('CSV import', () => {
  it('suggests a mapping from the header names', () => {
    const source = parseCsv(CSV);
    expect(suggestMapping(source.fields).fields).toEqual({
      id: 'Pair ID',
      'job.title': 'Job Title',
      'job.company': 'Employer',
      'job.location': 'Location',
      'job.remotePolicy': 'Work Mode',
      'job.description': 'Job Description',
      'profile.headline': 'Candidate Headline',
      'profile.location': 'Candidate Location',
      'profile.skills': 'Skills',
      'profile.experience': 'Work Experience',
      'profile.education': 'Education',
      'profile.certifications': 'Certifications',
    });
  });

  it('reports every bad row with its line, field and reason, and writes nothing', async () => {
    const source = parseCsv(CSV);
    const preview = applyMapping(source, suggestMapping(source.fields));
    expect(preview.examples.map((e) => e.id)).toEqual(['p1', 'p2', 'p7']);
    expect(preview.errors).toEqual([
      { line: 6, field: 'job.title', reason: 'title is empty' },
      { line: 7, field: 'job.remotePolicy (column "Work Mode")', reason: 'expected onsite, hybrid or remote, got "moon base"' },
      { line: 8, field: 'profile.experience (column "Work Experience")', reason: expect.stringContaining('"worked a lot with Figma" is not "Title at Company, N years') },
      { line: 9, field: '(row)', reason: 'expected 12 columns, got 5' },
      { line: 10, field: 'id', reason: 'duplicate id "p1" (first used on line 2)' },
    ]);
    expect(preview.invalidLines).toEqual([6, 7, 8, 9, 10]);
    expect(preview.rowCount).toBe(8);

    const store = await freshStore();
    const err = await commitImport(store, preview, { name: 'mine' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportRejectedError);
    expect((err as ImportRejectedError).errors).toHaveLength(5);
    expect((err as Error).message).toMatch(/^Import refused, nothing was written: 5 problems \(line 6, job\.title: title is empty/);
    expect(await store.listDatasets()).toEqual([]);
    expect(await store.countExamples('anything')).toBe(0);
  });

  it('converts values: lists, experience and education lines, remote policy words', () => {
    const source = parseCsv(CSV);
    const [p1, p2, p7] = applyMapping(source, suggestMapping(source.fields)).examples;
    expect(p1!.job).toEqual({ title: 'Data Analyst', company: 'Quantive', location: 'Austin, TX', remotePolicy: 'hybrid', description: 'Requirements: SQL and Python' });
    expect(p1!.profile.skills).toEqual(['SQL', 'Python', 'Tableau']);
    expect(p1!.profile.experience).toEqual([{ title: 'Data Analyst', company: 'Acme', years: 3, description: 'dashboards' }]);
    expect(p1!.profile.education).toEqual([{ degree: 'BSc', field: 'Statistics', school: 'Rutgers University' }]);
    expect(p2!.job.description).toBe('About us\nWe care.\nMust have: BLS, RN license');
    expect(p2!.job.remotePolicy).toBe('onsite');
    expect(p2!.profile.experience).toEqual([{ title: 'Registered Nurse', company: 'Mercy', years: 6, description: '' }]);
    expect(p2!.profile.certifications).toEqual(['BLS', 'ACLS']);
    expect(p7!.job.remotePolicy).toBe('remote');
  });

  it('writes only the valid rows, in one dataset, when the user opts in to skipping', async () => {
    const store = await freshStore();
    const source = parseCsv(CSV);
    const preview = applyMapping(source, suggestMapping(source.fields));
    const result = await commitImport(store, preview, { name: 'mine', skipInvalid: true });
    expect(result.written).toBe(3);
    expect(result.skipped).toHaveLength(5);
    expect(result.dataset.splits.raw).toEqual(['p1', 'p2', 'p7']);
    expect(result.dataset.contentHash).toBe(await contentHash(preview.examples));
    expect(await store.countExamples(result.dataset.id)).toBe(3);
  });

  it('refuses an unusable mapping before reading rows, and reports unclosed quotes', () => {
    const source = parseCsv(CSV);
    const mapping: ColumnMapping = { fields: { 'job.title': 'Job Title', 'job.description': 'Nope' } };
    expect(() => applyMapping(source, mapping)).toThrow(MappingError);
    expect(() => applyMapping(source, mapping)).toThrow(/job\.description is mapped to "Nope".*job\.remotePolicy is required.*profile\.headline is required/);
    // A value for every row stands in for a missing column.
    const withConstant = applyMapping(source, { fields: { 'job.title': 'Job Title', 'job.description': 'Job Description', 'profile.headline': 'Candidate Headline' }, constants: { 'job.remotePolicy': 'onsite' } });
    expect(withConstant.examples.every((e) => e.job.remotePolicy === 'onsite')).toBe(true);
    const broken = parseCsv('title,description\nok,"fine"\nbad,"never closed\nmore');
    // The open quote's line is reported, and the line it swallowed is read (and reported) on its own.
    expect(broken.errors).toEqual([
      { line: 3, field: '(row)', reason: expect.stringContaining('a quoted value opened on this line is not closed') },
      { line: 4, field: '(row)', reason: 'expected 2 columns, got 1' },
    ]);
    expect(() => parseCsv('a,a\n1,2')).toThrow(/names the column "a" twice/);
  });
});

describe('JSONL import and export', () => {
  it('reads the demo data back with the suggested (identity) mapping', () => {
    const demo = generateDemoExamples({ seed: 9, n: 20 });
    const source = parseSource(toJsonl(demo), 'auto', 'demo.jsonl');
    expect(source.format).toBe('jsonl');
    const mapping = suggestMapping(source.fields);
    expect(mapping.fields['job.title']).toBe('job.title');
    expect(mapping.fields['profile.experience']).toBe('profile.experience');
    const preview = applyMapping(source, mapping);
    expect(preview.errors).toEqual([]);
    expect(preview.examples).toEqual(demo.map(({ id, job, profile }) => ({ id, job, profile })));
  });

  it('reports bad JSON lines and invalid nested fields by line', () => {
    const good = generateDemoExamples({ seed: 9, n: 2 });
    const badYears = { ...good[1]!, id: 'x', profile: { ...good[1]!.profile, experience: [{ title: 'Nurse', company: '', years: -2, description: '' }] } };
    const text = [JSON.stringify(good[0]), '{"id": "broken", ', '[1,2]', '', JSON.stringify(badYears), JSON.stringify({ id: 'y', job: good[0]!.job, profile: {} })].join('\n');
    const source = parseJsonl(text);
    const preview = applyMapping(source, suggestMapping(source.fields));
    expect(preview.examples.map((e) => e.id)).toEqual([good[0]!.id]);
    expect(preview.errors).toEqual([
      { line: 2, field: '(row)', reason: expect.stringMatching(/^not valid JSON/) },
      { line: 3, field: '(row)', reason: 'expected a JSON object on each line' },
      { line: 5, field: 'profile.experience.0.years', reason: 'years must be ≥ 0' },
      { line: 6, field: 'profile.headline', reason: expect.stringMatching(/^missing/) },
    ]);
  });

  it('exports examples with their labels, reviews and splits, and the export imports back unchanged', async () => {
    const store = await freshStore();
    const demo = generateDemoExamples({ seed: 2, n: 5 });
    const source = parseJsonl(toJsonl(demo));
    const { dataset } = await commitImport(store, applyMapping(source, suggestMapping(source.fields)), { name: 'demo' });
    const teacher = { provider: 'offline', model: 'rules', templateVersion: '1' };
    await store.putLabels(dataset.id, [{ exampleId: demo[1]!.id, teacher, label: 'high', labelProbs: { low: 0.1, medium: 0.2, high: 0.7 }, explanation: 'Meets all must-haves.', createdAt: 't' }]);
    await store.putReview(dataset.id, { exampleId: demo[1]!.id, decision: 'accepted', reviewedAt: 't' });

    const jsonl = await exportDatasetJsonl(store, dataset.id);
    const lines = jsonl.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(demo.map((e) => e.id));
    expect(lines[1].labels).toEqual([expect.objectContaining({ label: 'high', explanation: 'Meets all must-haves.', teacher })]);
    expect(lines[1].review).toMatchObject({ decision: 'accepted' });
    expect(lines[0].labels).toEqual([]);
    expect(lines[0].review).toBeNull();
    expect(lines[0].splits).toEqual(['raw']);

    const again = parseJsonl(jsonl);
    const preview = applyMapping(again, suggestMapping(again.fields));
    expect(preview.errors).toEqual([]);
    expect(await contentHash(preview.examples)).toBe(dataset.contentHash);
  });
});
