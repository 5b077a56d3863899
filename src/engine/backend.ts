// What the engine needs from the machine that runs its kernels. Two backends implement it:
// WebGPU (webgpu-backend.ts: WGSL kernels on a GPUDevice) and WASM (wasm/backend.ts: the same
// kernels, by key, in WebAssembly SIMD over one linear memory). Ops never see the difference:
// they ask the engine for a kernel by key and WGSL source and dispatch it over tensors; the WASM
// backend finds its own implementation of that key and ignores the WGSL.
import type { PoolStats } from './pool.ts';
import type { Profile } from './profile.ts';
import type { AdapterReport } from './gpu.ts';

export const BACKEND_KINDS = ['webgpu', 'wasm'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** What a user or an experiment asks for: a backend, or 'auto' (select.ts decides). */
export const ENGINE_CHOICES = ['auto', ...BACKEND_KINDS] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** What an engine runs on and why (results.json records it; the System page shows it). */
export interface BackendReport {
  kind: BackendKind;
  /** What was asked for. */
  choice: EngineChoice;
  /** Why this backend, in a sentence for people. */
  reason: string;
  /** WASM: threads running the heavy kernels. */
  threads?: number;
  /** The WebGPU adapter, when one was found (also when WASM was picked over it). */
  adapter?: AdapterReport;
}

/** Where a tensor's bytes live: a GPUBuffer, or a span of the WASM memory. */
export interface Storage {
  /** Capacity in bytes (at least the tensor's). */
  readonly size: number;
}

/** The WASM backend's one memory at most: wasm32 addresses 4 GiB (65 536 pages of 64 KiB). */
export const WASM_MEMORY_BYTES = 2 ** 32;

/** The limits the engine and the memory checks ask about, in the WebGPU names. */
export interface EngineLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupsPerDimension: number;
  /** Bytes all tensors together may hold, where the backend knows it (WASM: its one memory); WebGPU does not report a GPU's memory. */
  memoryBytes?: number;
}

export interface Kernel {
  readonly key: string;
}

/** One dispatch of a kernel: its bindings, workgroups and uniforms, as `Backend.dispatch` takes them. */
export interface DispatchItem {
  readonly bindings: readonly Storage[];
  readonly workgroups: readonly number[];
  readonly uniforms?: ArrayBufferView | ArrayBuffer;
}

export interface StoragePool {
  acquire(bytes: number): Storage;
  release(storage: Storage): void;
  /** Frees what is idle (after a run, under memory pressure). */
  trim(): void;
  getStats(): PoolStats;
}

export interface Backend {
  readonly kind: BackendKind;
  readonly limits: EngineLimits;
  readonly pool: StoragePool;
  /** Dispatches since creation (tests, benchmarks). */
  readonly dispatchCount: number;
  /** Submissions since creation (WebGPU queue submits; WASM runs each dispatch at once). */
  readonly submitCount: number;
  readonly lost: boolean;
  /** Throws a clear error if the device was lost or reported an error since the last check. */
  checkHealth(): void;
  kernel(key: string, code: string, entryPoint: string): Kernel;
  /** Bindings in WGSL binding order; `uniforms`, when given, follow them. */
  dispatch(kernel: Kernel, bindings: readonly Storage[], workgroups: readonly number[], uniforms?: ArrayBufferView | ArrayBuffer): void;
  /**
   * The same kernel over many tensors in order (AdamW and clipping over every parameter): WebGPU
   * dispatches each; WASM runs the kernels that have a whole-list form as one call.
   */
  dispatchEach(kernel: Kernel, items: readonly DispatchItem[]): void;
  copy(src: Storage, dst: Storage, bytes: number, srcOffset: number, dstOffset: number): void;
  /** Writes host bytes at the start of dst, in order with the dispatches around it. */
  write(dst: Storage, data: ArrayBufferView): void;
  read(src: Storage, bytes: number): Promise<ArrayBuffer>;
  flush(): void;
  sync(): Promise<void>;
  /** Runs work with every dispatch timed. */
  profile<T>(work: () => Promise<T>, capacity?: number): Promise<{ result: T; profile: Profile }>;
  destroy(): void;
}
