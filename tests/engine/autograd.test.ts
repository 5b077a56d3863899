// The autograd tape's ownership rules (autograd.ts, backward): a gradient passed straight through
// to several inputs, a tensor used twice, the caller's rootGrad, inputs without gradients, and
// gradient accumulation, with exact values and no buffer left behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import type { Tensor } from '../../src/engine/tensor.ts';
import { add, mul, scale } from '../../src/engine/ops/elementwise.ts';

describe('autograd', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  const param = (values: number[]) => engine.upload(Float32Array.from(values), [values.length], 'f32', { isParam: true, requiresGrad: true });
  const values = async (t: Tensor) => Array.from(await t.read());

  it('gives each input of add(x, x) its own copy of the passed-through gradient', async () => {
    const x = param([1, 2, 3]);
    engine.tidy(() => engine.autograd.backward(add(x, x), engine.upload(Float32Array.from([1, 10, 100]), [3])));
    expect(await values(x.grad!)).toEqual([2, 20, 200]);
    x.release();
    expect(engine.pool.getStats().liveBuffers).toBe(0);
  });

  it('adds the gradients of a tensor used twice, and accumulates over backward calls', async () => {
    const x = param([1, 2, 3]);
    for (let i = 0; i < 2; i++) {
      engine.tidy(() => {
        const h = scale(x, 2); // h = 2x
        const rootGrad = engine.upload(Float32Array.from([1, 1, 1]), [3]);
        engine.autograd.backward(add(h, mul(h, h)), rootGrad); // d/dx (h + h²) = 2 + 8x
      });
    }
    expect(await values(x.grad!)).toEqual([20, 36, 52]);
    x.release();
    expect(engine.pool.getStats().liveBuffers).toBe(0);
  });

  it('never releases nor writes the caller’s rootGrad, and skips inputs that need no gradient', async () => {
    const x = param([1, 2]);
    const c = engine.upload(Float32Array.from([5, 5]), [2]);
    const rootGrad = engine.upload(Float32Array.from([3, 4]), [2]);
    engine.tidy(() => engine.autograd.backward(add(x, c), rootGrad));
    expect(rootGrad.isReleased).toBe(false);
    expect(await values(rootGrad)).toEqual([3, 4]);
    expect(await values(x.grad!)).toEqual([3, 4]);
    expect(c.grad).toBeNull();
    engine.fill(x.grad!, 0);
    expect(await values(rootGrad)).toEqual([3, 4]);
    for (const t of [x, c, rootGrad]) t.release();
    expect(engine.pool.getStats().liveBuffers).toBe(0);
  });
});
