// The WASM backend's kernels on their own, for the tests that call them directly (below the
// engine): a plain memory, the kernels over it, and a bump allocator whose buffers start at odd
// 4-byte (not 16-byte) addresses and come poisoned with NaN, so an output element a kernel does
// not write shows up.
import { createMemory, instantiateKernels, kernelModule, RESERVED_BYTES, type WasmKernels } from '../../src/engine/wasm/module.ts';

export interface RawKernels {
  wasm: WasmKernels;
  memory: WebAssembly.Memory;
  /** A fresh allocator from the bottom of the memory (earlier buffers are overwritten). */
  heap(): Heap;
}

export interface Heap {
  f32: Float32Array;
  /** Copies data in, or (a count) reserves that many NaN floats; returns the byte offset. */
  put(data: ArrayLike<number> | number): number;
  get(p: number, n: number): Float32Array;
}

export async function rawKernels(bytes: number): Promise<RawKernels> {
  const memory = createMemory(bytes, false);
  const wasm = instantiateKernels(await kernelModule(false), memory);
  return {
    wasm,
    memory,
    heap() {
      const f32 = new Float32Array(memory.buffer);
      let top = RESERVED_BYTES + 4;
      return {
        f32,
        put(data) {
          const n = typeof data === 'number' ? data : data.length;
          const p = top;
          top += Math.ceil((n * 4) / 16) * 16 + 4;
          f32.fill(Number.NaN, p / 4, p / 4 + n);
          if (typeof data !== 'number') f32.set(data, p / 4);
          return p;
        },
        get: (p, n) => f32.slice(p / 4, p / 4 + n),
      };
    },
  };
}
