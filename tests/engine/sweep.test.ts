// A tiny sweep end to end: two divergences × two seeds, run on WebGPU; rows with the same metric
// keys, the in-house teacher trained once per seed (shared by the runs that only change the
// stage), and per divergence the mean and confidence interval over the seeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { parseExperiment } from '../../src/experiment/schema.ts';
import { createNodeHost, fileStore, type NodeHost } from '../../src/experiment/run/node-host.ts';
import { runSweep, type SweepResults } from '../../src/experiment/run/sweep.ts';
import type { RunEvent } from '../../src/experiment/run/host.ts';

const training = { steps: 4, batchSize: 2, maxSeqLen: 64, evalEvery: 0, optimizer: { lr: 0.01 }, schedule: { kind: 'constant' } } as const;
const config = parseExperiment({
  version: 1,
  name: 'sweep test',
  dataset: { demo: { seed: 8, n: 18 }, split: { train: 0.75, val: 0.05, test: 0.2 } },
  seedSet: { policy: 'auto-accept', minConfidence: 0.4 },
  inHouseTeacher: { preset: 'tiny', ...training },
  synthetic: { logits: 'topk', topK: 8, maxNewTokens: 6 },
  stages: [{ id: 'explainer', task: 'explain', student: { preset: 'tiny' }, source: 'teacher', loss: { divergence: 'fkl', wCe: 0.2, wKd: 1 }, ...training }],
  eval: { metrics: ['rouge', 'consistency', 'hallucination'], maxNewTokens: 6 },
  sweep: { params: [{ path: 'stages.0.loss.divergence', values: ['fkl', 'tvd'] }], seeds: [1, 2] },
}).config;

let host: NodeHost;
const events: { run: string; event: RunEvent }[] = [];
const out = mkdtempSync(join(tmpdir(), 'lantern-sweep-'));

beforeAll(async () => {
  const device = await testDevice();
  host = await createNodeHost({ device, engine: new Engine(device.device) });
});
afterAll(async () => {
  await host?.close();
  rmSync(out, { recursive: true, force: true });
});

describe('sweep', () => {
  it('runs every divergence × seed and reports comparable rows with means and intervals', async () => {
    const results = await runSweep(config, host, fileStore(out), { onRunEvent: (run, event) => events.push({ run, event }) });
    const onDisk = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResults;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(results)));

    expect(results.rows.map((r) => [r.group, r.seed, r.status])).toEqual([
      ['divergence=fkl', 1, 'done'],
      ['divergence=fkl', 2, 'done'],
      ['divergence=tvd', 1, 'done'],
      ['divergence=tvd', 2, 'done'],
    ]);
    // Comparable: every row has every metric key, each a real number in range.
    expect(results.metricKeys).toEqual(expect.arrayContaining(['explainer.rouge1', 'explainer.rouge2', 'explainer.rougeL', 'explainer.rougeLsum', 'explainer.consistency', 'explainer.hallucinationRate', 'explainer.finalLoss', 'teacher.rouge1', 'teacher.finalLoss']));
    for (const row of results.rows) {
      expect(Object.keys(row.metrics).sort()).toEqual([...results.metricKeys].sort());
      for (const key of results.metricKeys) {
        const v = row.metrics[key]!;
        expect(Number.isFinite(v)).toBe(true);
        if (!key.endsWith('.finalLoss')) expect(v >= 0 && v <= 1).toBe(true);
      }
      expect(existsSync(join(out, 'runs', row.id, 'results.json'))).toBe(true);
      expect(existsSync(join(out, 'runs', row.id, 'checkpoints', 'explainer', 'model.safetensors'))).toBe(true);
    }
    // The divergence changes the training: same seed, different loss curve.
    const loss = (id: string) => JSON.parse(readFileSync(join(out, 'runs', id, 'results.json'), 'utf8')).stages[0].curves.train.map((p: { loss: number }) => p.loss);
    expect(loss(results.rows[0]!.id)).not.toEqual(loss(results.rows[2]!.id));

    // Phases before the stages ran once per seed and were reused by the other divergence.
    const teacherPhases = events.filter((e) => e.event.type === 'phase' && e.event.phase === 'in-house-teacher' && e.event.status !== 'start').map((e) => (e.event as { status: string }).status);
    expect(teacherPhases).toEqual(['done', 'done', 'skip', 'skip']);

    // Aggregate: one group per divergence, over both seeds.
    expect(results.aggregate.map((g) => [g.group, g.runs.length])).toEqual([
      ['divergence=fkl', 2],
      ['divergence=tvd', 2],
    ]);
    for (const g of results.aggregate) {
      const s = g.metrics['explainer.finalLoss']!;
      const values = results.rows.filter((r) => r.group === g.group).map((r) => r.metrics['explainer.finalLoss']!);
      expect(s.n).toBe(2);
      expect(s.mean).toBeCloseTo((values[0]! + values[1]!) / 2, 9);
      expect(s.ci95![0]).toBeLessThanOrEqual(s.mean!);
      expect(s.ci95![1]).toBeGreaterThanOrEqual(s.mean!);
    }
  });
});
