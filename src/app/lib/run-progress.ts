// A run's progress from its events (pure): the pipeline's phases in order, each pending, running,
// done or skipped, with steps or items done, the ETA the orchestrator reports (training) or one
// extrapolated from the rate so far (labelling, generation). The run view draws this.
import type { ExperimentConfig } from '../../experiment/schema.ts';
import type { RunEvent } from '../../experiment/run/host.ts';

export type PhaseStatus = 'pending' | 'running' | 'done' | 'skipped';

export interface PhaseProgress {
  phase: string;
  title: string;
  status: PhaseStatus;
  done: number | null;
  total: number | null;
  etaSeconds: number | null;
  seconds: number | null;
  /** What the phase is doing now, e.g. "evaluating on the test split". */
  note: string | null;
  /** Page clock (ms) when the phase started. */
  startedAt: number | null;
}

export interface RunProgress {
  phases: PhaseProgress[];
  current: string | null;
  warnings: string[];
  /** The sweep run the phases belong to (null outside a sweep). */
  sweepRun: string | null;
  /** Sweep runs that started, in order. */
  sweepRunsSeen: string[];
  resumedAt: { model: string; step: number }[];
}

const TITLES: Record<string, string> = {
  'teacher-labels': 'Teacher labels',
  vocabulary: 'Student vocabulary',
  'seed-set': 'Seed set',
  'in-house-teacher': 'In-house teacher (SFT)',
  synthetic: 'Synthetic answers',
  'evaluate:teacher': 'Evaluate in-house teacher',
  baselines: 'Baselines on the test split',
};

/** The phases an experiment (or each run of its sweep) goes through, in order. */
export function phasesOf(config: Pick<ExperimentConfig, 'stages'>): string[] {
  return [...Object.keys(TITLES), ...config.stages.map((s) => `stage:${s.id}`)];
}

export function phaseTitle(phase: string): string {
  return TITLES[phase] ?? (phase.startsWith('stage:') ? `Stage ${phase.slice(6)}` : phase);
}

const fresh = (phase: string): PhaseProgress => ({ phase, title: phaseTitle(phase), status: 'pending', done: null, total: null, etaSeconds: null, seconds: null, note: null, startedAt: null });

export function initialProgress(config: Pick<ExperimentConfig, 'stages'>): RunProgress {
  return { phases: phasesOf(config).map(fresh), current: null, warnings: [], sweepRun: null, sweepRunsSeen: [], resumedAt: [] };
}

/** The phase a training model belongs to. */
const trainingPhase = (model: string) => (model === 'teacher' ? 'in-house-teacher' : `stage:${model}`);

/** Progress after one event; `now` is the page clock in ms. Returns a new object (for state). */
export function applyEvent(progress: RunProgress, event: RunEvent, now: number, sweepRun?: string): RunProgress {
  let p = progress;
  if ((sweepRun ?? null) !== p.sweepRun) {
    // A new run of the sweep: the same phases from the start.
    p = { ...p, phases: p.phases.map((x) => fresh(x.phase)), current: null, sweepRun: sweepRun ?? null, sweepRunsSeen: sweepRun && !p.sweepRunsSeen.includes(sweepRun) ? [...p.sweepRunsSeen, sweepRun] : p.sweepRunsSeen };
  }
  const update = (phase: string, change: (x: PhaseProgress) => Partial<PhaseProgress>) => {
    let found = false;
    const phases = p.phases.map((x) => {
      if (x.phase !== phase) return x;
      found = true;
      return { ...x, ...change(x) };
    });
    p = { ...p, phases: found ? phases : [...phases, { ...fresh(phase), ...change(fresh(phase)) }] };
  };
  switch (event.type) {
    case 'phase': {
      // A stage's evaluation is reported inside the stage's phase.
      const evaluating = /^evaluate:(.+)$/.exec(event.phase);
      if (evaluating && evaluating[1] !== 'teacher') {
        update(`stage:${evaluating[1]}`, () => ({ note: 'evaluating on the test split', etaSeconds: null }));
        break;
      }
      if (event.status === 'start') {
        update(event.phase, () => ({ status: 'running', startedAt: now }));
        p = { ...p, current: event.phase };
      } else if (event.status === 'skip') update(event.phase, () => ({ status: 'skipped', note: 'done before (kept)' }));
      else {
        update(event.phase, (x) => ({ status: 'done', seconds: event.seconds ?? null, etaSeconds: null, note: null, done: x.total ?? x.done }));
        if (p.current === event.phase) p = { ...p, current: null };
      }
      break;
    }
    case 'train':
      update(trainingPhase(event.model), () => ({ status: 'running', done: event.step, total: event.steps, etaSeconds: event.etaSeconds, note: null }));
      p = { ...p, current: trainingPhase(event.model) };
      break;
    case 'progress':
      update(event.phase, (x) => ({ done: event.done, total: event.total, etaSeconds: extrapolateEta(x.startedAt, now, event.done, event.total) }));
      break;
    case 'resume':
      p = { ...p, resumedAt: [...p.resumedAt, { model: event.model, step: event.step }] };
      update(trainingPhase(event.model), () => ({ note: `resumed from step ${event.step}` }));
      break;
    case 'warning':
      p = { ...p, warnings: [...p.warnings, event.message] };
      break;
    case 'note':
      update(event.phase, () => ({ note: event.message }));
      break;
    case 'val':
      break;
  }
  return p;
}

/** Seconds left at the rate so far (null before anything is done). */
export function extrapolateEta(startedAt: number | null, now: number, done: number, total: number): number | null {
  if (startedAt === null || done <= 0 || total <= done) return total <= done ? 0 : null;
  return ((now - startedAt) / 1000 / done) * (total - done);
}

/** Fraction of a phase done, for a progress bar (null: indeterminate). */
export function phaseFraction(x: PhaseProgress): number | null {
  if (x.status === 'done' || x.status === 'skipped') return 1;
  if (x.done === null || !x.total) return null;
  return Math.min(1, x.done / x.total);
}

/** One training step as the page saw it: when it was reported (page clock, ms), its number, and the tokens it read. */
export interface StepSample {
  at: number;
  step: number;
  tokens: number;
}

/**
 * Training speed over the latest samples of one model: steps and tokens per second between the
 * first and the last sample (the first sample's own tokens were read before the window began).
 */
export function trainingRate(samples: readonly StepSample[]): { stepsPerSec: number; tokensPerSec: number } | null {
  if (samples.length < 2) return null;
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const seconds = (last.at - first.at) / 1000;
  if (!(seconds > 0) || last.step <= first.step) return null;
  const tokens = samples.slice(1).reduce((n, s) => n + s.tokens, 0);
  return { stepsPerSec: (last.step - first.step) / seconds, tokensPerSec: tokens / seconds };
}
