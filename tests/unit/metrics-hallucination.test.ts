import { describe, expect, it } from 'vitest';
import { checkSkills, hallucinationReport } from '../../src/metrics/hallucination.ts';

describe('hallucinated skills', () => {
  it('flags skills named in the explanation but in neither the job nor the profile', () => {
    const check = checkSkills('Strong Python and Kubernetes skills; knows JS.', 'We need Python and JavaScript developers.', 'Python, React');
    expect(check.mentioned).toEqual(['Python', 'Kubernetes', 'JavaScript']);
    expect(check.hallucinated).toEqual(['Kubernetes']);
  });

  it('grounds synonyms: "PostgreSQL" in the profile grounds "SQL" in the explanation', () => {
    expect(checkSkills('Their SQL is solid.', 'Analyst wanted.', 'Five years of PostgreSQL.').hallucinated).toEqual([]);
  });

  it('reports a mention rate and an example rate, 0 when nothing is mentioned', () => {
    const r = hallucinationReport([
      { explanation: 'Knows Python and Docker.', jobText: 'Python developer', profileText: 'Python' },
      { explanation: 'Has SQL.', jobText: 'SQL analyst', profileText: 'SQL' },
      { explanation: 'A good candidate overall.', jobText: 'Nurse', profileText: 'Nurse' },
    ]);
    expect(r).toMatchObject({ examples: 3, mentions: 3, hallucinatedMentions: 1 });
    expect(r.mentionRate).toBeCloseTo(1 / 3, 12);
    expect(r.exampleRate).toBeCloseTo(1 / 3, 12);
    expect(hallucinationReport([])).toMatchObject({ mentionRate: 0, exampleRate: 0 });
    expect(hallucinationReport([{ explanation: 'Fine.', jobText: '', profileText: '' }]).mentionRate).toBe(0);
  });
});
