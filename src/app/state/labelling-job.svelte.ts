// One labelling job of the Teacher page: pairs through the teacher proxy in requests of
// `chunkSize`, every label written to IndexedDB as it arrives (in small batches), so Cancel — or a
// closed tab — keeps everything labelled so far. Pairs this teacher already labelled are skipped:
// running the same job again resumes where it stopped and costs nothing.
import { TeacherLabel, type Example, type TeacherRef } from '../../data/schema.ts';
import { teacherKey, type LanternStore } from '../../data/store.ts';
import { describeError } from '../lib/errors.ts';
import { etaSeconds, fractionDone, throughput } from '../lib/job-progress.ts';
import type { LabelStream, Provider } from '../lib/teacher-api.ts';
import type { StoreChange } from './studio.svelte.ts';

export interface PairError {
  exampleId: string;
  code: string;
  error: string;
}

export interface LabellingDeps {
  store: () => Promise<LanternStore>;
  changed: (c: StoreChange) => void;
  stream: LabelStream;
  now: () => number;
}

export type JobStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

/** Labels are written in batches of this many (or at the end of a request, or on cancel). */
const FLUSH_EVERY = 20;

export class LabellingJob {
  status = $state<JobStatus>('idle');
  datasetId = $state<string | null>(null);
  teacher = $state<TeacherRef | null>(null);
  /** Pairs this job sends to the teacher. */
  total = $state(0);
  /** Pairs that already had a label from this teacher: kept, not sent. */
  skipped = $state(0);
  done = $state(0);
  labelled = $state(0);
  /** Pairs the server answered entirely from its cache. */
  cachedPairs = $state(0);
  requests = $state(0);
  tokens = $state(0);
  errors = $state<PairError[]>([]);
  /** Why the job ended early or failed, in words. */
  message = $state<string | null>(null);
  elapsedMs = $state(0);

  rate = $derived(throughput(this.done, this.elapsedMs));
  eta = $derived(etaSeconds(this.done, this.total, this.elapsedMs));
  fraction = $derived(fractionDone(this.done, this.total));

  private controller: AbortController | null = null;
  private startedAt = 0;
  /** The last run's pairs and options, for "retry failed pairs". */
  private last: { datasetId: string; pairs: readonly Example[]; provider: Provider; teacher: TeacherRef; chunkSize: number } | null = null;

  constructor(private readonly deps: LabellingDeps) {}

  get running(): boolean {
    return this.status === 'running';
  }

