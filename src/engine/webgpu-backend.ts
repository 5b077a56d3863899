// The WebGPU backend: one GPUDevice, a buffer pool, cached pipelines, and a command encoder that
// collects every dispatch of a step into one compute pass until flush() submits it. Reads flush;
// nothing else waits on the GPU.
import { BufferPool } from './pool.ts';
import { deviceAdapterInfo, isSoftwareAdapterInfo } from './gpu.ts';
import { DeviceLostError, EngineError, GpuMemoryError } from './errors.ts';
import { DispatchProfiler, type Profile } from './profile.ts';
import type { Backend, DispatchItem, EngineLimits, Kernel, Storage } from './backend.ts';

interface GpuKernel extends Kernel {
  readonly pipeline: GPUComputePipeline;
  /** Asked once: getBindGroupLayout makes a new object (and a native call) every time. */
  readonly layout: GPUBindGroupLayout;
}

const UNIFORM_BYTES = 256;
/** Bind groups kept per backend before the cache starts over (a training step uses a few hundred). */
const BIND_GROUP_CACHE_SIZE = 4096;

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly pool: BufferPool;
  readonly limits: EngineLimits;
  private readonly kernels = new Map<string, GpuKernel>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Uniform buffers free to write, oldest first: a step takes them in the order the last one did. */
  private idleUniforms: GPUBuffer[] = [];
  private pendingUniforms: GPUBuffer[] = [];
  /**
   * createBindGroup is most of what recording an op costs (~8 of ~15 µs here). A training step
   * binds the same pooled buffers (and, taken first in first out, the same uniform buffers) in
   * the same order every step, so its bind groups are kept, keyed by kernel and buffer ids.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  bindGroupsCreated = 0;
  private lostError: DeviceLostError | null = null;
  private uncaptured: GPUError | null = null;
  dispatchCount = 0;
  submitCount = 0;
  /** Set while profile() runs: every dispatch is stamped (src/engine/profile.ts). */
  private profiler: DispatchProfiler | null = null;

  /**
   * A software rasteriser (SwiftShader, llvmpipe): workgroup memory is ordinary memory and a
   * barrier switches coroutines, so kernels that avoid both run faster there (ops/matmul.ts).
   * Tests set it (and quadSubgroups) to run every kernel variant on one adapter.
   */
  softwareAdapter: boolean;
  /** Subgroups of exactly 4 lanes (SwiftShader's SIMD width): matmul shares loads across such quads. */
  quadSubgroups: boolean;

  constructor(readonly device: GPUDevice) {
    this.softwareAdapter = isSoftwareAdapterInfo(deviceAdapterInfo(device));
    const info = (device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
    this.quadSubgroups = device.features.has('subgroups') && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
    // Bind groups that name a trimmed (destroyed) buffer go with it.
    this.pool = new BufferPool(device, Number(device.limits.maxBufferSize), () => this.bindGroups.clear());
    // Read through the device so that a device with other limits (tests) is seen as such.
    this.limits = {
      get maxBufferSize() {
        return Number(device.limits.maxBufferSize);
      },
      get maxStorageBufferBindingSize() {
        return Number(device.limits.maxStorageBufferBindingSize);
      },
      get maxComputeWorkgroupsPerDimension() {
        return Number(device.limits.maxComputeWorkgroupsPerDimension);
      },
    };
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

  /** Compiles (once) a compute pipeline; `key` names the kernel and its specialisation. */
  kernel(key: string, code: string, entryPoint: string): Kernel {
    let k = this.kernels.get(key);
    if (!k) {
      const module = this.device.createShaderModule({ code, label: key });
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key });
      k = { key, pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.kernels.set(key, k);
    }
    return k;
  }

  dispatchEach(kernel: Kernel, items: readonly DispatchItem[]): void {
    for (const { bindings, workgroups, uniforms } of items) this.dispatch(kernel, bindings, workgroups, uniforms);
  }

  dispatch(kernel: Kernel, bindings: readonly Storage[], workgroups: readonly number[], uniforms?: ArrayBufferView | ArrayBuffer): void {
    if (this.lostError) throw this.lostError;
    const k = kernel as GpuKernel;
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    let ubuf: GPUBuffer | null = null;
    if (uniforms) {
      ubuf = this.uniformBuffer();
      const view = uniforms instanceof ArrayBuffer ? new Uint8Array(uniforms) : new Uint8Array(uniforms.buffer as ArrayBuffer, uniforms.byteOffset, uniforms.byteLength);
      if (view.byteLength > UNIFORM_BYTES) throw new EngineError(`${kernel.key}: uniforms larger than ${UNIFORM_BYTES} bytes`);
      this.device.queue.writeBuffer(ubuf, 0, view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
    }
    const bindGroup = this.bindGroup(k, bindings as readonly GPUBuffer[], ubuf);
    const timestampWrites = this.profiler?.next(kernel.key);
    if (timestampWrites) this.endPass();
    const pass = timestampWrites ? this.commandEncoder().beginComputePass({ timestampWrites }) : this.computePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (timestampWrites) pass.end();
    this.dispatchCount++;
  }

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

  copy(src: Storage, dst: Storage, bytes: number, srcOffset: number, dstOffset: number): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src as GPUBuffer, srcOffset, dst as GPUBuffer, dstOffset, bytes);
  }

  write(dst: Storage, data: ArrayBufferView): void {
    // Recorded work may still read a recycled buffer: submit it first so the write lands after.
    this.flush();
    if (data.byteLength > 0) this.device.queue.writeBuffer(dst as GPUBuffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }

  async read(src: Storage, bytes: number): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      if (bytes > 0) this.copy(src, staging, bytes, 0, 0);
      this.flush();
      await staging.mapAsync(GPUMapMode.READ);
      const copy = staging.getMappedRange(0, Math.max(4, bytes)).slice(0, bytes);
      staging.unmap();
      this.checkHealth();
      return copy;
    } catch (e) {
      if (this.lostError) throw this.lostError;
      throw e;
    } finally {
      staging.destroy();
    }
  }

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

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkHealth();
  }

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

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  /** The bind group of these buffers for this kernel: made once, then reused while the cache holds it. */
  private bindGroup(k: GpuKernel, bindings: readonly GPUBuffer[], uniforms: GPUBuffer | null): GPUBindGroup {
    let key = k.key;
    for (const b of bindings) key += `|${this.bufferId(b)}`;
    if (uniforms) key += `|u${this.bufferId(uniforms)}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({ binding: i, resource: { buffer: b } }));
      if (uniforms) entries.push({ binding: bindings.length, resource: { buffer: uniforms } });
      group = this.device.createBindGroup({ layout: k.layout, entries });
      this.bindGroupsCreated++;
      // Starting over is cheap and bounds memory where buffers keep changing (inference of varied lengths).
      if (this.bindGroups.size >= BIND_GROUP_CACHE_SIZE) this.bindGroups.clear();
      this.bindGroups.set(key, group);
    }
    return group;
  }

  private uniformBuffer(): GPUBuffer {
    const b = this.idleUniforms.shift() ?? this.device.createBuffer({ size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.pendingUniforms.push(b);
    return b;
  }

  destroy(): void {
    this.flush();
    this.pool.trim();
    for (const b of [...this.idleUniforms, ...this.pendingUniforms]) b.destroy();
  }
}
