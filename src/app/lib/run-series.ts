// Live loss curves of a run, as the trainer worker keeps them in the run record's `metrics`
// (store.ts RunRecord: series name → [step, loss][]) and as the run view draws them. One key per
// model and curve: "<model>/train/loss", "<model>/val/loss", prefixed by "<sweep run>/" in a sweep.
// Pure, so the worker (writing) and the pages (reading) agree on one format.
import type { RunEvent } from '../../experiment/run/host.ts';

export type Series = Record<string, [number, number][]>;
export type CurveKind = 'train' | 'val';

export function seriesKey(model: string, kind: CurveKind, sweepRun?: string): string {
  return `${sweepRun ? `${sweepRun}/` : ''}${model}/${kind}/loss`;
}

export function parseSeriesKey(key: string): { sweepRun?: string; model: string; kind: CurveKind } | null {
  const m = /^(?:(.+)\/)?([^/]+)\/(train|val)\/loss$/.exec(key);
  if (!m) return null;
  return { ...(m[1] ? { sweepRun: m[1] } : {}), model: m[2]!, kind: m[3] as CurveKind };
}

/**
 * Adds what an event says about the curves; true when a series changed. A resume drops the points
 * after the resume point (the steps a closed tab lost are trained again).
 */
export function applyToSeries(series: Series, event: RunEvent, sweepRun?: string): boolean {
  if (event.type === 'train' || event.type === 'val') {
    if (event.loss === null || !Number.isFinite(event.loss)) return false;
    const key = seriesKey(event.model, event.type, sweepRun);
    const list = (series[key] ??= []);
    // Steps only move forward within a model's training: an older step is a replay, never appended.
    if (list.length && list.at(-1)![0] >= event.step) return false;
    list.push([event.step, event.loss]);
    return true;
  }
  if (event.type === 'resume') {
    let changed = false;
    for (const kind of ['train', 'val'] as const) {
      const key = seriesKey(event.model, kind, sweepRun);
      const list = series[key];
      if (!list) continue;
      const kept = list.filter(([step]) => step <= event.step);
      if (kept.length !== list.length) {
        series[key] = kept;
        changed = true;
      }
    }
    return changed;
  }
  return false;
}

/** The models that have curves (in first-seen order), for one sweep run or a single run. */
export function modelsInSeries(series: Series, sweepRun?: string): string[] {
  const out: string[] = [];
  for (const key of Object.keys(series)) {
    const k = parseSeriesKey(key);
    if (k && k.sweepRun === sweepRun && !out.includes(k.model)) out.push(k.model);
  }
  return out;
}

/** Sweep runs that have curves, in first-seen order. */
export function sweepRunsInSeries(series: Series): string[] {
  const out: string[] = [];
  for (const key of Object.keys(series)) {
    const run = parseSeriesKey(key)?.sweepRun;
    if (run && !out.includes(run)) out.push(run);
  }
  return out;
}

/** The curves results.json keeps (downsampled), as series: for runs recorded without live curves. */
export function seriesFromResults(results: { teacher: { curves: Curves }; stages: { id: string; curves: Curves }[] }, sweepRun?: string): Series {
  const out: Series = {};
  const put = (model: string, curves: Curves) => {
    out[seriesKey(model, 'train', sweepRun)] = curves.train.map((p) => [p.step, p.loss]);
    out[seriesKey(model, 'val', sweepRun)] = curves.val.map((p) => [p.step, p.loss]);
  };
  put('teacher', results.teacher.curves);
  for (const s of results.stages) put(s.id, s.curves);
  return out;
}

type Curves = { train: { step: number; loss: number }[]; val: { step: number; loss: number }[] };