  /**
   * Labels `pairs` of dataset `datasetId` with the teacher `provider` (whose identity is `teacher`,
   * from /api/teacher/info). With `relabel`, pairs already labelled are sent again (the server's
   * cache answers what it has seen).
   */
  async start(datasetId: string, pairs: readonly Example[], opts: { provider: Provider; teacher: TeacherRef; relabel?: boolean; chunkSize?: number }): Promise<void> {
    if (this.running) throw new Error('A labelling job is already running; cancel it first.');
    const chunkSize = opts.chunkSize ?? 100;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('Pairs per request must be a whole number ≥ 1.');
    this.reset(datasetId, opts.teacher);
    this.status = 'running';
    this.last = { datasetId, pairs, provider: opts.provider, teacher: opts.teacher, chunkSize };
    const controller = (this.controller = new AbortController());
    const buffer: TeacherLabel[] = [];
    let store: LanternStore | null = null;
    let unannounced = 0;
    const flush = async () => {
      if (buffer.length === 0 || !store) return;
      const batch = buffer.splice(0);
      await store.putLabels(datasetId, batch);
      unannounced += batch.length;
    };
    // Pages (here and in other tabs) reload labels once per request, not once per batch.
    const announce = () => {
      if (unannounced === 0) return;
      unannounced = 0;
      this.deps.changed({ datasetId, what: 'labels' });
    };
    try {
      store = await this.deps.store();
      const have = opts.relabel ? new Set<string>() : new Set((await store.getLabelsByTeacher(datasetId, opts.teacher)).map((l) => l.exampleId));
      const todo = pairs.filter((p) => !have.has(p.id));
      this.skipped = pairs.length - todo.length;
      this.total = todo.length;
      this.startedAt = this.deps.now();
      for (let start = 0; start < todo.length && !controller.signal.aborted; start += chunkSize) {
        const chunk = todo.slice(start, start + chunkSize);
        const base = { done: this.done, labelled: this.labelled, cachedPairs: this.cachedPairs, requests: this.requests, tokens: this.tokens };
        let finished = false;
        for await (const line of this.deps.stream(chunk, opts.provider, controller.signal)) {
          if (line.type === 'start') {
            if (teacherKey(line.teacher) !== teacherKey(opts.teacher)) this.teacher = line.teacher;
          } else if (line.type === 'result') {
            const parsed = TeacherLabel.safeParse(line.result);
            if (parsed.success) buffer.push(parsed.data);
            else this.errors.push({ exampleId: chunk[line.index]?.id ?? `#${line.index}`, code: 'malformed', error: `the server sent a malformed label (${parsed.error.issues[0]?.message ?? 'invalid'})` });
            if (buffer.length >= FLUSH_EVERY) await flush();
          } else if (line.type === 'error') {
            this.errors.push({ exampleId: line.exampleId, code: line.code, error: line.error });
          } else if (line.type === 'progress') {
            this.done = base.done + line.done;
            this.labelled = base.labelled + line.labelled;
            this.cachedPairs = base.cachedPairs + line.cachedPairs;
            this.requests = base.requests + line.upstreamRequests;
            this.tokens = base.tokens + line.tokens;
            this.elapsedMs = this.deps.now() - this.startedAt;
          } else if (line.type === 'summary') {
            finished = true;
            if (line.stopped === 'budget') this.message = 'The labelling budget of one job ran out; the remaining pairs were not tried. Start again to continue (labels so far are kept), or raise LANTERN_TEACHER_MAX_REQUESTS / LANTERN_TEACHER_MAX_TOKENS on the server.';
            else if (line.stopped === 'upstream') this.message = 'The teacher service stopped answering usably (see the errors below); the remaining pairs were not tried. Fix the teacher setup, then retry the failed pairs.';
          } else if (line.type === 'fatal') {
            throw new Error(line.error);
          }
        }
        await flush();
        announce();
        if (!finished && !controller.signal.aborted) throw new Error('The teacher server closed the stream before it finished; start again to resume (labels so far are kept).');
        if (this.message) break;
      }
      this.status = controller.signal.aborted ? 'cancelled' : 'done';
    } catch (e) {
      if (controller.signal.aborted) this.status = 'cancelled';
      else {
        this.status = 'failed';
        this.message = describeError(e);
      }
    } finally {
      this.elapsedMs = this.startedAt ? this.deps.now() - this.startedAt : 0;
      try {
        await flush();
      } catch (e) {
        this.status = 'failed';
        this.message = describeError(e);
      }
      announce();
      this.controller = null;
    }
  }

  /** Stops after the pair in flight; everything labelled so far is kept. */
  cancel(): void {
    this.controller?.abort();
  }

  /** Sends the pairs that failed in the last job again. */
  async retryFailed(): Promise<void> {
    if (!this.last || this.errors.length === 0) return;
    const failed = new Set(this.errors.map((e) => e.exampleId));
    const { datasetId, pairs, provider, teacher, chunkSize } = this.last;
    await this.start(datasetId, pairs.filter((p) => failed.has(p.id)), { provider, teacher, relabel: true, chunkSize });
  }

  private reset(datasetId: string, teacher: TeacherRef): void {
    this.datasetId = datasetId;
    this.teacher = teacher;
    this.total = this.skipped = this.done = this.labelled = this.cachedPairs = this.requests = this.tokens = 0;
    this.errors = [];
    this.message = null;
    this.elapsedMs = 0;
    this.startedAt = 0;
  }
}
