import { describe, expect, it } from 'vitest';
import { compressDescription, compressionReport, compressionSegments, splitSections } from '../../src/data/compress.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import { findCertifications, findDegrees, findYearsRequired } from '../../src/data/lexicon.ts';
import { exampleText } from '../../src/data/format.ts';

const POSTING = `About Us
Harbor Labs builds logistics software used by 4,000 shippers. We value kindness and curiosity, and we have been a great place to work for 10 years.

What you'll do
- Build backend services in Go
- Own on-call for the routing team

Minimum qualifications:
- 5+ years of experience with Python
- BS in Computer Science
- AWS Certified Solutions Architect required

PREFERRED QUALIFICATIONS
• Kubernetes
• GraphQL

Benefits
- Unlimited PTO
- 401(k) match

Harbor Labs is an equal opportunity employer and makes employment decisions without regard to race, religion or disability.`;

describe('input compression', () => {
  it('keeps requirement and nice-to-have sections and drops about, duties, benefits and EEO text', () => {
    expect(splitSections(POSTING).map((s) => s.kind)).toEqual(['about', 'responsibilities', 'requirements', 'niceToHave', 'benefits', 'eeo']);
    const { text, method } = compressDescription(POSTING);
    expect(method).toBe('sections');
    expect(text).toContain('5+ years of experience with Python');
    expect(text).toContain('AWS Certified Solutions Architect required');
    expect(text).toContain('• Kubernetes');
    for (const gone of ['Harbor Labs builds', 'on-call', 'Unlimited PTO', 'equal opportunity', 'for 10 years']) expect(text).not.toContain(gone);
  });

  it('names every piece of a posting as kept or dropped, and the kept pieces are the compressed text', () => {
    const { method, segments } = compressionSegments(POSTING);
    expect(method).toBe('sections');
    expect(segments.map((s) => [s.kind, s.kept])).toEqual([
      ['about', false],
      ['responsibilities', false],
      ['requirements', true],
      ['niceToHave', true],
      ['benefits', false],
      ['eeo', false],
    ]);
    expect(segments.filter((s) => s.kept).map((s) => s.text).join('\n\n')).toBe(compressDescription(POSTING).text);
    const flat = compressionSegments('We bake bread. You need 3 years of experience.');
    expect(flat.segments.map((s) => s.kept)).toEqual([false, true]);
  });

  it('falls back to requirement lines for a posting without headings, and never empties a posting', () => {
    const flat = 'We are a friendly bakery chain. You will need 3 years of experience and strong Excel skills. We offer free bread. We are an equal opportunity employer.';
    const c = compressDescription(flat);
    expect(c.method).toBe('lines');
    expect(c.text).toBe('You will need 3 years of experience and strong Excel skills.');
    const nothing = 'Come work with us! Great team, great coffee.';
    expect(compressDescription(nothing)).toEqual({ text: nothing, method: 'none' });
  });

  it('keeps every stated requirement of the demo postings and reports the reduction on the set', () => {
    const examples = generateDemoExamples({ seed: 1, n: 150 });
    for (const e of examples) {
      const { text } = compressDescription(e.job.description);
      // The experience line is kept (boilerplate such as "a top workplace for 5 years" is not).
      const yearsLine = e.job.description.split('\n').find((l) => /years (of|in)\b/.test(l) && !/workplace/.test(l))!;
      expect(text).toContain(yearsLine.trim());
      expect(findYearsRequired(text)).not.toBeNull();
      expect(findCertifications(text)).toEqual(findCertifications(e.job.description));
      expect(findDegrees(text)).toEqual(findDegrees(e.job.description));
    }
    const report = compressionReport(examples, (t) => t.split(/\s+/).length);
    expect(report.methods.sections).toBe(150);
    expect(report.charsAfter).toBeLessThan(report.charsBefore);
    expect(report.charReduction).toBeCloseTo(1 - report.charsAfter / report.charsBefore, 12);
    expect(report.charReduction).toBeGreaterThan(0.5);
    expect(report.tokenReduction).toBeGreaterThan(0.5);
    // The option reaches the model input text.
    expect(exampleText(examples[0]!, { compress: true }).length).toBeLessThan(exampleText(examples[0]!).length);
  });
});
