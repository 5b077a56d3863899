// The WASM backend: every kernel key the ops dispatch, run at once on the CPU over one
// WebAssembly.Memory (kernels.ts), the heavy ones in SIMD across a thread pool (threads.ts).
// Tensors are spans of that memory from a size-bucketed pool, as GPU buffers are on WebGPU.
import { EngineError } from '../errors.ts';
import { bucketSize, type PoolStats } from '../pool.ts';
import { opOfKernel, type KernelTime, type Profile } from '../profile.ts';
import { WASM_MEMORY_BYTES, type Backend, type DispatchItem, type EngineLimits, type Kernel, type Storage, type StoragePool } from '../backend.ts';
import { RESERVED_BYTES, WASM_PAGE, createMemory, instantiateKernels, kernelModule, type WasmKernels } from './module.ts';
import { resolveKernel, resolveKernelEach, type EachImpl, type KernelContext, type KernelImpl, type Uniforms } from './kernels.ts';
import { ThreadPool, hardwareThreads, threadsAvailable } from './threads.ts';

/** The exports the thread pool may run (each takes part, parts, scratch last). */
const PARALLEL_KERNELS = [
  'matmul',
  'attentionForward',
  'attentionBackwardQuery',
  'attentionBackwardKey',
  'softmaxForward',
  'softmaxBackward',
  'layerNormForward',
  'rmsNormForward',
  'layerNormDx',
  'rmsNormDx',
  'layerNormDparams',
  'rmsNormDparams',
  'kdLossRows',
  'adamwAll',
  'sumSquaresAll',
  'scaleAll',
  'map',
  'addBias',
  'sumRows',
  'embeddingGrad',
  'rope',
  'strided',
  'activation',
] as const;

/** A span of the memory. */
class Span implements Storage {
  constructor(readonly offset: number, readonly size: number) {}
}

/** Size-bucketed spans of one growing memory (wasm memory never shrinks: idle spans are kept for reuse). */
class MemoryPool implements StoragePool {
  private readonly idle = new Map<number, Span[]>();
  private readonly live = new Set<Span>();
  private top = RESERVED_BYTES;
  private liveBytes = 0;
  private idleBytes = 0;

  constructor(private readonly memory: WebAssembly.Memory) {}

  acquire(bytes: number): Span {
    const size = bucketSize(Math.max(bytes, 4));
    let span = this.idle.get(size)?.pop();
    if (span) this.idleBytes -= size;
    else {
      if (this.top + size > WASM_MEMORY_BYTES) {
        throw new RangeError(`A tensor of ${bytes} bytes does not fit the WASM backend's 4 GiB memory (${this.top} bytes in use): use a smaller batch, sequence length or model.`);
      }
      const needed = this.top + size - this.memory.buffer.byteLength;
      if (needed > 0) this.memory.grow(Math.ceil(needed / WASM_PAGE));
      span = new Span(this.top, size);
      this.top += size;
    }
    this.live.add(span);
    this.liveBytes += size;
    return span;
  }

  release(storage: Storage): void {
    const span = storage as Span;
    if (!this.live.delete(span)) return;
    this.liveBytes -= span.size;
    let list = this.idle.get(span.size);
    if (!list) this.idle.set(span.size, (list = []));
    list.push(span);
    this.idleBytes += span.size;
  }

  /** With nothing live, every span is idle: start again from the bottom (the memory stays). */
  trim(): void {
    if (this.live.size > 0) return;
    this.idle.clear();
    this.idleBytes = 0;
    this.top = RESERVED_BYTES;
  }

  getStats(): PoolStats {
    return { liveBytes: this.liveBytes, idleBytes: this.idleBytes, allocatedBytes: this.top - RESERVED_BYTES, liveBuffers: this.live.size };
  }
}

export interface WasmBackendOptions {
  /** Threads for the heavy kernels (default: the machine's cores, at most 8; 1 = none). */
  threads?: number;
}

