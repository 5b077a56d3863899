// Every engine op: GPU forward and gradients against the CPU reference (the same checks
// `lantern selftest` runs for users).
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { OP_CHECKS } from '../../src/engine/selftest/index.ts';
import { checkOp } from '../../src/engine/selftest/check.ts';

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
