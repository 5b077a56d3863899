// Every engine op: GPU forward and gradients against the CPU reference (the same checks
// `lantern selftest` runs for users).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { OP_CHECKS } from '../../src/engine/selftest/index.ts';
import { checkOp } from '../../src/engine/selftest/check.ts';
import type { WebGpuBackend } from '../../src/engine/webgpu-backend.ts';

describe('engine ops on the GPU match the CPU reference', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  for (const check of OP_CHECKS) {
    it(check.name, async () => {
      const result = await checkOp(engine, check);
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    });
  }

  it('leaves no live buffers behind after the checks', async () => {
    for (const check of OP_CHECKS.slice(0, 3)) await checkOp(engine, check);
    expect(engine.pool.getStats().liveBuffers).toBe(0);
  });
});

// The row kernels (norms, softmax) have two layouts, picked by the adapter (wgsl.ts rowLayout):
// one thread per row on software adapters like this one, 16 per row through workgroup memory on
// GPUs. The checks above ran the first; these run the second here.
describe('row kernels in their GPU layout (16 threads a row) match the CPU reference', () => {
  let engine: Engine;
  let detected: boolean;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
    const backend = engine.backend as WebGpuBackend;
    detected = backend.softwareAdapter;
    backend.softwareAdapter = false;
  });
  afterAll(() => {
    (engine.backend as WebGpuBackend).softwareAdapter = detected;
  });

  for (const check of OP_CHECKS.filter((c) => /^(layerNorm|rmsNorm|softmax) /.test(c.name))) {
    it(check.name, async () => {
      const result = await checkOp(engine, check);
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    });
  }
});
