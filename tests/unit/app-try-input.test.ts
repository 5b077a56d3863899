import { describe, expect, it } from 'vitest';
import { modelJobText } from '../../src/app/lib/try-input.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { jobText } from '../../src/data/format.ts';

describe('the Try-it job text', () => {
  it('is the training input: compressing a rendered posting gives jobText with compression', () => {
    for (const e of generateDemoExamples({ seed: 2, n: 30 })) {
      expect(modelJobText(jobText(e.job), true)).toBe(jobText(e.job, { compress: true }));
      expect(modelJobText(jobText(e.job), false)).toBe(jobText(e.job));
    }
  });

  it('compresses a pasted posting without header lines as a whole', () => {
    const pasted = 'About us\nWe are great.\n\nRequirements\n- 5+ years of Python\n- SQL\n\nBenefits\n- Free lunch';
    const out = modelJobText(pasted, true);
    expect(out).toContain('Python');
    expect(out).not.toContain('Free lunch');
  });
});
