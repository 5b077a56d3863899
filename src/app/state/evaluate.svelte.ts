// The evaluate view's state: one run (or one run of a sweep), one model, its metrics from
// results.json and the details of every test answer results.json keeps (with their job and profile,
// read from the run's dataset: regenerated from the demo seed or read from the studio's store).
import type { Example } from '../../data/schema.ts';
import { loadExamples } from '../../experiment/run/data.ts';
import type { RunHost } from '../../experiment/run/host.ts';
import { getRun, loadResults, loadSweepRunResults, studioStore } from '../lib/studio-store.ts';
import { answerDetails, type AnswerDetail } from '../lib/evaluation.ts';
import { explainerMetrics, modelsOf, type ModelResult, type RunResults } from '../lib/results.ts';

export class EvaluateState {
  results = $state.raw<RunResults | null>(null);
  /** The sweep's run ids, when the run is a sweep (pick one to evaluate). */
  sweepRuns = $state.raw<string[]>([]);
  error = $state<string | null>(null);
  loading = $state(true);
  details = $state.raw<AnswerDetail[] | null>(null);
  detailsError = $state<string | null>(null);

  readonly models: ModelResult[] = $derived(this.results ? modelsOf(this.results) : []);

  constructor(
    readonly runId: string,
    readonly sweepRun: string | null,
  ) {}

  async load(): Promise<void> {
    try {
      const top = await loadResults(this.runId);
      if (!top) throw new Error('This run has no results yet: it has not finished.');
      if (top.kind === 'sweep') {
        this.sweepRuns = top.results.rows.filter((r) => r.status === 'done').map((r) => r.id);
        const pick = this.sweepRun ?? this.sweepRuns[0];
        this.results = pick ? await loadSweepRunResults(this.runId, pick) : null;
        if (!this.results && pick && (await getRun(this.runId))?.imported) {
          // An imported sweep file holds each run's metrics; its answers are in each run's own file.
          throw new Error(`This sweep was imported from a results file, which holds each run's metrics but not its answers. To evaluate run ${pick}, open its own results.json (runs/${pick}/results.json in the sweep's output folder) on the Compare page.`);
        }
        if (!this.results) throw new Error(pick ? `Sweep run ${pick} has no results.` : 'No run of this sweep finished.');
      } else this.results = top.results;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** Details of a model's test answers; needs the run's dataset for the job and profile texts. */
  async loadDetails(model: ModelResult): Promise<void> {
    this.details = null;
    this.detailsError = null;
    if (!this.results || model.task !== 'explain') return;
    const config = this.results.experiment;
    let examples = new Map<string, Example>();
    try {
      const store = await studioStore();
      const host = { loadDataset: async (ref: { id?: string }) => store.getExamples(ref.id ?? '') } as unknown as RunHost;
      examples = new Map((await loadExamples(host, config.dataset)).map((e) => [e.id, e]));
    } catch (e) {
      this.detailsError = `The run's dataset is not available here, so answers are shown without their job and profile: ${(e as Error).message}`;
    }
    this.details = answerDetails(explainerMetrics(model).answers, examples);
  }
}
