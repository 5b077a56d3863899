// A lost device, an allocation past the GPU's limits and a failing kernel must each surface as a
// clear error, never as a hang or garbage numbers.
import { describe, expect, it } from 'vitest';
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DeviceLostError, EngineError, GpuMemoryError } from '../../src/engine/errors.ts';
import { add } from '../../src/engine/ops/elementwise.ts';

describe('engine errors', () => {
  it('turns a lost device into DeviceLostError on the next op, with what to do', async () => {
    const { device } = await acquireNodeDevice(); // its own device: this test destroys it
    const engine = new Engine(device);
    const a = engine.upload([1, 2, 3], [3]);
    expect(Array.from(await add(a, a).read())).toEqual([2, 4, 6]);
    device.destroy();
    await device.lost;
    expect(engine.lost).toBe(true);
    expect(() => engine.upload([1], [1])).toThrow(DeviceLostError);
    expect(() => add(a, a)).toThrow(/device was lost.*resume from its last checkpoint/);
  });

  it('refuses a tensor larger than maxBufferSize with GpuMemoryError', async () => {
    const { device } = await acquireNodeDevice();
    const engine = new Engine(device);
    const tooMany = Math.floor(Number(device.limits.maxBufferSize) / 4) + 1024;
    expect(() => engine.empty([tooMany])).toThrow(GpuMemoryError);
    expect(() => engine.empty([tooMany])).toThrow(/maxBufferSize.*smaller batch/);
    expect(engine.pool.getStats().liveBuffers).toBe(0);
    device.destroy();
  });

  it('reports a kernel the driver rejects at the next read instead of returning stale data', async () => {
    const { device } = await acquireNodeDevice();
    const engine = new Engine(device);
    const t = engine.upload([1, 2], [2]);
    const broken = engine.kernel('broken', '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_symbol; }');
    engine.dispatch(broken, [], [1]);
    await expect(engine.read(t)).rejects.toThrow(EngineError);
    device.destroy();
  });
});