interface WasmKernel extends Kernel {
  readonly impl: KernelImpl;
  /** The kernel over a whole list of dispatches in one call, where it has that form. */
  readonly each?: EachImpl;
}

export class WasmBackend implements Backend, KernelContext {
  readonly kind = 'wasm' as const;
  /** One memory of at most 4 GiB; a single tensor up to 2 GiB (typed-array views of it stay fast). */
  readonly limits: EngineLimits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupsPerDimension: 2 ** 31 - 1, memoryBytes: WASM_MEMORY_BYTES };
  readonly pool: MemoryPool;
  readonly lost = false;
  dispatchCount = 0;
  submitCount = 0;
  f32!: Float32Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  private u8!: Uint8Array;
  private readonly kernels = new Map<string, WasmKernel>();
  private scratch: Span | null = null;
  private staging: Span | null = null;
  private timings: Map<string, KernelTime> | null = null;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly wasm: WasmKernels,
    private readonly threads: ThreadPool | null,
  ) {
    this.pool = new MemoryPool(memory);
    this.refreshViews();
  }

  /** Threads in use (1 = the calling thread only). */
  get threadCount(): number {
    return this.threads?.parts ?? 1;
  }

  static async create(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
    const wanted = Math.max(1, Math.min(8, Math.floor(opts.threads ?? (await hardwareThreads()))));
    const threads = wanted > 1 && threadsAvailable() ? wanted : 1;
    const shared = threads > 1;
    const module = await kernelModule(shared);
    const memory = createMemory(RESERVED_BYTES + 16 * WASM_PAGE, shared);
    const pool = shared ? await ThreadPool.start(module, memory, threads, PARALLEL_KERNELS) : null;
    return new WasmBackend(memory, instantiateKernels(module, memory), pool);
  }

  checkHealth(): void {}

  kernel(key: string): Kernel {
    let k = this.kernels.get(key);
    if (!k) this.kernels.set(key, (k = { key, impl: resolveKernel(key), each: resolveKernelEach(key) }));
    return k;
  }

  dispatch(kernel: Kernel, bindings: readonly Storage[], workgroups: readonly number[], uniforms?: ArrayBufferView | ArrayBuffer): void {
    if (isEmptyGrid(workgroups)) return;
    this.timed(kernel.key, () => (kernel as WasmKernel).impl(this, offsetsOf(bindings), readUniforms(uniforms), workgroups));
  }

  dispatchEach(kernel: Kernel, items: readonly DispatchItem[]): void {
    const each = (kernel as WasmKernel).each;
    if (!each) {
      for (const { bindings, workgroups, uniforms } of items) this.dispatch(kernel, bindings, workgroups, uniforms);
      return;
    }
    const live = items.filter((item) => !isEmptyGrid(item.workgroups));
    if (live.length === 0) return;
    this.timed(kernel.key, () => each(this, live.map((item) => ({ p: offsetsOf(item.bindings), u: readUniforms(item.uniforms) }))));
  }

  /** Runs one call of a kernel, counted as one dispatch (and timed when profiling). */
  private timed(key: string, run: () => void): void {
    this.refreshViews();
    const started = this.timings ? performance.now() : 0;
    run();
    this.dispatchCount++;
    if (this.timings) {
      const t = this.timings.get(key) ?? { kernel: key, op: opOfKernel(key), dispatches: 0, ms: 0 };
      t.dispatches++;
      t.ms += performance.now() - started;
      this.timings.set(key, t);
    }
  }

  stage(data: Int32Array | Float32Array): number {
    const bytes = Math.max(4, data.byteLength);
    if (!this.staging || this.staging.size < bytes) {
      if (this.staging) this.pool.release(this.staging);
      this.staging = this.pool.acquire(bytes);
      this.refreshViews();
    }
    this.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), this.staging.offset);
    return this.staging.offset;
  }

  parallel(name: string, args: readonly number[], scratchBytes: number, oneThread = false): void {
    const fn = this.wasm[name];
    if (!fn) throw new EngineError(`the WASM kernels have no export ${name}`);
    const parts = this.threadCount;
    const scratch = scratchBytes > 0 ? this.scratchSpan(parts * scratchBytes) : 0;
    if (!this.threads || oneThread) fn(...args, 0, 1, scratch);
    else this.threads.run(name, args, scratch, scratchBytes, fn);
    this.refreshViews();
  }

  copy(src: Storage, dst: Storage, bytes: number, srcOffset: number, dstOffset: number): void {
    this.refreshViews();
    const from = (src as Span).offset + srcOffset;
    this.u8.copyWithin((dst as Span).offset + dstOffset, from, from + bytes);
  }

  write(dst: Storage, data: ArrayBufferView): void {
    this.refreshViews();
    this.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), (dst as Span).offset);
  }

  async read(src: Storage, bytes: number): Promise<ArrayBuffer> {
    await yieldToEventLoop();
    this.refreshViews();
    const offset = (src as Span).offset;
    const out = new Uint8Array(bytes);
    out.set(this.u8.subarray(offset, offset + bytes));
    return out.buffer;
  }

  flush(): void {}

  async sync(): Promise<void> {
    await yieldToEventLoop();
  }

  async profile<T>(work: () => Promise<T>): Promise<{ result: T; profile: Profile }> {
    if (this.timings) throw new EngineError('a profile is already running on this engine');
    this.timings = new Map();
    try {
      const result = await work();
      return { result, profile: { kernels: [...this.timings.values()].sort((a, b) => b.ms - a.ms), untimed: 0 } };
    } finally {
      this.timings = null;
    }
  }

  destroy(): void {
    this.threads?.destroy();
  }

  /** Scratch for the parallel kernels, grown (never shrunk) to the largest asked for. */
  private scratchSpan(bytes: number): number {
    if (!this.scratch || this.scratch.size < bytes) {
      if (this.scratch) this.pool.release(this.scratch);
      this.scratch = this.pool.acquire(bytes);
      this.refreshViews();
    }
    return this.scratch.offset;
  }

  /** Views of the whole memory, made again after it grew. */
  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (this.u8?.buffer === buffer && this.u8.byteLength === buffer.byteLength) return;
    this.u8 = new Uint8Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }
}

