// The step profile (lantern bench --profile): every dispatch of the profiled work is timed and
// named by its kernel, the work's results are the same as without the profile, and a full query
// set counts the dispatches it could not time instead of failing.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { matmul } from '../../src/engine/ops/matmul.ts';
import { add } from '../../src/engine/ops/elementwise.ts';
import { timePerOp } from '../../src/engine/profile.ts';

let engine: Engine;
beforeAll(async () => {
  const { device } = await testDevice();
  engine = new Engine(device);
});

describe('engine.profile', () => {
  const a = () => engine.upload(Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i)), [64, 32]);
  const b = () => engine.upload(Float32Array.from({ length: 32 * 16 }, (_, i) => Math.cos(i)), [32, 16]);
  const work = () => add(matmul(a(), b()), matmul(a(), b())).read();

  it('runs on this adapter (it has timestamp-query; SwiftShader and every desktop GPU do)', () => {
    expect(engine.device.features.has('timestamp-query')).toBe(true);
  });

  it('times each dispatch by kernel and leaves the results as they are', async () => {
    const plain = await work();
    const before = engine.dispatchCount;
    const { result, profile } = await engine.profile(work);
    const dispatched = engine.dispatchCount - before;
    expect(Array.from(result)).toEqual(Array.from(plain));
    expect(profile.untimed).toBe(0);
    expect(profile.kernels.reduce((n, k) => n + k.dispatches, 0)).toBe(dispatched);
    const ops = timePerOp(profile.kernels);
    expect(ops.find((o) => o.op === 'matmul')?.dispatches).toBe(2);
    for (const k of profile.kernels) expect(k.ms).toBeGreaterThanOrEqual(0);
    expect(profile.kernels.some((k) => k.ms > 0)).toBe(true);
    // Sorted, most time first.
    expect(profile.kernels.map((k) => k.ms)).toEqual([...profile.kernels.map((k) => k.ms)].sort((x, y) => y - x));
  });

  it('counts the dispatches beyond its capacity as untimed, and refuses a second profile at once', async () => {
    const before = engine.dispatchCount;
    const { profile } = await engine.profile(work, 1);
    expect(profile.kernels.reduce((n, k) => n + k.dispatches, 0)).toBe(1);
    expect(profile.untimed).toBe(engine.dispatchCount - before - 1);
    let inner: Promise<unknown> | undefined;
    await engine.profile(async () => {
      inner = engine.profile(work);
      await inner.catch(() => undefined);
    });
    await expect(inner).rejects.toThrow(/already running/);
  });
});
