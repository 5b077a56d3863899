// Threads for the WASM backend's heavy kernels: workers that each instantiate the kernels over
// the engine's shared memory and wait on a control word. A run posts the export's name and
// arguments, wakes the workers, computes part 0 on the calling thread and waits for the others:
// the engine's calls stay synchronous, so nothing above it changes. Browser workers, or Node's
// worker_threads; the worker source below imports nothing, so both run it from a string.

// Control words: the job's generation, what to run, the failed job's generation, then one word
// per worker with the last generation it finished. Completion is a generation, never a count
// reset to zero: a late or repeated report cannot be mistaken for the next job's.
const GENERATION = 0;
const FUNCTION = 1;
const ARGC = 2;
const FAILED = 3;
const DONE_BASE = 4;
const MAX_WORKERS = 64;
const CONTROL_WORDS = DONE_BASE + MAX_WORKERS;
const MAX_ARGS = 64;
const STOP = -1;
/** Polls of a control word before a thread sleeps on it: about 40 µs in Node 20 on this x64. */
const SPIN = 10_000;
/** Longer than any kernel here runs (a 8192³ product takes about 20 s on one core). */
const WORKER_TIMEOUT_MS = 300_000;

/** The worker: instantiate over the shared memory, then run one part of each job it is woken for. */
const WORKER_SOURCE = `
const node = typeof require === 'function';
const port = node ? require('node:worker_threads').parentPort : self;
const listen = (f) => (node ? port.on('message', f) : (self.onmessage = (e) => f(e.data)));
listen(({ module, memory, control, args, names, part, parts }) => {
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(control);
  const a = new Float64Array(args);
  const doneAt = ${DONE_BASE} + part - 1;
  port.postMessage('ready');
  let seen = 0;
  for (;;) {
    let generation;
    // Spin a little before sleeping: a step posts its jobs back to back, and waking a sleeping
    // thread costs tens of microseconds, a tenth of a small product.
    for (let spin = 0; spin < ${SPIN} && Atomics.load(ctl, ${GENERATION}) === seen; spin++);
    while ((generation = Atomics.load(ctl, ${GENERATION})) === seen) Atomics.wait(ctl, ${GENERATION}, seen);
    seen = generation;
    const fn = ctl[${FUNCTION}];
    if (fn === ${STOP}) break;
    const argc = ctl[${ARGC}];
    try {
      const list = Array.from(a.subarray(0, argc));
      kernels[names[fn]](...list, part, parts, a[argc] + part * a[argc + 1]);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, generation);
    }
    Atomics.store(ctl, doneAt, generation);
    Atomics.notify(ctl, doneAt);
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
    const parts = Math.min(threads, MAX_WORKERS + 1);
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
    ctl[FUNCTION] = fn;
    ctl[ARGC] = args.length;
    // The job exists once its generation is published; workers read the words above after it.
    const generation = Atomics.add(ctl, GENERATION, 1) + 1;
    Atomics.notify(ctl, GENERATION);
    let ownError: unknown = null;
    try {
      own(...args, 0, this.parts, scratch);
    } catch (e) {
      ownError = e;
    }
    // Every worker finishes this job before the next is posted, even when part 0 failed.
    const block = canBlock();
    const since = Date.now();
    for (let w = 0; w < this.workers.length; w++) {
      for (let spin = 0; spin < SPIN && Atomics.load(ctl, DONE_BASE + w) !== generation; spin++);
      for (;;) {
        const done = Atomics.load(ctl, DONE_BASE + w);
        if (done === generation) break;
        if (block) Atomics.wait(ctl, DONE_BASE + w, done, 1000);
        // A worker that never answers is an error to report, not a hang.
        if (Date.now() - since > WORKER_TIMEOUT_MS) throw new Error(`${name}: WASM worker thread ${w + 1} did not finish its part within ${WORKER_TIMEOUT_MS / 1000} s`);
      }
    }
    if (ownError) throw ownError;
    if (Atomics.load(ctl, FAILED) === generation) throw new Error(`${name} failed on a worker thread`);
  }

  destroy(): void {
    this.ctl[FUNCTION] = STOP;
    Atomics.add(this.ctl, GENERATION, 1);
    Atomics.notify(this.ctl, GENERATION);
    for (const w of this.workers) void w.terminate();
  }
}
