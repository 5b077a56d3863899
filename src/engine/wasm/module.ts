// Loading the WASM backend's kernels (built by scripts/build-wasm.mjs from ./assembly) over a
// memory the engine owns. The same bytes serve the engine's thread and each pool worker; a
// shared memory needs the shared build (and, in a browser, cross-origin isolation).
import { KERNELS_WASM, KERNELS_WASM_SHARED } from './kernels.generated.ts';
import { WASM_MEMORY_BYTES } from '../backend.ts';

/** Bytes at the start of memory left to the kernels' own static data; tensors live above. */
export const RESERVED_BYTES = 65536;
export const WASM_PAGE = 65536;
/** wasm32's ceiling: 65536 pages of 64 KiB. */
export const MAX_PAGES = WASM_MEMORY_BYTES / WASM_PAGE;

/**
 * The exported kernels. Pointers are byte offsets into the memory; a kernel with (part, parts)
 * computes only its share, each output element wholly by one part in a fixed order.
 */
export interface WasmKernels {
  axpy(a: number, b: number, n: number, alpha: number): void;
  [name: string]: (...args: number[]) => unknown;
}

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The compiled kernels for a shared or a plain memory (compiled once per thread). */
export function kernelModule(shared: boolean): Promise<WebAssembly.Module> {
  let m = compiled.get(shared);
  if (!m) compiled.set(shared, (m = WebAssembly.compile(decode(shared ? KERNELS_WASM_SHARED : KERNELS_WASM))));
  return m;
}

/** A memory for the kernels: shared when threads will use it. */
export function createMemory(initialBytes: number, shared: boolean): WebAssembly.Memory {
  const initial = Math.max(1, Math.ceil(initialBytes / WASM_PAGE));
  return new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared });
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as WasmKernels;
}
