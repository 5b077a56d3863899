// The engine runtime: one GPUDevice, a buffer pool, cached pipelines, and a command encoder that
// collects every dispatch of a step into one compute pass until flush() submits it. Reads flush;
// nothing else waits on the GPU.
import { BufferPool } from './pool.ts';
import { Tensor, assertSameShape, sizeOf, type DType, type TensorOptions } from './tensor.ts';
import { DeviceLostError, EngineError, GpuMemoryError } from './errors.ts';
import { DispatchProfiler, type Profile } from './profile.ts';
import { Autograd } from './autograd.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from './wgsl.ts';

export interface Kernel {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
}

type Binding = Tensor | GPUBuffer;

const UNIFORM_BYTES = 256;

export class Engine {
  readonly pool: BufferPool;
  readonly autograd = new Autograd(this);
  private readonly kernels = new Map<string, Kernel>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private idleUniforms: GPUBuffer[] = [];
  private pendingUniforms: GPUBuffer[] = [];
  private scopes: Set<Tensor>[] = [];
  private lostError: DeviceLostError | null = null;
  private uncaptured: GPUError | null = null;
  /** Dispatches encoded since creation (for tests and benchmarks). */
  dispatchCount = 0;
  /** Queue submissions since creation. */
  submitCount = 0;
  /** Set while profile() runs: every dispatch is stamped (src/engine/profile.ts). */
  private profiler: DispatchProfiler | null = null;

