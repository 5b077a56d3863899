// Every CPU reference backward against float64 finite differences of its forward.
import { describe, expect, it } from 'vitest';
import { OP_CHECKS } from '../../src/engine/selftest/index.ts';
import { randn } from '../../src/engine/random.ts';
import { dot, finiteDiff, maxRelDiff } from '../helpers/finite-diff.ts';

describe('CPU reference gradients match finite differences', () => {
  for (const check of OP_CHECKS.filter((c) => c.cpuBackward)) {
    it(check.name, () => {
      const inputs = check.inputs.map((inp, i) => inp.data ? Float64Array.from(inp.data) : randn(inp.shape.reduce((a, b) => a * b, 1), 31 + i));
      const out = check.cpuForward(inputs);
      const w = randn(out.length, 97);
      const analytic = check.cpuBackward!(inputs, w);
      const numeric = finiteDiff((xs) => dot(check.cpuForward(xs), w), inputs);
      check.inputs.forEach((inp, i) => {
        const a = analytic[i];
        if (!a || (inp.dtype && inp.dtype !== 'f32') || inp.grad === false) return;
        expect(maxRelDiff(a, numeric[i]!), `${check.name} input ${i}`).toBeLessThan(1e-5);
      });
    });
  }
});
