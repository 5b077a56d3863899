// The evaluate view's per-answer details keep the orchestrator's scores; skills are marked where named.
import { describe, expect, it } from 'vitest';
import { answerDetails, markSkills, sortFailures, type AnswerDetail } from '../../src/app/lib/evaluation.ts';
import { generateDemoExample } from '../../src/data/demo.ts';
import { jobText, profileText } from '../../src/data/format.ts';

describe('answer details', () => {
  const answer = { exampleId: 'x', label: 'high' as const, explanation: 'Knows Python.', reference: 'Knows Python.', referenceLabel: 'high' as const, rougeL: 1, stance: 'low' as const, mentioned: ['Python'], hallucinated: [] };
  it('join each answer with its job and profile texts, keeping the orchestrator\'s scores', () => {
    const example = generateDemoExample(1, 0);
    const [d] = answerDetails([{ ...answer, exampleId: example.id }], new Map([[example.id, example]]));
    expect(d).toMatchObject({ rougeL: 1, stance: 'low', consistent: false, jobText: jobText(example.job), profileText: profileText(example.profile) });
  });
  it('leave the texts out when the pair is not available', () => {
    const [d] = answerDetails([{ ...answer, stance: 'high' }], new Map());
    expect([d!.jobText, d!.profileText, d!.consistent]).toEqual([null, null, true]);
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