/**
 * Lets the thread's event loop run. Kernels run synchronously here, so without this a training
 * loop whose reads resolve at once would never let a message in: the studio's Stop, which reaches
 * the trainer worker as a message, would wait for the run to end. Reads and syncs yield (in a
 * browser a MessageChannel turn: no timer clamping).
 */
function yieldToEventLoop(): Promise<void> {
  // Node: setImmediate (5 µs here; a MessageChannel turn costs 34 µs, a timer 1 ms).
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => void immediate(resolve));
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

const NO_UNIFORMS = new ArrayBuffer(16);

function isEmptyGrid([x, y = 1, z = 1]: readonly number[]): boolean {
  return x === 0 || y === 0 || z === 0;
}

/** Bindings as element offsets (byte offset / 4) into the memory. */
function offsetsOf(bindings: readonly Storage[]): number[] {
  return bindings.map((b) => (b as Span).offset / 4);
}

function readUniforms(uniforms: ArrayBufferView | ArrayBuffer | undefined): Uniforms {
  const bytes = uniforms === undefined ? NO_UNIFORMS : uniforms instanceof ArrayBuffer ? uniforms : uniforms.buffer;
  const offset = uniforms && !(uniforms instanceof ArrayBuffer) ? uniforms.byteOffset : 0;
  const view = new DataView(bytes as ArrayBuffer, offset);
  return { u32: (w) => view.getUint32(w * 4, true), f32: (w) => view.getFloat32(w * 4, true) };
}
