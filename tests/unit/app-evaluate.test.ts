// The evaluate view's per-answer details agree with src/metrics; skills are marked where named.
import { describe, expect, it } from 'vitest';
import { answerDetails, markSkills, sortFailures, type AnswerDetail } from '../../src/app/lib/evaluation.ts';
import { generateDemoExample } from '../../src/data/demo.ts';
import { jobText, profileText } from '../../src/data/format.ts';
import { rouge } from '../../src/metrics/rouge.ts';
import { checkSkills } from '../../src/metrics/hallucination.ts';

describe('answer details', () => {
  it('score each kept answer as the orchestrator\'s metrics do', () => {
    const example = generateDemoExample(1, 0);
    const explanation = 'Strong fit: the candidate knows Haskell and COBOL and meets the requirements.';
    const [d] = answerDetails([{ exampleId: example.id, label: 'high', explanation, reference: 'The candidate meets most requirements.', referenceLabel: 'high' }], new Map([[example.id, example]]), true);
    expect(d!.rougeL).toBe(rouge('The candidate meets most requirements.', explanation, { stem: true }).rougeL.fmeasure);
    expect(d!.hallucinated).toEqual(checkSkills(explanation, jobText(example.job), profileText(example.profile)).hallucinated);
    expect(d!.jobText).toBe(jobText(example.job));
  });
  it('leave skills unchecked when the pair is not available', () => {
    const [d] = answerDetails([{ exampleId: 'gone', label: 'low', explanation: 'Python', reference: 'Python', referenceLabel: 'low' }], new Map(), false);
    expect([d!.jobText, d!.hallucinated, d!.rougeL]).toEqual([null, [], 1]);
  });
});

describe('failure browser order', () => {
  const d = (id: string, rougeL: number, consistent: boolean, hallucinated: string[]) => ({ exampleId: id, rougeL, consistent, hallucinated }) as AnswerDetail;
  const all = [d('a', 0.5, true, []), d('b', 0.2, true, ['X']), d('c', 0.4, false, []), d('e', 0.9, false, ['X', 'Y'])];
  it('puts the worst ROUGE-L first, or inconsistent / hallucinating answers first', () => {
    expect(sortFailures(all, 'worst-rouge').map((x) => x.exampleId)).toEqual(['b', 'c', 'a', 'e']);
    expect(sortFailures(all, 'inconsistent').map((x) => x.exampleId)).toEqual(['c', 'e', 'b', 'a']);
    expect(sortFailures(all, 'hallucinated').map((x) => x.exampleId)).toEqual(['e', 'b', 'c', 'a']);
  });
});

describe('markSkills', () => {
  it('marks the words that name the given skills, synonyms included', () => {
    const segments = markSkills('Knows JS, machine learning and Python.', ['JavaScript', 'machine learning']);
    expect(segments).toEqual([
      { text: 'Knows ', skill: null },
      { text: 'JS', skill: 'JavaScript' },
      { text: ', ', skill: null },
      { text: 'machine learning', skill: 'machine learning' },
      { text: ' and Python.', skill: null },
    ]);
    expect(markSkills('nothing', [])).toEqual([{ text: 'nothing', skill: null }]);
  });
});
