// Experiments that would exhaust memory are refused with a clear ExperimentError before anything
// is built: sweeps that expand to too many runs, models whose training cannot fit, and JSON nested
// deeply enough to overflow the stack of any recursive walk.
import { describe, expect, it } from 'vitest';
import { ExperimentError, expandSweep, experimentMemoryIssues, parseExperiment, parseExperimentJson, safeParseExperiment, type ExperimentConfig } from '../../src/experiment/schema.ts';

function errorsOf(input: unknown): Record<string, string> {
  const result = safeParseExperiment(input);
  if (result.ok) throw new Error('expected the experiment to be refused');
  return Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
}

describe('sweep size', () => {
  // 8 swept paths × 10 values = 10⁸ runs: expanding them used to exhaust memory.
  const paths = ['steps', 'batchSize', 'optimizer.lr', 'loss.temperature', 'evalEvery', 'optimizer.weightDecay', 'optimizer.clipNorm', 'schedule.warmupSteps'];
  const explosive = {
    stages: [{ id: 'explainer', task: 'explain' }],
    sweep: { params: paths.map((p) => ({ path: `stages.0.${p}`, values: Array.from({ length: 10 }, (_, j) => (p.includes('.') ? 0.01 * (j + 1) : j + 1)) })) },
  };

  it('counts the runs before expanding and refuses more than the cap, stating the count and the cap', () => {
    const message = errorsOf(explosive).sweep!;
    expect(message).toMatch(/100,000,000 runs/);
    expect(message).toMatch(/10 × 10 × 10 × 10 × 10 × 10 × 10 × 10/);
    expect(message).toMatch(/at most 1,000/);
    expect(() => parseExperiment(explosive)).toThrow(ExperimentError);
  });

  it('counts seeds as a factor, and accepts a sweep right at the cap', () => {
    const sweep = (values: number, seeds: number) => ({
      stages: [{ id: 'explainer', task: 'explain' }],
      sweep: { params: [{ path: 'stages.0.steps', values: Array.from({ length: values }, (_, i) => i + 1) }], seeds: Array.from({ length: seeds }, (_, i) => i) },
    });
    expect(safeParseExperiment(sweep(100, 10)).ok).toBe(true);
    expect(errorsOf(sweep(101, 10)).sweep).toMatch(/1,010 runs \(101 × 10\)/);
  });

  it('expandSweep refuses an oversized sweep instead of building it', () => {
    // A config that skipped parsing (e.g. built in code) is checked again where it would expand.
    const config = { ...parseExperiment({ stages: [{ id: 'explainer', task: 'explain' }] }).config } as ExperimentConfig;
    config.sweep = { params: [0, 1, 2].map((i) => ({ path: `stages.0.steps`, values: Array.from({ length: 11 + i }, (_, j) => j + 1) })) };
    expect(() => expandSweep(config)).toThrow(/1,716 runs \(11 × 12 × 13\).*at most 1,000/);
  });
});

describe('training memory', () => {
  it('refuses a stage whose batch cannot fit, with the estimate, its parts and the limit', () => {
    const message = errorsOf({ stages: [{ id: 'explainer', task: 'explain', batchSize: 4096 }] })['stages.0.batchSize']!;
    expect(message).toMatch(/stage "explainer" \(small decoder\) needs about [\d.]+ GiB to train at batch 4096 × 512 tokens/);
    expect(message).toMatch(/MiB weights and optimizer state, [\d.]+ GiB activations, assuming a vocabulary of 8192 tokens/);
    expect(message).toMatch(/the limit is 24 GiB: lower batchSize or maxSeqLen/);
  });

  it('checks the in-house teacher and encoder stages too', () => {
    expect(errorsOf({ inHouseTeacher: { preset: 'large', batchSize: 512 } })['inHouseTeacher.batchSize']).toMatch(/in-house teacher \(large decoder\) needs about/);
    expect(errorsOf({ stages: [{ id: 'cls', task: 'classify', student: { preset: 'large' }, batchSize: 2048 }] })['stages.0.batchSize']).toMatch(/large encoder/);
  });

  it('accepts the defaults and ordinary batches', () => {
    expect(safeParseExperiment({}).ok).toBe(true);
    expect(safeParseExperiment({ stages: [{ id: 'explainer', task: 'explain', batchSize: 64 }] }).ok).toBe(true);
  });

  it('checks the largest buffer against a known device, with the dataset’s vocabulary', () => {
    const { config } = parseExperiment({ stages: [{ id: 'explainer', task: 'explain', batchSize: 8 }] });
    const check = experimentMemoryIssues;
    // The default 256 MiB maxBufferSize holds 8 × 512 logits rows of a 8192 vocabulary (128 MiB), not of 32768.
    expect(check(config, { maxBufferSize: 256 * 2 ** 20, vocabSize: 8192 })).toEqual([]);
    const issues = check(config, { maxBufferSize: 256 * 2 ** 20, vocabSize: 32768 });
    expect(issues.map((i) => i.path)).toContain('stages.0.batchSize');
    expect(issues.find((i) => i.path === 'stages.0.batchSize')!.message).toMatch(/needs one 512 MiB buffer at batch 8 × 512 tokens; this GPU's largest is 256 MiB/);
    expect(check(config, { memoryBytes: 2 ** 20 }).length).toBeGreaterThan(0);
  });
});

describe('deeply nested JSON', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it('is an ExperimentError naming the limit, not a stack overflow, from text', () => {
    let error: unknown;
    try {
      parseExperimentJson(`{"name": ${deep(100_000)}}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExperimentError);
    expect((error as ExperimentError).errors).toEqual([{ path: '(root)', message: expect.stringMatching(/nested more than 64 levels deep; at most 64/) }]);
  });

  it('is refused from an already parsed value too (share links, the UI)', () => {
    const value = JSON.parse(`{"sweep": {"params": [{"path": "seed", "values": [${deep(50_000)}]}]}}`);
    const result = safeParseExperiment(value);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]!.message).toMatch(/nested more than 64 levels/);
  });

  it('leaves ordinary nesting alone', () => {
    expect(() => parseExperimentJson('{"stages": [{"id": "a", "task": "explain", "loss": {"divergence": "tvd"}}]}')).not.toThrow();
  });
});
