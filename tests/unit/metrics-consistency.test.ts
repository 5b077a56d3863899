import { describe, expect, it } from 'vitest';
import { consistencyReport, readStance } from '../../src/metrics/consistency.ts';

describe('readStance', () => {
  it('reads explicit verdicts and label mentions', () => {
    expect(readStance('The candidate is a strong match for the Data Analyst role.').stance).toBe('high');
    expect(readStance('Medium fit for Nurse: a good part of the role is covered, with clear gaps.').stance).toBe('medium');
    expect(readStance('Overall this is a POOR FIT for the posting.').stance).toBe('low');
    expect(readStance('Fit: high. Python and SQL are both present.').stance).toBe('high');
    expect(readStance('This profile falls well short of the Accountant posting.').stance).toBe('low');
  });

  it('lets verdicts outweigh the evidence around them', () => {
    // One verdict (weight 3) against two negative evidence cues (weight 1 each).
    const r = readStance('High fit overall, although Kubernetes is missing and the evidence is thin for Terraform.');
    expect(r.stance).toBe('high');
    expect(r.hits.map((h) => h.phrase)).toEqual(['high fit', 'missing', 'thin']);
  });

  it('falls back to the balance of evidence when there is no verdict', () => {
    expect(readStance('They have SQL, as the posting requires, and their strengths include Excel.').stance).toBe('high');
    expect(readStance('The profile lacks Python and there is no sign of SQL.').stance).toBe('low');
    // 1 positive, 1 negative: balanced → medium.
    expect(readStance('Python is covered, but SQL is missing.').stance).toBe('medium');
  });

  it('handles negation within the clause and prefers the longest cue', () => {
    expect(readStance('The candidate is not a strong fit for this role.').stance).toBe('low');
    expect(readStance("Honestly, this isn't a strong match.").stance).toBe('low');
    expect(readStance("It isn't a poor fit.").stance).toBe('medium');
    expect(readStance('The candidate is plausible but not a clear match.').stance).toBe('medium');
    // The negation sits in another sentence: it does not reach the verdict.
    expect(readStance('No SQL. Strong fit otherwise.').stance).toBe('high');
  });

  it('has no stance when the text has no cue', () => {
    expect(readStance('The posting is for a nurse in Berlin.').stance).toBeNull();
    expect(readStance('').stance).toBeNull();
  });
});

describe('consistencyReport', () => {
  it('counts explanations whose stance agrees with their label; no stance counts as disagreement', () => {
    const r = consistencyReport([
      { label: 'high', explanation: 'A strong fit: every requirement is met.' },
      { label: 'low', explanation: 'A strong fit: every requirement is met.' },
      { label: 'medium', explanation: 'Partial match — SQL is present, but Python is missing.' },
      { label: 'low', explanation: 'The candidate lives in Paris.' },
    ]);
    expect(r.perExample.map((e) => [e.stance, e.consistent])).toEqual([
      ['high', true],
      ['high', false],
      ['medium', true],
      [null, false],
    ]);
    expect(r).toMatchObject({ examples: 4, consistent: 2, rate: 0.5, undetermined: 1 });
  });

  it('is 0 with no examples', () => {
    expect(consistencyReport([])).toMatchObject({ examples: 0, rate: 0 });
  });
});
