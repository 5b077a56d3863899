// One run as the run view shows it: its record (status, live curves), its results once finished,
// whether it runs in this tab, in another one, or was interrupted (a closed tab, a reload).
import type { RunRecord } from '../../data/store.ts';
import { parseExperiment, type ExperimentConfig } from '../../experiment/schema.ts';
import { getRun, loadResults } from '../lib/studio-store.ts';
import { liveRunIds } from '../lib/run-lock.ts';
import { seriesFromResults, type Series } from '../lib/run-series.ts';
import type { AnyResults } from '../lib/results.ts';
import { session } from './run-session.svelte.ts';

const POLL_MS = 2000;

export class RunViewState {
  record = $state.raw<RunRecord | null>(null);
  results = $state.raw<AnyResults | null>(null);
  missing = $state(false);
  error = $state<string | null>(null);
  /** Another tab's trainer worker runs it now. */
  elsewhere = $state(false);

  /** This tab runs it. */
  get live(): boolean {
    return session.runId === this.id && session.active;
  }
  readonly config: ExperimentConfig | null = $derived.by(() => {
    if (!this.record) return null;
    try {
      return parseExperiment(this.record.config).config;
    } catch {
      return null;
    }
  });
  /** Recorded as running, but no tab runs it: its tab closed or reloaded mid-run. */
  get interrupted(): boolean {
    return this.record?.status === 'running' && !this.live && !this.elsewhere;
  }

  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly id: string) {}

  async load(): Promise<void> {
    try {
      const record = await getRun(this.id);
      this.missing = !record;
      this.record = record ?? null;
      this.elsewhere = !!record && record.status === 'running' && !this.live && (await liveRunIds()).has(this.id);
      if (record?.status === 'done' && !this.results) this.results = await loadResults(this.id);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Keeps the record fresh while another tab runs it (its worker writes the curves every second). */
  watch(): () => void {
    void this.load();
    this.#timer = setInterval(() => {
      // Also while this tab's run has not written its record yet.
      if (this.live || this.missing || this.elsewhere || this.record?.status === 'running') void this.load();
    }, POLL_MS);
    return () => clearInterval(this.#timer);
  }

  /** The curves to draw: live from this tab's session, else the record's, else results.json's. */
  series(): Series {
    if (session.runId === this.id && session.status !== 'idle') return session.series;
    const recorded = this.record?.metrics ?? {};
    if (Object.keys(recorded).length) return recorded;
    if (this.results?.kind === 'run') return seriesFromResults(this.results.results);
    return {};
  }

  /** Continues a stopped, failed or interrupted run from its resume points (finished phases are kept). */
  async resume(): Promise<void> {
    if (!this.config || !this.record) return;
    const done = session.start(this.config, { runId: this.id, series: this.record.metrics });
    await done.finally(() => void this.load());
  }
}
