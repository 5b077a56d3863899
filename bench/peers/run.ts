// The peer race: every workload prepared in every contender (warm-up and answer), answers checked
// against ours, then rounds in which the contenders take turns (the order rotates each round);
// a contender's figure is its best round. Runs wherever the contenders can get a GPU (Node, a
// browser page); it takes them ready-made so that setting up each environment stays outside.
import type { Contender, Prepared, Weights } from './contender.ts';
import { tinyChainAnswer } from './contender.ts';
import { matmulFlops, matmulName, seededUniform, type Workloads } from './workloads.ts';

export type RowKind = 'matmul' | 'training' | 'dispatch';

export interface PeerCell {
  /** The figure in the row's unit (best round), null when the contender failed or disagreed. */
  value: number | null;
  /** Seconds per call of the best round. */
  seconds: number | null;
  /** How far its answer is from ours (max |Δ| / max |ours|); 0 for ours. */
  difference: number | null;
  error?: string;
}

export interface PeerRow {
  kind: RowKind;
  /** The shape or model, e.g. "512×128·128×768" or "encoder small, 8 × 64 tokens". */
  name: string;
  /** What in a training step has this shape. */
  label: string;
  unit: 'GFLOP/s' | 'tokens/s' | 'µs';
  higherIsBetter: boolean;
  cells: Record<string, PeerCell>;
}

export interface PeerReport {
  environment: string;
  adapter: string;
  features: string[];
  contenders: { name: string; detail: string }[];
  rows: PeerRow[];
}

