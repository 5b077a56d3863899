// The experiment running in this tab (one at a time: the trainer worker owns the GPU). Lives
// outside any page, so the run view can be left and reopened while the run goes on; events from
// the worker update its progress and curves, at most one redraw per animation frame.
import * as Comlink from 'comlink';
import type { ExperimentConfig } from '../../experiment/schema.ts';
import { expandSweep } from '../../experiment/schema.ts';
import type { RunEvent } from '../../experiment/run/host.ts';
import type { PoolStats } from '../../engine/pool.ts';
import { getTrainer } from '../lib/trainer.ts';
import { getRun } from '../lib/studio-store.ts';
import { applyToSeries, type Series } from '../lib/run-series.ts';
import { applyEvent, initialProgress, trainingRate, type StepSample, type RunProgress } from '../lib/run-progress.ts';

export type SessionStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'done' | 'stopped' | 'failed';

/** Samples kept per model for the speed figure (a sliding window). */
const SPEED_WINDOW = 20;

export class RunSession {
  runId = $state<string | null>(null);
  config = $state.raw<ExperimentConfig | null>(null);
  status = $state<SessionStatus>('idle');
  error = $state<string | null>(null);
  progress = $state.raw<RunProgress | null>(null);
  /** The live curves as last drawn: a fresh copy per animation frame in which they changed. */
  series = $state.raw<Series>({});
  /** Mutated in place by every event; copied into `series` at most once per frame. */
  #live: Series = {};
  /** The model training now, its steps/s and tokens/s (tokens the batches read, padding excluded). */
  speed = $state.raw<{ model: string; stepsPerSec: number; tokensPerSec: number } | null>(null);
  gpu = $state.raw<PoolStats | null>(null);

  #frame = 0;
  #poll: ReturnType<typeof setInterval> | undefined;
  #samples = new Map<string, StepSample[]>();

  /** Starts (or, with the id of a stored unfinished run, resumes) an experiment; resolves when it ends. */
  async start(config: ExperimentConfig, opts: { runId?: string; series?: Series } = {}): Promise<void> {
    if (this.status === 'running' || this.status === 'starting' || this.status === 'stopping') throw new Error('an experiment is already running in this tab');
    const runId = opts.runId ?? crypto.randomUUID();
    this.runId = runId;
    this.config = config;
    this.status = 'starting';
    this.error = null;
    this.#live = structuredClone(opts.series ?? {});
    this.#publish();
    this.#samples.clear();
    this.speed = null;
    const first = config.sweep ? expandSweep(config)[0]?.config ?? config : config;
    this.progress = initialProgress(first);
    this.#poll = setInterval(() => void this.#pollStatus(), 1000);
    const onEvent = (event: RunEvent, sweepRun?: string) => {
      if (this.status === 'starting') this.status = 'running';
      this.progress = applyEvent(this.progress!, event, performance.now(), sweepRun);
      if (event.type === 'train') {
        const samples = this.#samples.get(event.model) ?? [];
        samples.push({ at: performance.now(), step: event.step, tokens: event.tokens });
        if (samples.length > SPEED_WINDOW) samples.shift();
        this.#samples.set(event.model, samples);
        const rate = trainingRate(samples);
        this.speed = rate === null ? this.speed : { model: event.model, ...rate };
      }
      if (applyToSeries(this.#live, event, sweepRun) && !this.#frame) {
        this.#frame = requestAnimationFrame(() => {
          this.#frame = 0;
          this.#publish();
        });
      }
    };
    try {
      await getTrainer().runExperiment(JSON.stringify(config), Comlink.proxy(onEvent), { runId });
      this.status = 'done';
    } catch (e) {
      this.error = (e as Error).message;
      // The run record says how it ended (stopped by the user, or failed).
      const record = await getRun(runId).catch(() => undefined);
      this.status = record?.status === 'stopped' ? 'stopped' : 'failed';
    } finally {
      clearInterval(this.#poll);
      await this.#pollStatus();
      this.#publish();
    }
  }

  #publish() {
    this.series = Object.fromEntries(Object.entries(this.#live).map(([k, v]) => [k, v.slice()]));
  }

  /** Asks the run to stop after its current training step; it saves a resume point there. */
  async stop(): Promise<void> {
    if (this.status !== 'running' && this.status !== 'starting') return;
    this.status = 'stopping';
    await getTrainer().stop();
  }

  get active(): boolean {
    return this.status === 'starting' || this.status === 'running' || this.status === 'stopping';
  }

  async #pollStatus() {
    try {
      this.gpu = (await getTrainer().status()).gpu;
    } catch {
      // The worker is gone (tab closing); the next start makes a new one.
    }
  }
}

export const session = new RunSession();
