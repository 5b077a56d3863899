// The one way engine tests get a GPU: Node WebGPU (Dawn), SwiftShader when there is no GPU.
// When no adapter can be had the test fails with instructions; it never skips silently.
import { acquireNodeDevice } from '../../src/engine/node-gpu.ts';
import type { AcquiredDevice } from '../../src/engine/gpu.ts';

let shared: Promise<AcquiredDevice> | undefined;

/** One device per test file (per worker process), reused across its tests. */
export function testDevice(): Promise<AcquiredDevice> {
  shared ??= acquireNodeDevice().catch((e: Error) => {
    throw new Error(`Engine tests need WebGPU in Node and none is available: ${e.message}`);
  });
  return shared;
}
