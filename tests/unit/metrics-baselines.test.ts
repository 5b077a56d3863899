// The trivial baselines on cases small enough to compute by hand.
import { describe, expect, it } from 'vitest';
import type { Example, FitLabel } from '../../src/data/schema.ts';
import { copyExplanation, fillTemplate, fitOverlapThresholds, majorityLabel, medoidIndex, overlapLabel, pairSkills, skillOverlap, templateBaseline, toTemplate } from '../../src/metrics/baselines.ts';
import { classifierScores, explainerScores } from '../../src/metrics/scores.ts';

const pair = (id: string, title: string, required: string[], has: string[]): Example => ({
  id,
  job: {
    title,
    company: 'Acme',
    location: 'Austin, TX',
    remotePolicy: 'remote',
    description: `About us\nWe make things.\n\nRequirements\n${required.map((s) => `- ${s}`).join('\n')}\n\nBenefits\n- Free lunch`,
  },
  profile: { headline: 'Engineer', summary: '', location: 'Austin, TX', skills: has, experience: [], education: [], certifications: [] },
});

describe('classifier baselines', () => {
  it('majority: the most frequent label, ties to the first in low/medium/high order', () => {
    expect(majorityLabel(['high', 'medium', 'high', 'low'])).toBe('high');
    expect(majorityLabel(['high', 'low'])).toBe('low');
    expect(() => majorityLabel([])).toThrow(RangeError);
  });

  it('skill overlap: the share of the posting\'s skills the profile lists', () => {
    const p = pair('a', 'Data Analyst', ['SQL', 'Python', 'Tableau', 'Excel'], ['python', 'Excel', 'Photoshop']);
    expect(pairSkills(p).job).toEqual(['SQL', 'Python', 'Tableau', 'Excel']);
    // Python and Excel of four: 2/4 (casing and skills the posting does not name do not matter).
    expect(skillOverlap(p)).toBe(0.5);
    expect(skillOverlap(pair('b', 'Data Analyst', ['SQL'], []))).toBe(0);
    // Only the requirement sections count: "Free lunch" and "We make things" name no skill anyway,
    // but a skill under Benefits would not be a requirement.
    expect(copyExplanation(p)).toBe('Requirements\n- SQL\n- Python\n- Tableau\n- Excel');
  });

  it('fits the two thresholds with the best macro-F1 and cuts scores with them', () => {
    // Separable: low ≤ 0.2 < medium ≤ 0.5 < high.
    const scores = [0, 0.2, 0.4, 0.5, 0.75, 1];
    const labels: FitLabel[] = ['low', 'low', 'medium', 'medium', 'high', 'high'];
    const t = fitOverlapThresholds(scores, labels);
    expect(t).toEqual({ medium: 0.4, high: 0.75 });
    expect(scores.map((s) => overlapLabel(s, t))).toEqual(labels);
    // No high example: "high" is never predicted (threshold +∞) — predicting it could only lose.
    const noHigh = fitOverlapThresholds([0, 0.5, 1], ['low', 'medium', 'medium']);
    expect(noHigh).toEqual({ medium: 0.5, high: Number.POSITIVE_INFINITY });
    expect(() => fitOverlapThresholds([0.1], [])).toThrow(RangeError);
  });

  it('scores a constant prediction as sklearn does (macro-F1 over the classes present)', () => {
    // truth: low, medium, medium, high; predict medium everywhere.
    // medium: P = 2/4, R = 1, F1 = 2/3; low and high: F1 = 0 → macro-F1 = (2/3) / 3.
    const s = classifierScores([0, 1, 1, 2], [1, 1, 1, 1], ['low', 'medium', 'high']);
    expect(s.accuracy).toBe(0.5);
    expect(s.macroF1).toBeCloseTo(2 / 9, 12);
    expect(s.intervals.accuracy).toMatchObject({ method: 'wilson', n: 4 });
    expect(s.intervals.macroF1!.lo).toBeGreaterThanOrEqual(0);
    expect(s.intervals.macroF1!.hi).toBeLessThanOrEqual(1);
  });
});

describe('explainer baselines', () => {
  const title = 'Backend Engineer';
  const text = 'Strong fit for Backend Engineer: the profile shows Java, Git and SQL. Missing: Docker.';

  it('turns a title and skill names into slots and fills them for another pair', () => {
    const template = toTemplate(text, title);
    expect(template).toEqual([
      'Strong fit for ',
      { slot: 'title' },
      ': the profile shows ',
      { slot: 'skill', index: 0 },
      ', ',
      { slot: 'skill', index: 1 },
      ' and ',
      { slot: 'skill', index: 2 },
      '. Missing: ',
      { slot: 'skill', index: 3 },
      '.',
    ]);
    expect(fillTemplate(template, 'Nurse', ['BLS', 'EHR'])).toBe('Strong fit for Nurse: the profile shows BLS, EHR and BLS. Missing: EHR.');
    // A pair without skills keeps the template's own.
    expect(fillTemplate(template, 'Nurse', [], ['Java', 'Git', 'SQL', 'Docker'])).toBe('Strong fit for Nurse: the profile shows Java, Git and SQL. Missing: Docker.');
  });

  it('takes the most typical training explanation (ROUGE-L medoid)', () => {
    const texts = ['the candidate has sql and python', 'the candidate has sql', 'a completely different sentence about cooking', 'the candidate has python'];
    expect(medoidIndex(texts)).toBe(0);
    const train = texts.map((t, i) => ({ example: pair(`t${i}`, 'Analyst', ['SQL'], []), explanation: t }));
    const baseline = templateBaseline(train);
    expect(baseline.sourceId).toBe('t0');
    expect(baseline.explain(pair('x', 'Analyst', ['Excel', 'Tableau'], []))).toBe('the candidate has Excel and Tableau');
  });

  it('scores explanations with ROUGE and an interval per type', () => {
    const s = explainerScores(['the cat sat', 'a dog ran'], ['the cat sat', 'nothing alike']);
    expect(s.n).toBe(2);
    expect(s.rouge.rougeL.fmeasure).toBeCloseTo(0.5, 12);
    expect(s.intervals.rougeL).toMatchObject({ method: 'bootstrap', n: 2 });
    expect(s.intervals.rougeL!.lo).toBe(0);
    expect(s.intervals.rougeL!.hi).toBe(1);
  });
});