  constructor(readonly device: GPUDevice) {
    this.pool = new BufferPool(device, Number(device.limits.maxBufferSize));
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.lostError = new DeviceLostError(info.reason, info.message);
      else this.lostError = new DeviceLostError('destroyed', 'the device was destroyed');
    });
    device.addEventListener('uncapturederror', (event) => {
      this.uncaptured ??= (event as GPUUncapturedErrorEvent).error;
    });
  }

  get lost(): boolean {
    return this.lostError !== null;
  }

  /** Throws a clear error if the device was lost or reported an error since the last check. */
  checkHealth(): void {
    if (this.lostError) throw this.lostError;
    const e = this.uncaptured;
    if (e) {
      this.uncaptured = null;
      if (e instanceof GPUOutOfMemoryError || /out of memory/i.test(e.message)) {
        throw new GpuMemoryError(`The GPU ran out of memory: ${e.message}. Use a smaller model, batch or sequence length.`);
      }
      throw new EngineError(`The GPU reported an error: ${e.message}`);
    }
  }

  // ---- kernels -------------------------------------------------------------------------------

  /** Compiles (once) a compute pipeline; `key` names the kernel and its specialisation. */
  kernel(key: string, code: string, entryPoint = 'main'): Kernel {
    let k = this.kernels.get(key);
    if (!k) {
      const module = this.device.createShaderModule({ code, label: key });
      k = { key, pipeline: this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key }) };
      this.kernels.set(key, k);
    }
    return k;
  }

  /**
   * Records one dispatch. Bindings go to @binding(0..n-1) of @group(0) in order; `uniforms`, when
   * given, to @binding(n) as a uniform buffer.
   */
  dispatch(kernel: Kernel, bindings: Binding[], workgroups: readonly number[], uniforms?: ArrayBufferView | ArrayBuffer): void {
    if (this.lostError) throw this.lostError;
    for (const b of bindings) if (b instanceof Tensor && b.isReleased) throw new EngineError(`${kernel.key}: ${b} was used after release`);
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({ binding: i, resource: { buffer: b instanceof Tensor ? b.buffer : b } }));
    if (uniforms) {
      const ubuf = this.uniformBuffer();
      const view = uniforms instanceof ArrayBuffer ? new Uint8Array(uniforms) : new Uint8Array(uniforms.buffer as ArrayBuffer, uniforms.byteOffset, uniforms.byteLength);
      if (view.byteLength > UNIFORM_BYTES) throw new EngineError(`${kernel.key}: uniforms larger than ${UNIFORM_BYTES} bytes`);
      this.device.queue.writeBuffer(ubuf, 0, view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
      entries.push({ binding: bindings.length, resource: { buffer: ubuf } });
    }
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.device.createBindGroup({ layout: kernel.pipeline.getBindGroupLayout(0), entries });
    const timestampWrites = this.profiler?.next(kernel.key);
    if (timestampWrites) this.endPass();
    const pass = timestampWrites ? this.commandEncoder().beginComputePass({ timestampWrites }) : this.computePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (timestampWrites) pass.end();
    this.dispatchCount++;
  }

  /**
   * Runs `work` with every dispatch timed on the GPU (the device needs 'timestamp-query') and
   * gives its result with the time per kernel. One profile at a time.
   */
  async profile<T>(work: () => Promise<T>, capacity?: number): Promise<{ result: T; profile: Profile }> {
    if (this.profiler) throw new EngineError('a profile is already running on this engine');
    this.flush();
    const profiler = new DispatchProfiler(this.device, capacity);
    this.profiler = profiler;
    let result: T;
    try {
      result = await work();
      this.flush();
    } finally {
      this.profiler = null;
    }
    return { result, profile: await profiler.collect() };
  }

  /** Copies `bytes` from one buffer to another, in order with the dispatches around it. */
  copy(src: Binding, dst: Binding, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src instanceof Tensor ? src.buffer : src, srcOffset, dst instanceof Tensor ? dst.buffer : dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.submitCount++;
    // Uniform buffers may be rewritten only after the submission that read them.
    this.idleUniforms.push(...this.pendingUniforms);
    this.pendingUniforms = [];
  }

  // ---- tensors ---------------------------------------------------------------------------------

  /** A tensor with undefined contents (every kernel writes all of its output). */
  empty(shape: readonly number[], dtype: DType = 'f32', opts?: TensorOptions): Tensor {
    if (this.lostError) throw this.lostError;
    let buffer: GPUBuffer;
    try {
      buffer = this.pool.acquire(sizeOf(shape) * 4);
    } catch (e) {
      throw new GpuMemoryError((e as Error).message);
    }
    const t = new Tensor(this, shape, dtype, buffer, opts);
    if (!t.isParam) this.scopes.at(-1)?.add(t);
    return t;
  }

  /** Uploads host data. Pending work is submitted first so a recycled buffer is never overwritten early. */
  upload(data: Float32Array | Int32Array | Uint32Array | number[], shape: readonly number[], dtype?: DType, opts?: TensorOptions): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint32Array ? 'u32' : 'f32');
    const arr = Array.isArray(data) ? (dt === 'f32' ? Float32Array.from(data) : dt === 'i32' ? Int32Array.from(data) : Uint32Array.from(data)) : data;
    if (arr.length !== sizeOf(shape)) throw new EngineError(`upload: ${arr.length} values do not fill shape [${shape.join(', ')}]`);
    this.flush();
    const t = this.empty(shape, dt, opts);
    if (arr.byteLength > 0) this.device.queue.writeBuffer(t.buffer, 0, arr.buffer, arr.byteOffset, arr.byteLength);
    return t;
  }

  /** A tensor filled with one value. */
  full(shape: readonly number[], value: number, opts?: TensorOptions): Tensor {
    const t = this.empty(shape, 'f32', opts);
    this.fill(t, value);
    return t;
  }

  zeros(shape: readonly number[], opts?: TensorOptions): Tensor {
    return this.full(shape, 0, opts);
  }

  // ---- contents without autograd (autograd itself, optimizers, caches) -----------------------

  /** Sets every element of t to value. */
  fill(t: Tensor, value: number): void {
    const k = this.kernel('fill', FILL_WGSL);
    this.dispatch(k, [t], grid1d(t.size), packUniforms([t.size], [value]));
  }

  /** a += alpha · b (gradient accumulation, LoRA merges). */
  addInPlace(a: Tensor, b: Tensor, alpha = 1): void {
    assertSameShape('addInPlace', a, b);
    this.dispatch(this.kernel('axpy', AXPY_WGSL), [a, b], grid1d(a.size), packUniforms([a.size], [alpha]));
  }

  /** A new tensor with the same shape, dtype and contents. */
  clone(t: Tensor): Tensor {
    const out = this.empty(t.shape, t.dtype);
    this.copy(t, out, t.byteLength);
    return out;
  }

  /** Reads a tensor back to the host (submits pending work and waits for it). */
  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint32Array> {
    if (t.isReleased) throw new EngineError(`read: ${t} was released`);
    const bytes = t.byteLength;
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      if (bytes > 0) this.copy(t, staging, bytes);
      this.flush();
      await staging.mapAsync(GPUMapMode.READ);
      const copy = staging.getMappedRange(0, Math.max(4, bytes)).slice(0, bytes);
      staging.unmap();
      this.checkHealth();
      return t.dtype === 'f32' ? new Float32Array(copy) : t.dtype === 'i32' ? new Int32Array(copy) : new Uint32Array(copy);
    } catch (e) {
      if (this.lostError) throw this.lostError;
      throw e;
    } finally {
      staging.destroy();
    }
  }

  /** Waits until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkHealth();
  }

  // ---- scopes ----------------------------------------------------------------------------------

  /**
   * Runs fn; every non-parameter tensor created inside and not returned (or kept) is released at
   * the end. Returned tensors move to the enclosing scope. Works with async fn too.
   */
  tidy<T>(fn: () => T): T {
    const scope = new Set<Tensor>();
    this.scopes.push(scope);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.closeScope(scope, undefined);
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(
        (r) => (this.closeScope(scope, r), r),
        (e) => {
          this.closeScope(scope, undefined);
          throw e;
        },
      ) as T;
    }
    this.closeScope(scope, result);
    return result;
  }

  /** Removes a tensor from scope tracking (its owner releases it). */
  untrack(t: Tensor): void {
    for (const s of this.scopes) s.delete(t);
  }

  private closeScope(scope: Set<Tensor>, result: unknown): void {
    const idx = this.scopes.lastIndexOf(scope);
    if (idx >= 0) this.scopes.splice(idx, 1);
    const kept = new Set<Tensor>();
    collectTensors(result, kept);
    const parent = this.scopes.at(-1);
    for (const t of scope) {
      if (kept.has(t)) parent?.add(t);
      else t.release();
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private uniformBuffer(): GPUBuffer {
    const b = this.idleUniforms.pop() ?? this.device.createBuffer({ size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.pendingUniforms.push(b);
    return b;
  }

  destroy(): void {
    this.flush();
    this.pool.trim();
    for (const b of [...this.idleUniforms, ...this.pendingUniforms]) b.destroy();
  }
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (value instanceof Tensor) out.add(value);
  else if (depth < 4 && value && typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) collectTensors(v, out, depth + 1);
  }
}

const FILL_WGSL = /* wgsl */ `
struct U { n: u32, value: f32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i < u.n) { out[i] = u.value; }
}`;

const AXPY_WGSL = /* wgsl */ `
struct U { n: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i < u.n) { a[i] = a[i] + u.alpha * b[i]; }
}`;
