// Threads for the WASM backend's heavy kernels: workers that each instantiate the kernels over
// the engine's shared memory and wait on a control word. A run posts the export's name and
// arguments, wakes the workers, computes part 0 on the calling thread and waits for the others:
// the engine's calls stay synchronous, so nothing above it changes. Browser workers, or Node's
// worker_threads; the worker source below imports nothing, so both run it from a string.

// Control words.
const GENERATION = 0;
const DONE = 1;
const FUNCTION = 2;
const ARGC = 3;
const FAILED = 4;
const CONTROL_WORDS = 8;
const MAX_ARGS = 64;
const STOP = -1;

/** The worker: instantiate over the shared memory, then run one part of each job it is woken for. */
const WORKER_SOURCE = `
const node = typeof require === 'function';
const port = node ? require('node:worker_threads').parentPort : self;
const listen = (f) => (node ? port.on('message', f) : (self.onmessage = (e) => f(e.data)));
listen(({ module, memory, control, args, names, part, parts }) => {
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(control);
  const a = new Float64Array(args);
  port.postMessage('ready');
  let generation = 0;
  for (;;) {
    Atomics.wait(ctl, ${GENERATION}, generation);
    generation = Atomics.load(ctl, ${GENERATION});
    const fn = ctl[${FUNCTION}];
    if (fn === ${STOP}) break;
    const argc = ctl[${ARGC}];
    try {
      const list = Array.from(a.subarray(0, argc));
      kernels[names[fn]](...list, part, parts, a[argc] + part * a[argc + 1]);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
  if (node) port.close();
});
`;

interface AnyWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
function canBlock(): boolean {
  return typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/** Threads are possible: shared memory exists (in a browser, only when cross-origin isolated). */
export function threadsAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** The machine's logical cores. */
export async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = (await import(/* @vite-ignore */ 'node:' + 'os')) as typeof import('node:os');
    return os.availableParallelism();
  } catch {
    return 1;
  }
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly index = new Map<string, number>();

  private constructor(
    private readonly workers: AnyWorker[],
    control: SharedArrayBuffer,
    args: SharedArrayBuffer,
    names: readonly string[],
  ) {
    this.ctl = new Int32Array(control);
    this.args = new Float64Array(args);
    names.forEach((n, i) => this.index.set(n, i));
  }

  /** Parts per run: the workers and the calling thread. */
  get parts(): number {
    return this.workers.length + 1;
  }

  /** Starts `threads − 1` workers over `memory` (shared), each able to run any of `names`. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, names: readonly string[]): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
    const args = new SharedArrayBuffer((MAX_ARGS + 2) * 8);
    const parts = threads;
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined' && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined';
    const nodeWorkers = isNode ? ((await import(/* @vite-ignore */ 'node:' + 'worker_threads')) as typeof import('node:worker_threads')) : null;
    for (let part = 1; part < parts; part++) {
      const init = { module, memory, control, args, names, part, parts };
      if (nodeWorkers) {
        const w = new nodeWorkers.Worker(WORKER_SOURCE, { eval: true });
        w.unref(); // an idle pool never keeps Node alive
        ready.push(new Promise((resolve, reject) => (w.once('message', () => resolve()), w.once('error', reject))));
        w.postMessage(init);
        workers.push(w);
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        ready.push(new Promise((resolve, reject) => ((w.onmessage = () => resolve()), (w.onerror = (e) => reject(new Error(e.message))))));
        w.postMessage(init);
        workers.push(w);
      }
    }
    await Promise.all(ready);
    return new ThreadPool(workers, control, args, names);
  }

  /**
   * Runs the export `name`(...args, part, parts, scratch + part · scratchBytes) on every part and
   * returns when all are done; `own` runs part 0 on this thread.
   */
  run(name: string, args: readonly number[], scratch: number, scratchBytes: number, own: (...a: number[]) => unknown): void {
    const fn = this.index.get(name);
    if (fn === undefined) throw new Error(`thread pool: no kernel ${name}`);
    if (args.length > MAX_ARGS) throw new Error(`thread pool: ${args.length} arguments exceed ${MAX_ARGS}`);
    const { ctl } = this;
    this.args.set(args);
    this.args[args.length] = scratch;
    this.args[args.length + 1] = scratchBytes;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    ctl[FUNCTION] = fn;
    ctl[ARGC] = args.length;
    Atomics.add(ctl, GENERATION, 1);
    Atomics.notify(ctl, GENERATION);
    own(...args, 0, this.parts, scratch);
    const others = this.workers.length;
    const block = canBlock();
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done === others) break;
      if (block) Atomics.wait(ctl, DONE, done, 1000);
    }
    if (Atomics.load(ctl, FAILED)) throw new Error(`${name} failed on a worker thread`);
  }

  destroy(): void {
    this.ctl[FUNCTION] = STOP;
    Atomics.add(this.ctl, GENERATION, 1);
    Atomics.notify(this.ctl, GENERATION);
    for (const w of this.workers) void w.terminate();
  }
}
