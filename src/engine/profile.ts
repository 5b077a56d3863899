// Where a step's kernel time goes. On WebGPU: timestamp queries around every dispatch (devices with
// 'timestamp-query'). While profiling, each dispatch gets a compute pass of its own so its start
// and end can be stamped; that costs a little, so a profile says where the time goes, not how long
// a step takes (time steps without it).

/** GPU time of the dispatches of one kernel (its full key) during a profile. */
export interface KernelTime {
  kernel: string;
  /** The op the kernel belongs to: its key up to the first '.' or ':' ("attention", "matmul"). */
  op: string;
  dispatches: number;
  ms: number;
}

export interface Profile {
  kernels: KernelTime[];
  /** Dispatches beyond the query set's capacity: recorded, not timed. */
  untimed: number;
}

export const MAX_TIMED_DISPATCHES = 2048;

export const opOfKernel = (key: string) => key.split(/[.:]/)[0]!;

export class DispatchProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly names: string[] = [];
  private untimed = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Dispatches that can be timed: two timestamps each, and WebGPU allows 4096 queries in a set. */
    readonly capacity = MAX_TIMED_DISPATCHES,
  ) {
    if (!device.features.has('timestamp-query')) throw new Error("this GPU device has no 'timestamp-query': the profile needs it");
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * capacity });
  }

  /** The timestamp writes for the next dispatch of `kernel`, or undefined once the set is full. */
  next(kernel: string): GPUComputePassTimestampWrites | undefined {
    if (this.names.length >= this.capacity) {
      this.untimed++;
      return undefined;
    }
    const i = this.names.push(kernel) - 1;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Reads the timestamps of everything submitted (call after the work is flushed) and sums them per kernel. */
  async collect(): Promise<Profile> {
    const n = this.names.length;
    const out: Profile = { kernels: [], untimed: this.untimed };
    if (n === 0) return out;
    const bytes = 2 * n * 8;
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readback = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.resolveQuerySet(this.querySet, 0, 2 * n, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      const byKernel = new Map<string, KernelTime>();
      for (let i = 0; i < n; i++) {
        const begin = stamps[2 * i]!;
        const end = stamps[2 * i + 1]!;
        // A driver may stamp 0 (or go backwards) for a pass it merged: count it, time it as 0.
        const ms = end > begin ? Number(end - begin) / 1e6 : 0;
        const kernel = this.names[i]!;
        const entry = byKernel.get(kernel) ?? { kernel, op: opOfKernel(kernel), dispatches: 0, ms: 0 };
        entry.dispatches++;
        entry.ms += ms;
        byKernel.set(kernel, entry);
      }
      out.kernels = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
      return out;
    } finally {
      resolved.destroy();
      readback.destroy();
      this.querySet.destroy();
    }
  }
}

/** Kernel times summed per op, most time first. */
export function timePerOp(kernels: readonly KernelTime[]): { op: string; dispatches: number; ms: number }[] {
  const byOp = new Map<string, { op: string; dispatches: number; ms: number }>();
  for (const k of kernels) {
    const e = byOp.get(k.op) ?? { op: k.op, dispatches: 0, ms: 0 };
    e.dispatches += k.dispatches;
    e.ms += k.ms;
    byOp.set(k.op, e);
  }
  return [...byOp.values()].sort((a, b) => b.ms - a.ms);
}
