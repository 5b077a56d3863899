// The CPU reference of the KD losses against the hard reference cases (scripts/kd-reference-hard.py:
// mpmath, finite-difference gradients; temperatures 0.25–4, logits/T up to ±50, near-equal
// student and teacher, sparse top-k teachers with K 1–20 and tails down to 1e-7), at the CPU
// tolerance of the ordinary reference file. The GPU kernel runs them in tests/engine/kd-loss.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCaseCpu, parseKdReference } from '../../src/engine/selftest/kd-reference.ts';
import { DIVERGENCES } from '../../src/engine/kd-spec.ts';

const reference = parseKdReference(readFileSync(new URL('../../models/reference/kd-losses-hard.json', import.meta.url), 'utf8'), 'kd-losses-hard.json');

describe('hard KD reference cases, CPU', () => {
  it('covers every divergence at every temperature, dense and sparse', () => {
    expect(new Set(reference.cases.map((c) => c.kind))).toEqual(new Set(DIVERGENCES));
    expect(new Set(reference.cases.map((c) => c.temperature))).toEqual(new Set([0.25, 0.5, 1, 2, 4]));
    const ks = new Set(reference.cases.filter((c) => c.sparse).map((c) => c.teacherTopkIds![0]!.length));
    expect(Math.min(...ks)).toBe(1);
    expect(Math.max(...ks)).toBe(20);
  });

  it('holds every case to the CPU tolerance', () => {
    const failed = reference.cases.map((c, i) => checkCaseCpu(c, i, 'kd-reference-hard')).filter((r) => !r.ok);
    expect(failed.map((r) => `${r.name}: ${r.detail}`)).toEqual([]);
  });
});
