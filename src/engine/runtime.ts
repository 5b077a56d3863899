// The engine runtime: tensors, scopes and autograd over a backend that runs the kernels
// (backend.ts): WebGPU on a GPUDevice, or WASM SIMD where there is no real GPU. Ops ask for a
// kernel by key and WGSL and dispatch it over tensors; which backend runs it is the engine's
// business alone.
import { Tensor, assertSameShape, sizeOf, type DType, type TensorOptions } from './tensor.ts';
import { EngineError, GpuMemoryError } from './errors.ts';
import type { Profile } from './profile.ts';
import { Autograd } from './autograd.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from './wgsl.ts';
import type { Backend, BackendKind, EngineLimits, Kernel, Storage, StoragePool } from './backend.ts';
import { WebGpuBackend } from './webgpu-backend.ts';

export type { Kernel } from './backend.ts';

type Binding = Tensor | Storage;

function isBackend(target: GPUDevice | Backend): target is Backend {
  return typeof (target as Backend).kind === 'string' && typeof (target as Backend).dispatch === 'function';
}

export class Engine {
  readonly backend: Backend;
  readonly autograd = new Autograd(this);
  private scopes: Set<Tensor>[] = [];

  /** An engine on a WebGPU device, or on a backend (the WASM one: see wasm/backend.ts). */
  constructor(target: GPUDevice | Backend) {
    this.backend = isBackend(target) ? target : new WebGpuBackend(target);
  }

  /** Which backend runs the kernels. */
  get kind(): BackendKind {
    return this.backend.kind;
  }

  /** The GPU device (WebGPU backend only). */
  get device(): GPUDevice {
    if (this.backend instanceof WebGpuBackend) return this.backend.device;
    throw new EngineError(`this engine runs on the ${this.backend.kind} backend: it has no GPU device`);
  }

  /** The WebGPU device is a software rasteriser (ops pick kernels without workgroup memory there). */
  get softwareAdapter(): boolean {
    return this.backend instanceof WebGpuBackend && this.backend.softwareAdapter;
  }

  /** The WebGPU device has subgroups of exactly 4 lanes. */
  get quadSubgroups(): boolean {
    return this.backend instanceof WebGpuBackend && this.backend.quadSubgroups;
  }

  get limits(): EngineLimits {
    return this.backend.limits;
  }

  get pool(): StoragePool {
    return this.backend.pool;
  }

  /** Dispatches encoded since creation (for tests and benchmarks). */
  get dispatchCount(): number {
    return this.backend.dispatchCount;
  }

  /** Queue submissions since creation. */
  get submitCount(): number {
    return this.backend.submitCount;
  }

  get lost(): boolean {
    return this.backend.lost;
  }

  /** Throws a clear error if the device was lost or reported an error since the last check. */
  checkHealth(): void {
    this.backend.checkHealth();
  }

  // ---- kernels -------------------------------------------------------------------------------

  /** A kernel by key (its name and specialisation) and WGSL source, compiled once. */
  kernel(key: string, code: string, entryPoint = 'main'): Kernel {
    return this.backend.kernel(key, code, entryPoint);
  }

  /**
   * Records one dispatch. Bindings go to @binding(0..n-1) of @group(0) in order; `uniforms`, when
   * given, to @binding(n) as a uniform buffer.
   */
  dispatch(kernel: Kernel, bindings: Binding[], workgroups: readonly number[], uniforms?: ArrayBufferView | ArrayBuffer): void {
    for (const b of bindings) if (b instanceof Tensor && b.isReleased) throw new EngineError(`${kernel.key}: ${b} was used after release`);
    this.backend.dispatch(kernel, bindings.map(storageOf), workgroups, uniforms);
  }

  /**
   * Dispatches one kernel over each item's bindings, in order: as many dispatches on WebGPU, one
   * call over the whole list on WASM where the kernel has that form (optim.ts: every parameter).
   */
  dispatchEach(kernel: Kernel, items: readonly { bindings: Binding[]; workgroups: readonly number[]; uniforms?: ArrayBufferView | ArrayBuffer }[]): void {
    for (const item of items) for (const b of item.bindings) if (b instanceof Tensor && b.isReleased) throw new EngineError(`${kernel.key}: ${b} was used after release`);
    this.backend.dispatchEach(kernel, items.map((item) => ({ ...item, bindings: item.bindings.map(storageOf) })));
  }

  /**
   * Runs `work` with every dispatch timed (on WebGPU the device needs 'timestamp-query') and
   * gives its result with the time per kernel. One profile at a time.
   */
  profile<T>(work: () => Promise<T>, capacity?: number): Promise<{ result: T; profile: Profile }> {
    return this.backend.profile(work, capacity);
  }

  /** Copies `bytes` from one buffer to another, in order with the dispatches around it. */
  copy(src: Binding, dst: Binding, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.backend.copy(storageOf(src), storageOf(dst), bytes, srcOffset, dstOffset);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.backend.flush();
  }

  // ---- tensors ---------------------------------------------------------------------------------

  /** A tensor with undefined contents (every kernel writes all of its output). */
  empty(shape: readonly number[], dtype: DType = 'f32', opts?: TensorOptions): Tensor {
    this.checkLost();
    let storage: Storage;
    try {
      storage = this.backend.pool.acquire(sizeOf(shape) * 4);
    } catch (e) {
      throw new GpuMemoryError((e as Error).message);
    }
    const t = new Tensor(this, shape, dtype, storage, opts);
    if (!t.isParam) this.scopes.at(-1)?.add(t);
    return t;
  }

  /** Uploads host data. */
  upload(data: Float32Array | Int32Array | Uint32Array | number[], shape: readonly number[], dtype?: DType, opts?: TensorOptions): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint32Array ? 'u32' : 'f32');
    const arr = Array.isArray(data) ? (dt === 'f32' ? Float32Array.from(data) : dt === 'i32' ? Int32Array.from(data) : Uint32Array.from(data)) : data;
    if (arr.length !== sizeOf(shape)) throw new EngineError(`upload: ${arr.length} values do not fill shape [${shape.join(', ')}]`);
    const t = this.empty(shape, dt, opts);
    this.backend.write(t.buffer, arr);
    return t;
  }

  /** Overwrites a tensor's contents with host data of the same size (restoring weights). */
  write(t: Tensor, data: Float32Array | Int32Array | Uint32Array): void {
    if (t.isReleased) throw new EngineError(`write: ${t} was released`);
    if (data.length !== t.size) throw new EngineError(`write: ${data.length} values do not fill ${t}`);
    this.backend.write(t.buffer, data);
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
    const copy = await this.backend.read(t.buffer, t.byteLength);
    return t.dtype === 'f32' ? new Float32Array(copy) : t.dtype === 'i32' ? new Int32Array(copy) : new Uint32Array(copy);
  }

  /** Waits until the backend has finished all submitted work. */
  async sync(): Promise<void> {
    await this.backend.sync();
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

  private checkLost(): void {
    if (this.backend.lost) this.backend.checkHealth();
  }

  destroy(): void {
    this.backend.destroy();
  }
}

function storageOf(b: Binding): Storage {
  return b instanceof Tensor ? b.buffer : b;
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
