// The CPU reference of the KD losses against every case of the project's copy of the independent
// float64 reference file (relative error ≤ 1e-5), and the clear errors users get for bad calls.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caseName, checkCaseCpu, parseKdReference, ReferenceFileError } from '../../src/engine/selftest/kd-reference.ts';
import { kdLoss } from '../../src/engine/cpu/kd-loss.ts';
import { checkSparseTeacher } from '../../src/engine/kd-args.ts';
import { DIVERGENCES, KdSpecError, type KdLossSpec } from '../../src/engine/kd-spec.ts';
import { randn } from '../../src/engine/random.ts';

const REFERENCE = new URL('../../models/reference/kd-losses.json', import.meta.url);
const reference = parseKdReference(readFileSync(REFERENCE, 'utf8'));

describe('KD reference file, CPU', () => {
  it('covers every divergence, CE, both temperatures and sparse teachers', () => {
    const kinds = new Set(reference.cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['ce', 'fkl', 'jsd', 'rkl', 'sfkl', 'srkl', 'tvd']);
    expect(reference.cases.some((c) => c.sparse)).toBe(true);
    expect(reference.cases.some((c) => c.temperature !== 1)).toBe(true);
  });

  reference.cases.forEach((c, i) => {
    it(caseName(c, i), () => {
      const r = checkCaseCpu(c, i);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
  });
});

describe('KD divergences, CPU', () => {
  const n = 4;
  const v = 9;
  const student = randn(n * v, 1, 2);
  const teacher = randn(n * v, 2, 2);
  for (const divergence of DIVERGENCES) {
    const spec: KdLossSpec = { divergence, temperature: 1.5, scaleByT2: true, wCe: 0, wKd: 1 };
    it(`${divergence} is ≥ 0, and 0 with a zero gradient when the student equals the teacher`, () => {
      const { rowDivergence, loss } = kdLoss({ spec, student, teacher, n, v });
      for (const d of rowDivergence) expect(d).toBeGreaterThan(0);
      expect(loss).toBeCloseTo((1.5 ** 2 * rowDivergence.reduce((a, b) => a + b, 0)) / n, 12);
      const same = kdLoss({ spec, student: teacher, teacher, n, v });
      expect(Math.abs(same.loss)).toBeLessThan(1e-12);
      for (const g of same.grad) expect(Math.abs(g)).toBeLessThan(1e-12);
    });
  }
});

describe('KD loss errors', () => {
  const base: KdLossSpec = { divergence: 'jsd', temperature: 1, scaleByT2: true, wCe: 0, wKd: 1 };
  const student = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];

  it('rejects jsd with β = 0 or 1, pointing to fkl / rkl', () => {
    for (const beta of [0, 1]) {
      expect(() => kdLoss({ spec: { ...base, param: beta }, student, teacher: student, n: 2, v: 3 })).toThrow(/β must be strictly between 0 and 1.*fkl or rkl/);
    }
  });

  it('rejects a sparse teacher at T ≠ 1', () => {
    expect(() => kdLoss({ spec: { ...base, divergence: 'fkl', temperature: 2 }, student, n: 2, v: 3, sparse: { ids: [0, 1], logprobs: [-1, -1], k: 1 } })).toThrow(KdSpecError);
    expect(() => kdLoss({ spec: { ...base, divergence: 'fkl', temperature: 2 }, student, n: 2, v: 3, sparse: { ids: [0, 1], logprobs: [-1, -1], k: 1 } })).toThrow(/temperature 1 only/);
  });

  it('rejects out-of-range, duplicate and over-full sparse teachers', () => {
    expect(() => checkSparseTeacher([0, 3], [-1, -1], 2, 1, 3)).toThrow(/id 3 \(row 1\) is out of range/);
    expect(() => checkSparseTeacher([1, 1], [-1, -1], 1, 2, 3)).toThrow(/appears twice/);
    expect(() => checkSparseTeacher([0, 1], [-0.1, -0.1], 1, 2, 3)).toThrow(/sum to/);
  });

  it('rejects an out-of-range target', () => {
    expect(() => kdLoss({ spec: { ...base, wCe: 1, wKd: 0 }, student, n: 2, v: 3, targets: [0, 5] })).toThrow(/target 5 \(row 1\) is out of range/);
  });

  it('rejects a missing teacher', () => {
    expect(() => kdLoss({ spec: base, student, n: 2, v: 3 })).toThrow(/needs a teacher/);
  });
});

describe('KD reference file format', () => {
  it('names the problem in a malformed file', () => {
    expect(() => parseKdReference('{not json', 'x.json')).toThrow(/x\.json is not valid JSON/);
    expect(() => parseKdReference(JSON.stringify({ cases: [] }), 'x.json')).toThrow(ReferenceFileError);
    const broken = structuredClone(reference);
    delete (broken.cases[3] as { teacherLogits?: unknown }).teacherLogits;
    expect(() => parseKdReference(JSON.stringify(broken), 'x.json')).toThrow(/cases\.3.*teacherLogits/);
  });
});
