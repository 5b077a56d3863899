// The offline rule-based teacher: deterministic, grounded in its inputs, calibrated, and varied.
import { describe, expect, it } from 'vitest';
import { FIT_LABELS, TeacherLabel, type Pair } from '../../src/data/schema.ts';
import { findSkills } from '../../src/data/lexicon.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { labelProbsForScore, OfflineTeacher } from '../../server/teacher/offline-teacher.ts';
import { PAIRS, DATA_JOB } from './helpers/pairs.ts';

const teacher = new OfflineTeacher();
const demo = generateDemoExamples({ seed: 2024, n: 600 });
const demoLabels = demo.map((p) => teacher.labelSync(p));

function withoutTime<T extends { createdAt: string }>(r: T): Omit<T, 'createdAt'> {
  const { createdAt: _drop, ...rest } = r;
  return rest;
}

describe('offline teacher', () => {
  it('says it is a rule-based teacher in its identity and description', () => {
    const r = teacher.labelSync(PAIRS[0]!);
    expect(r.teacher.provider).toBe('offline');
    expect(r.teacher.model).toMatch(/rule-based/);
    expect(teacher.describe()).toMatchObject({ kind: 'rule-based', network: false, description: expect.stringMatching(/rule-based/) });
    expect(TeacherLabel.safeParse(r).success).toBe(true);
  });

  it('is deterministic: the same pair gives the same label, probabilities, steps and explanation', () => {
    for (const pair of [...PAIRS, ...demo.slice(0, 50)]) {
      expect(withoutTime(teacher.labelSync(pair))).toEqual(withoutTime(teacher.labelSync(structuredClone(pair))));
    }
  });

  it('names only skills that the job or the profile contains, and only requirements the posting states', () => {
    const all = [...PAIRS, ...demo];
    const labels = [...PAIRS.map((p) => teacher.labelSync(p)), ...demoLabels];
    all.forEach((pair, i) => {
      const r = labels[i]!;
      const inJob = new Set(findSkills(JSON.stringify(pair.job)));
      const inInputs = new Set([...inJob, ...findSkills(JSON.stringify(pair.profile))]);
      const named = findSkills(r.explanation);
      expect(named.filter((s) => !inInputs.has(s)), `${pair.id}: ${r.explanation}`).toEqual([]);
      for (const req of r.steps.requirements.filter((q) => q.category === 'skill')) expect(inJob.has(req.text), `${pair.id}: ${req.text}`).toBe(true);
      // The skills an explanation names as met are in the profile; as missing, in the job.
      const met = new Set(r.steps.evaluations.filter((e) => e.status === 'met').map((e) => e.requirementId));
      for (const req of r.steps.requirements.filter((q) => q.category === 'skill' && met.has(q.id))) {
        expect(findSkills(JSON.stringify(pair.profile)), `${pair.id}: ${req.text}`).toContain(req.text);
      }
    });
  });

  it('gives label probabilities that sum to 1, peak at the label, and rise with the share of requirements met', () => {
    for (const r of demoLabels) {
      const p = r.labelProbs!;
      expect(r.labelProbsSource).toBe('rule-based');
      expect(p.low + p.medium + p.high).toBeCloseTo(1, 12);
      expect(Math.max(p.low, p.medium, p.high)).toBe(p[r.label]);
    }
    const strong = teacher.labelSync(PAIRS[0]!);
    const partial = teacher.labelSync(PAIRS[1]!);
    const weak = teacher.labelSync(PAIRS[2]!);
    expect([strong.label, partial.label, weak.label]).toEqual(['high', 'medium', 'low']);
    expect(strong.labelProbs!.high).toBeGreaterThan(partial.labelProbs!.high);
    expect(partial.labelProbs!.high).toBeGreaterThan(weak.labelProbs!.high);
    // Near a decision boundary the teacher is unsure; far from it, sure.
    expect(labelProbsForScore(0.725).high).toBeCloseTo(labelProbsForScore(0.725).medium, 1);
    expect(labelProbsForScore(1).high).toBeGreaterThan(0.9);
  });

  it('agrees with the demo generator on most pairs and is calibrated (expected calibration error under 0.06)', () => {
    let agree = 0;
    const bins = Array.from({ length: 10 }, () => ({ n: 0, confidence: 0, correct: 0 }));
    demo.forEach((pair, i) => {
      const r = demoLabels[i]!;
      const intended = pair.meta!.intendedFit!;
      const confidence = r.labelProbs![r.label];
      const bin = bins[Math.min(9, Math.floor(confidence * 10))]!;
      bin.n++;
      bin.confidence += confidence;
      if (r.label === intended) {
        agree++;
        bin.correct++;
      }
    });
    const ece = bins.reduce((sum, b) => sum + Math.abs(b.confidence - b.correct), 0) / demo.length;
    expect(agree / demo.length).toBeGreaterThan(0.75);
    expect(ece).toBeLessThan(0.06);
    // Every label occurs: the teacher does not collapse onto one class.
    const counts = FIT_LABELS.map((l) => demoLabels.filter((r) => r.label === l).length);
    for (const c of counts) expect(c).toBeGreaterThan(demo.length / 6);
  });

  it('writes varied explanations, and the same pair always reads the same', () => {
    const explanations = demoLabels.slice(0, 90).map((r) => r.explanation);
    const openings = new Set(explanations.map((e, i) => e.split(/[.:]/)[0]!.replace(demo[i]!.job.title, 'TITLE')));
    expect(openings.size).toBeGreaterThanOrEqual(8);
    expect(new Set(explanations).size).toBe(explanations.length);
  });

  it('reads requirements from the posting: must-haves, nice-to-haves, years, degree, certifications and location', () => {
    const r = teacher.labelSync(PAIRS[3]!);
    const req = (text: string) => r.steps.requirements.find((q) => q.text === text);
    expect(req('GAAP')).toMatchObject({ kind: 'must', category: 'skill' });
    expect(req('NetSuite')).toMatchObject({ kind: 'nice' });
    expect(req('CPA')).toMatchObject({ kind: 'nice', category: 'certification' });
    expect(req('2+ years of experience')).toMatchObject({ kind: 'must', category: 'experience' });
    expect(req('on-site work in Chicago, IL')).toMatchObject({ kind: 'must', category: 'location' });
    const benefitsOnly: Pair = { ...PAIRS[0]!, job: { ...DATA_JOB, description: `${DATA_JOB.description}\n- Free Kubernetes training` } };
    // Skills named under "Benefits" are not requirements.
    expect(teacher.labelSync(benefitsOnly).steps.requirements.map((q) => q.text)).not.toContain('Kubernetes');
    const status = (id: string) => r.steps.evaluations.find((e) => e.requirementId === id)?.status;
    expect(status(req('Excel')!.id)).toBe('met');
    expect(status(req('reconciliations')!.id)).toBe('met'); // from the work history
    expect(status(req('CPA')!.id)).toBe('missing');
  });
});
