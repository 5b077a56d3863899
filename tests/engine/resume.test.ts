// A resume point is all-or-nothing: a crash while one is being written leaves the previous point
// usable, and the resumed run ends exactly where an uninterrupted one does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';
import { reshapeCopy } from '../../src/engine/ops/elementwise.ts';
import { newDecoder, train, type TrainJob } from '../../src/experiment/run/train.ts';
import { fileStore } from '../../src/experiment/run/node-host.ts';
import type { ArtifactStore, RunHost } from '../../src/experiment/run/host.ts';
import { Stopped } from '../../src/experiment/run/stopped.ts';

const VOCAB = 24;
const T = 6;
const training = {
  optimizer: { lr: 0.02, weightDecay: 0, betas: [0.9, 0.999] as [number, number], eps: 1e-8, clipNorm: 0 },
  schedule: { kind: 'constant' as const, warmupSteps: 0 },
  steps: 6,
  batchSize: 2,
  evalEvery: 0,
};

describe('resume points', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  const host = (): RunHost => ({ engine, device: null, backend: null, teacher: null!, qwenTokenizer: null!, loadDataset: null!, loadReviews: null!, loadSeedSplit: null!, modelFolder: null!, now: () => performance.now(), emit: () => {} });

  function job(store: ArtifactStore, extra: Partial<TrainJob> = {}): TrainJob {
    const model = newDecoder(engine, 'tiny', VOCAB, 7);
    const sequences = Array.from({ length: 4 }, (_, i) => Array.from({ length: T + 1 }, (_, t) => (i * 5 + t * 3) % VOCAB));
    return {
      name: 'student',
      model,
      training,
      clipNorm: 0,
      poolSize: sequences.length,
      lengths: () => sequences.map((s) => s.length),
      seed: 3,
      store,
      checkpointEvery: 2,
      loss: (indices) => {
        const rows = indices.map((i) => sequences[i]!);
        const inputIds = engine.upload(Int32Array.from(rows.flatMap((r) => r.slice(0, T))), [rows.length, T], 'i32');
        const targets = engine.upload(Int32Array.from(rows.flatMap((r) => r.slice(1))), [rows.length * T], 'i32');
        const logits = model.forward({ inputIds });
        return { loss: crossEntropy(reshapeCopy(logits, [rows.length * T, VOCAB]), targets), tokens: rows.length * T };
      },
      ...extra,
    };
  }

  async function finalWeights(j: TrainJob): Promise<number[]> {
    const out: number[] = [];
    for (const { tensor } of j.model.parameters()) out.push(...(await tensor.read()));
    return out;
  }

  it('survives a crash in the middle of writing a resume point', async () => {
    const reference = job(fileStore(mkdtempSync(join(tmpdir(), 'lantern-resume-ref-'))));
    const uninterrupted = await train(host(), reference);
    const want = await finalWeights(reference);

    // The second resume point (step 4) dies after its weights are written, before state.json.
    const root = mkdtempSync(join(tmpdir(), 'lantern-resume-'));
    const files = fileStore(root);
    let stateWrites = 0;
    const crashing: ArtifactStore = {
      ...files,
      async write(key, data) {
        if (key.endsWith('state.json') && ++stateWrites === 2) throw new Error('simulated crash while saving');
        return files.write(key, data);
      },
      scoped: files.scoped,
    };
    await expect(train(host(), job(crashing))).rejects.toThrow(/simulated crash/);

    const resumedJob = job(files);
    const resumed = await train(host(), resumedJob);
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.steps).toBe(training.steps);
    expect(resumed.train.map((p) => p.loss.toFixed(5))).toEqual(uninterrupted.train.map((p) => p.loss.toFixed(5)));
    const got = await finalWeights(resumedJob);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
  });

  it('stops between steps when asked, saving a resume point there, and resumes to the same end', async () => {
    const reference = job(fileStore(mkdtempSync(join(tmpdir(), 'lantern-stop-ref-'))));
    const uninterrupted = await train(host(), reference);

    const files = fileStore(mkdtempSync(join(tmpdir(), 'lantern-stop-')));
    const stop = new AbortController();
    const stopping = job(files, { checkpointEvery: 100 });
    const stepLoss = stopping.loss;
    let steps = 0;
    stopping.loss = (indices) => {
      if (++steps === 3) stop.abort(); // the user presses Stop during step 3
      return stepLoss(indices);
    };
    await expect(train(host(), { ...stopping, signal: stop.signal })).rejects.toThrow(Stopped);

    const resumed = await train(host(), job(files, { checkpointEvery: 100 }));
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.train.map((p) => p.loss.toFixed(5))).toEqual(uninterrupted.train.map((p) => p.loss.toFixed(5)));
  });
});
