import { describe, expect, it } from 'vitest';
import {
  CERTIFICATIONS,
  OCCUPATIONS,
  SKILLS,
  canonicalSkill,
  findCertifications,
  findDegrees,
  findSeniority,
  findSkills,
  findYearsRequired,
  highestDegree,
  occupationOfTitle,
} from '../../src/data/lexicon.ts';

describe('lexicon', () => {
  it('has at least 8 occupations whose skill pools and certificates all exist in the tables', () => {
    expect(OCCUPATIONS.length).toBeGreaterThanOrEqual(8);
    const skills = new Set(SKILLS.map((s) => s.name));
    const certs = new Set(CERTIFICATIONS.map((c) => c.name));
    for (const o of OCCUPATIONS) {
      expect(o.mustHave.length).toBeGreaterThanOrEqual(6);
      expect(o.niceToHave.length).toBeGreaterThanOrEqual(5);
      for (const s of [...o.mustHave, ...o.niceToHave]) expect(skills.has(s), `${o.id}: ${s}`).toBe(true);
      for (const c of o.certifications) expect(certs.has(c), `${o.id}: ${c}`).toBe(true);
    }
  });

  it('finds every skill by its canonical name and by each of its variants', () => {
    for (const s of SKILLS) {
      for (const v of [s.name, ...(s.variants ?? []), ...(s.exact ?? [])]) {
        expect(findSkills(`We need ${v}, thanks.`), v).toEqual([s.name]);
      }
    }
  });

  it('maps synonyms, respects word boundaries and casing of ordinary words', () => {
    expect(findSkills('JS and Node.js on k8s; C++ and C# too')).toEqual(['JavaScript', 'Node.js', 'Kubernetes', 'C++', 'C#']);
    expect(findSkills('Registered Nurse (RN) with an RN license')).toEqual(['registered nurse']);
    // "Java" is not inside "JavaScript"; "js" is not inside "Node.js"; "ML" is not "10 ml".
    expect(findSkills('JavaScript only')).toEqual(['JavaScript']);
    expect(findSkills('Node.js only')).toEqual(['Node.js']);
    expect(findSkills('give 10 ml of saline')).toEqual([]);
    // Words that are also skills count only in the skill's casing.
    expect(findSkills('the rest of the team will react and excel')).toEqual([]);
    expect(findSkills('REST, React and Excel')).toEqual(['REST APIs', 'React', 'Excel']);
    // ...but in any casing when they stand alone in a list, as people type skills.
    expect(findSkills('Skills: react, excel; lean | rest')).toEqual(['React', 'Excel', 'Lean', 'REST APIs']);
    expect(findSkills('- react\n- spark.')).toEqual(['React', 'Spark']);
    expect(findSkills('I will react fast. We excel at it.')).toEqual([]);
    expect(findSkills('MS Excel and SAP ERP')).toEqual(['Excel', 'SAP']);
    // Hyphens and spaces are interchangeable; case does not matter for ordinary skill names.
    expect(findSkills('MONTH END CLOSE and machine-learning')).toEqual(['month-end close', 'machine learning']);
    expect(findSkills('')).toEqual([]);
    expect(canonicalSkill('k8s')).toBe('Kubernetes');
    expect(canonicalSkill('react')).toBe('React');
    expect(canonicalSkill('underwater basket weaving')).toBeNull();
  });

  it('finds certifications, degrees, years and seniority', () => {
    expect(findCertifications('Current BLS and ACLS; CPA license; Lean Six Sigma Green Belt')).toEqual(['BLS', 'ACLS', 'CPA', 'Six Sigma Green Belt']);
    expect(findDegrees("BS in Computer Science; Master’s preferred")).toEqual(['master', 'bachelor']);
    expect(findDegrees('Advanced MS Excel skills')).toEqual([]);
    // Titles are not degrees.
    expect(findDegrees('High School Math Teacher, Associate Product Manager, Scrum Master')).toEqual([]);
    expect(highestDegree('PhD in Physics, BSc in Mathematics')).toBe('doctorate');
    expect(highestDegree('no formal education listed')).toBe('none');
    expect(findYearsRequired('3-5 years of experience; at least five years in a hospital')).toBe(5);
    expect(findYearsRequired('Three or more years of experience')).toBe(3);
    expect(findYearsRequired('A four-year degree')).toBeNull();
    expect(findSeniority('Senior Staff Engineer')?.minYears).toBe(8);
    expect(occupationOfTitle('Senior Software Engineer')).toBe('software');
    expect(occupationOfTitle('Staff Nurse II')).toBe('nursing');
    expect(occupationOfTitle('Astronaut')).toBeNull();
  });
});

describe('degree names of the occupations table', () => {
  it('are each read at their own level (the offline teacher and the generator rely on it)', () => {
    for (const o of OCCUPATIONS) for (const d of o.degrees) for (const name of d.names) expect(highestDegree(name), `${o.id}: ${name}`).toBe(d.level);
  });
});
