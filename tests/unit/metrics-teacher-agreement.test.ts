import { describe, expect, it } from 'vitest';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { jobText, profileText } from '../../src/data/format.ts';
import { OfflineTeacher } from '../../server/teacher/offline-teacher.ts';
import { consistencyReport } from '../../src/metrics/consistency.ts';
import { hallucinationReport } from '../../src/metrics/hallucination.ts';

// The explanation metrics read real teacher output: the offline teacher's explanations agree with
// its labels and cite only what the inputs contain, while mismatched pairs are caught.
describe('explanation metrics on offline-teacher output (demo data)', () => {
  const examples = generateDemoExamples({ seed: 3, n: 120 });
  const teacher = new OfflineTeacher();
  const labelled = examples.map((e) => ({ e, r: teacher.labelSync({ id: e.id, job: e.job, profile: e.profile }) }));
  const shifted = (i: number) => labelled[(i + 7) % labelled.length]!;

  it('finds the teacher consistent with its own labels, and shuffled labels inconsistent', () => {
    const own = consistencyReport(labelled.map(({ r }) => ({ label: r.label, explanation: r.explanation })));
    expect(own.undetermined).toBe(0);
    expect(own.rate).toBeGreaterThanOrEqual(0.95);
    const shuffled = consistencyReport(labelled.map(({ r }, i) => ({ label: shifted(i).r.label, explanation: r.explanation })));
    expect(shuffled.rate).toBeLessThan(own.rate - 0.3);
  });

  it('finds no hallucinated skills in grounded explanations, and many against the wrong pair', () => {
    const grounded = hallucinationReport(labelled.map(({ e, r }) => ({ explanation: r.explanation, jobText: jobText(e.job), profileText: profileText(e.profile) })));
    expect(grounded.mentions).toBeGreaterThan(100);
    expect(grounded.hallucinatedMentions).toBe(0);
    const wrong = hallucinationReport(labelled.map(({ r }, i) => ({ explanation: r.explanation, jobText: jobText(shifted(i).e.job), profileText: profileText(shifted(i).e.profile) })));
    expect(wrong.mentionRate).toBeGreaterThan(0.5);
  });
});