/** Largest relative difference of two answers, measured against the reference's largest value. */
export function answerDifference(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/**
 * How far answers may differ: f32 products summed in another order (matmul, tiny ops), and the
 * loss of two training steps through different kernels (reductions, exp/tanh approximations).
 */
export const AGREEMENT = { matmul: 1e-4, dispatch: 0, training: 2e-3 } as const;

export interface RaceOptions {
  workloads: Workloads;
  /** Which rows to run (default all). */
  kinds?: RowKind[];
  log?: (line: string) => void;
  /** The initial weights of a training row (ours provides them). */
  weightsFor: (c: Workloads['training'][number]) => Promise<Weights>;
}

interface Entry<A> {
  contender: Contender;
  prepared?: Prepared<A>;
  best: number;
  reps: number;
  cell: PeerCell;
}

/**
 * Prepares a workload in every contender, checks each answer against `exact` or else the first
 * contender's (ours), then races those that agree.
 */
async function race<A extends ArrayLike<number>>(
  contenders: Contender[],
  prepare: (c: Contender) => Promise<Prepared<A>>,
  tolerance: number,
  w: Workloads,
  log: (line: string) => void,
  exact?: ArrayLike<number>,
): Promise<Record<string, PeerCell>> {
  const entries: Entry<A>[] = contenders.map((contender) => ({ contender, best: Infinity, reps: 1, cell: { value: null, seconds: null, difference: null } }));
  try {
    for (const e of entries) {
      try {
        e.prepared = await prepare(e.contender);
      } catch (err) {
        e.cell.error = `failed: ${(err as Error).message.split('\n')[0]}`;
      }
    }
    // The exact answer where one is known (then ours is held to it too), else ours.
    const reference = exact ?? entries[0]!.prepared?.answer;
    for (const e of entries) {
      if (!e.prepared || !reference) continue;
      const d = answerDifference(e.prepared.answer, reference);
      e.cell.difference = d;
      if (!(d <= tolerance)) {
        e.cell.error = `answer differs from ours by ${d.toExponential(2)} (allowed ${tolerance})`;
        e.prepared.dispose();
        e.prepared = undefined;
      }
    }
    const live = entries.filter((e) => e.prepared);
    // One timed call sizes each contender's rounds to about w.targetSeconds.
    for (const e of live) {
      const start = performance.now();
      await e.prepared!.run(1);
      const estimate = (performance.now() - start) / 1000;
      e.best = estimate;
      e.reps = Math.max(1, Math.min(50, Math.floor(w.targetSeconds / Math.max(estimate, 1e-6))));
    }
    for (let r = 0; r < w.rounds; r++) {
      const times: string[] = [];
      for (let i = 0; i < live.length; i++) {
        const e = live[(i + r) % live.length]!;
        const start = performance.now();
        await e.prepared!.run(e.reps);
        const perCall = (performance.now() - start) / 1000 / e.reps;
        e.best = Math.min(e.best, perCall);
        times.push(`${e.contender.name} ${(perCall * 1000).toFixed(2)} ms × ${e.reps}`);
      }
      log(`  round ${r + 1}/${w.rounds}: ${times.join(', ')}`);
    }
    for (const e of live) e.cell.seconds = e.best;
  } finally {
    for (const e of entries) e.prepared?.dispose();
  }
  return Object.fromEntries(entries.map((e) => [e.contender.name, e.cell]));
}

function withValues(cells: Record<string, PeerCell>, value: (seconds: number) => number): Record<string, PeerCell> {
  for (const cell of Object.values(cells)) if (cell.seconds != null) cell.value = value(cell.seconds);
  return cells;
}

/** Runs every workload in every contender; contenders[0] must be ours (the reference answer). */
export async function runRace(contenders: Contender[], opts: RaceOptions): Promise<PeerRow[]> {
  const w = opts.workloads;
  const kinds = opts.kinds ?? ['matmul', 'training', 'dispatch'];
  const log = opts.log ?? (() => {});
  const rows: PeerRow[] = [];
  if (kinds.includes('matmul')) {
    for (const c of w.matmul) {
      const name = matmulName(c);
      log(`matmul ${name} (${c.label})…`);
      const a = seededUniform(c.batch * c.m * c.k, 1);
      const b = seededUniform(c.batch * c.k * c.n, 2);
      const cells = await race(contenders, (x) => x.matmul(c, a, b), AGREEMENT.matmul, w, log);
      rows.push({ kind: 'matmul', name, label: c.label, unit: 'GFLOP/s', higherIsBetter: true, cells: withValues(cells, (s) => matmulFlops(c) / s / 1e9) });
    }
  }
  if (kinds.includes('training')) {
    for (const c of w.training) {
      const name = `${c.model} ${c.preset}, ${c.batch} × ${c.seqLen} tokens`;
      log(`training step ${name}…`);
      const weights = await opts.weightsFor(c);
      const cells = await race(contenders, (x) => x.training(c, weights), AGREEMENT.training, w, log);
      rows.push({ kind: 'training', name, label: 'forward + backward + AdamW', unit: 'tokens/s', higherIsBetter: true, cells: withValues(cells, (s) => (c.batch * c.seqLen) / s) });
    }
  }
  if (kinds.includes('dispatch')) {
    log('tiny op with readback…');
    const tiny = await race(contenders, (x) => x.tinyOp(), AGREEMENT.dispatch, w, log, tinyChainAnswer(1));
    rows.push({ kind: 'dispatch', name: 'add 4 floats + readback', label: 'one op round trip', unit: 'µs', higherIsBetter: false, cells: withValues(tiny, (s) => s * 1e6) });
    log(`chain of ${w.chain} tiny adds…`);
    const chain = await race(contenders, (x) => x.tinyChain(w.chain), AGREEMENT.dispatch, w, log, tinyChainAnswer(w.chain));
    rows.push({ kind: 'dispatch', name: `chain of ${w.chain} adds, per op`, label: 'per-op cost in a chain', unit: 'µs', higherIsBetter: false, cells: withValues(chain, (s) => (s * 1e6) / w.chain) });
  }
  return rows;
}

/** ours ÷ peer as a speed ratio (> 1: ours is faster), whatever the unit. */
export function speedRatio(row: PeerRow, ours: string, peer: string): number | null {
  const a = row.cells[ours]?.value;
  const b = row.cells[peer]?.value;
  if (a == null || b == null || a === 0 || b === 0) return null;
  return row.higherIsBetter ? a / b : b / a;
}

/** The table `lantern bench --peers` prints. */
export function formatPeerTable(report: PeerReport): string {
  const [ours, ...peers] = report.contenders.map((c) => c.name);
  const fmt = (v: number | null | undefined) => (v == null ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3));
  const head = ['workload', 'unit', ...report.contenders.map((c) => c.name), ...peers.map((p) => `${ours}/${p}`)];
  const body: string[][] = [];
  for (const row of report.rows) {
    const line = [`${row.name}${row.label && row.kind === 'matmul' ? `  ${row.label}` : ''}`, row.unit + (row.higherIsBetter ? '' : ' (less is better)')];
    for (const c of report.contenders) line.push(fmt(row.cells[c.name]?.value));
    for (const p of peers) {
      const r = speedRatio(row, ours!, p);
      line.push(r == null ? '—' : `${r.toFixed(2)}×`);
    }
    body.push(line);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((l) => l[i]!.length)));
  const render = (l: string[]) => l.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  const notes = report.rows.flatMap((row) =>
    Object.entries(row.cells)
      .filter(([, c]) => c.error)
      .map(([name, c]) => `  ${row.name}: ${name} ${c.error}`),
  );
  return [
    `environment: ${report.environment}`,
    `adapter: ${report.adapter}`,
    `features: ${report.features.join(' ') || '(none)'}`,
    ...report.contenders.map((c) => `  ${c.name}: ${c.detail}`),
    '',
    render(head),
    ...body.map(render),
    ...(notes.length ? ['', 'not counted:', ...notes] : []),
    '',
    `ratios are speed ratios (> 1: ours is faster); each figure is the best of its rounds, peers interleaved, answers checked against ours.`,
  ].join('\n');
}
