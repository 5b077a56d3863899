// The compare view's state: the runs being compared (one sweep, or several runs), the table's
// sort, filters, grouping and the parallel-coordinates brushes, and per-run curves for the
// grouped-curves chart (read from each run's results.json when asked for).
import { parseExperiment } from '../../experiment/schema.ts';
import { getRun, listRuns, loadResults, loadSweepRunResults } from '../lib/studio-store.ts';
import { loadPublished, PUBLISHED_RESULTS, type PublishedResult } from '../lib/published-results.ts';
import { runTables, sweepTables, type MetricTable } from '../../experiment/run/report.ts';
import { columnsOf, filterRows, groupRows, sortRows, tableOfRuns, tableOfSweep, type Column, type ColumnFilter, type Table } from '../lib/runs-table.ts';
import { asSweep } from '../lib/paper-views.ts';
import { BASELINE_PREFIX, modelsOf, splitMetricKey, type AnyResults, type RunResults, type SweepResults } from '../lib/results.ts';
import type { RunRecord } from '../../data/store.ts';

export class CompareState {
  error = $state<string | null>(null);
  loading = $state(true);
  /** A sweep's results (or the runs compared, as one pseudo-sweep for the paper views). */
  sweep = $state.raw<SweepResults | null>(null);
  table = $state.raw<Table | null>(null);
  /** The results of the one run or sweep compared (#/compare/<run>, a published file): their metric tables. */
  results = $state.raw<AnyResults | null>(null);
  /** The run compared, when it was imported from a results file rather than run here. */
  imported = $state.raw<RunRecord['imported'] | null>(null);
  /** Runs that can be picked for comparison (finished single runs). */
  choices = $state.raw<RunRecord[]>([]);

  sortBy = $state<string | null>(null);
  direction = $state<'asc' | 'desc'>('desc');
  filters = $state.raw<Record<string, ColumnFilter>>({});
  groupBy = $state<string[]>([]);
  /** Only the metrics of this model ('' = every model). */
  model = $state('');

  /** Per run id: its results (for curves). */
  #runResults = new Map<string, RunResults>();
  curvesVersion = $state(0);

  readonly columns: Column[] = $derived(this.table ? columnsOf(this.table).filter((c) => c.kind !== 'metric' || !this.model || splitMetricKey(c.key).model === this.model) : []);
  /** Every model with metrics: the in-house teacher, the stages and the baselines ("baseline.<name>"). */
  readonly models = $derived(this.table ? [...new Set(this.table.metricKeys.map((k) => splitMetricKey(k).model))] : []);
  /** The models that train (and so have curves): everything but the baselines. */
  readonly trainedModels = $derived(this.models.filter((m) => !m.startsWith(BASELINE_PREFIX)));
  readonly rows = $derived.by(() => {
    if (!this.table) return [];
    const filtered = filterRows(this.table.rows, this.columns, this.filters);
    const column = this.columns.find((c) => c.key === this.sortBy);
    return column ? sortRows(filtered, column, this.direction) : filtered;
  });
  readonly groups = $derived(this.table && this.groupBy.length ? groupRows(this.rows, this.groupBy, this.table.metricKeys) : null);

  /** Every model beside the baselines and the in-house teacher, as `lantern run` prints it and docs/results.md shows it. */
  readonly metricTables: MetricTable[] = $derived(!this.results ? [] : this.results.kind === 'run' ? runTables(this.results.results) : sweepTables(this.results.results));

  constructor(
    readonly runId: string | null,
    readonly runIds: string[],
    /** A published results file's id (#/compare?published=<id>). */
    readonly publishedId: string | null = null,
  ) {}

  /** The published file compared, if one is. */
  get published(): PublishedResult | null {
    return PUBLISHED_RESULTS.find((p) => p.id === this.publishedId) ?? null;
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      if (this.publishedId) {
        this.#use(await loadPublished(this.publishedId), null);
      } else if (this.runId) {
        const [results, record] = await Promise.all([loadResults(this.runId), getRun(this.runId)]);
        if (!results) throw new Error('This run has no results yet: it has not finished.');
        this.imported = record?.imported ?? null;
        this.#use(results, this.runId);
      } else if (this.runIds.length) {
        const loaded = await Promise.all(this.runIds.map(async (id) => ({ id, results: await loadResults(id) })));
        const runs: { id: string; name: string; results: RunResults }[] = [];
        for (const { id, results } of loaded) {
          if (results?.kind !== 'run') throw new Error(`Run ${id} has no results of a single experiment (a sweep is compared on its own).`);
          runs.push({ id, name: results.results.experiment.name, results: results.results });
          this.#runResults.set(id, results.results);
        }
        this.table = tableOfRuns(runs);
        this.sweep = null;
      }
      this.choices = (await listRuns()).filter((r) => r.status === 'done' && !parseExperimentSafe(r.config)?.sweep);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** `runId`: the stored run whose artifacts hold a sweep's per-run results (none for a published file). */
  #use(results: AnyResults, runId: string | null) {
    this.results = results;
    this.sweep = asSweep(results);
    this.table = tableOfSweep(this.sweep);
    if (results.kind === 'run') this.#runResults.set(this.sweep.rows[0]!.id, results.results);
    else this.#sweepRunOf = runId;
  }
  #sweepRunOf: string | null = null;

  sort(key: string) {
    if (this.sortBy === key) this.direction = this.direction === 'asc' ? 'desc' : 'asc';
    else {
      this.sortBy = key;
      this.direction = 'desc';
    }
  }

  setFilter(key: string, filter: ColumnFilter | null) {
    const next = { ...this.filters };
    if (filter) next[key] = filter;
    else delete next[key];
    this.filters = next;
  }

  /** Curves of every row's run (read once), for the grouped-curves chart. */
  async loadCurves(): Promise<void> {
    if (!this.table) return;
    const missing = this.table.rows.filter((r) => !this.#runResults.has(r.id) && r.status === 'done');
    for (const r of missing) {
      const results = this.#sweepRunOf ? await loadSweepRunResults(this.#sweepRunOf, r.id) : null;
      if (results) this.#runResults.set(r.id, results);
    }
    this.curvesVersion++;
  }

  curve(rowId: string, model: string): { step: number; loss: number }[] | null {
    void this.curvesVersion;
    const results = this.#runResults.get(rowId);
    return results ? (modelsOf(results).find((m) => m.id === model)?.curves.train ?? null) : null;
  }
}

function parseExperimentSafe(config: unknown) {
  try {
    return parseExperiment(config).config;
  } catch {
    return null;
  }
}
