// Size-bucketed pool of storage buffers. Training allocates the same shapes every step; reusing
// buffers keeps live memory flat and avoids createBuffer on the hot path. A bucket hands out its
// oldest idle buffer first, so a step that allocates as the last one did gets the very same
// buffers whatever order they came back in (the backend then reuses its bind groups).

const MIN_BUCKET = 256;

export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  liveBytes: number;
  /** Bytes held idle in the pool for reuse. */
  idleBytes: number;
  /** Every buffer ever created and not destroyed. */
  allocatedBytes: number;
  liveBuffers: number;
}

export function bucketSize(bytes: number): number {
  let size = MIN_BUCKET;
  while (size < bytes) size *= 2;
  return size;
}

export class BufferPool {
  /** Per bucket size, idle buffers newest first (pop() takes the oldest). */
  private readonly idle = new Map<number, GPUBuffer[]>();
  /** Creation order of every buffer this pool made. */
  private readonly age = new WeakMap<GPUBuffer, number>();
  private created = 0;
  private readonly live = new Set<GPUBuffer>();
  private stats: PoolStats = { liveBytes: 0, idleBytes: 0, allocatedBytes: 0, liveBuffers: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    /** Called when idle buffers are destroyed (the backend drops what refers to them). */
    private readonly onTrim: () => void = () => {},
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = bucketSize(Math.max(bytes, 4));
    if (size > this.maxBufferSize && bytes <= this.maxBufferSize) return this.track(this.create(bytes));
    if (bytes > this.maxBufferSize) {
      throw new RangeError(`A tensor of ${bytes} bytes exceeds this GPU's maxBufferSize (${this.maxBufferSize} bytes): use a smaller batch, sequence length or model.`);
    }
    const reuse = this.idle.get(size)?.pop();
    if (reuse) {
      this.stats.idleBytes -= size;
      return this.track(reuse);
    }
    return this.track(this.create(size));
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return; // released twice or not ours: ignore, never double-pool
    this.stats.liveBytes -= buffer.size;
    this.stats.liveBuffers--;
    let list = this.idle.get(buffer.size);
    if (!list) this.idle.set(buffer.size, (list = []));
    const age = this.age.get(buffer) ?? 0;
    let at = list.length;
    while (at > 0 && (this.age.get(list[at - 1]!) ?? 0) < age) at--;
    list.splice(at, 0, buffer);
    this.stats.idleBytes += buffer.size;
  }

  /** Frees idle buffers (e.g. after a run, or under memory pressure). */
  trim(): void {
    for (const list of this.idle.values()) for (const b of list) {
      this.stats.allocatedBytes -= b.size;
      b.destroy();
    }
    this.idle.clear();
    this.stats.idleBytes = 0;
    this.onTrim();
  }

  getStats(): PoolStats {
    return { ...this.stats };
  }

  private create(size: number): GPUBuffer {
    const buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.stats.allocatedBytes += size;
    this.age.set(buffer, this.created++);
    return buffer;
  }

  private track(buffer: GPUBuffer): GPUBuffer {
    this.live.add(buffer);
    this.stats.liveBytes += buffer.size;
    this.stats.liveBuffers++;
    return buffer;
  }
}
