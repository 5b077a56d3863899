// The Teacher page: which teacher the server uses, labelling a dataset (or a filtered subset) with
// progress and cancel, and one pair's decomposed chain step by step.
import type { Dataset, TeacherRef } from '../../data/schema.ts';
import type { LanternStore } from '../../data/store.ts';
import { describeError } from '../lib/errors.ts';
import { buildRows, filterRows, NO_FILTER, type RowFilter } from '../lib/example-rows.ts';
import { fetchTeacherInfo, type Provider, type TeacherInfo } from '../lib/teacher-api.ts';
import { teacherKey } from '../lib/teachers.ts';
import { DatasetView } from './dataset-view.svelte.ts';
import { LabellingJob, type LabellingDeps } from './labelling-job.svelte.ts';

export const CHAIN_STEPS = ['Requirements', 'Qualifications', 'Evaluation', 'Rating', 'Explanation'] as const;

export class TeacherPageState {
  info = $state.raw<TeacherInfo | null>(null);
  infoError = $state<string | null>(null);
  chosenProvider = $state<Provider | null>(null);
  datasets = $state.raw<Dataset[]>([]);
  readonly view = new DatasetView(() => this.store());
  filter = $state<RowFilter>({ ...NO_FILTER });
  relabel = $state(false);
  chunkSize = $state(100);
  readonly job: LabellingJob;
  chainStep = $state(0);

  provider = $derived<Provider>(this.chosenProvider ?? this.info?.defaultProvider ?? 'offline');
  teacher = $derived<TeacherRef | null>(this.teacherOf(this.info, this.provider));
  /** Labels of the chosen teacher (the one the job uses), by example. */
  ownLabels = $derived(new Map(this.view.labels.filter((l) => this.teacher && teacherKey(l.teacher) === teacherKey(this.teacher)).map((l) => [l.exampleId, l])));
  rows = $derived(buildRows(this.view.examples, this.view.labelMap, this.view.reviewMap));
  occupations = $derived([...new Set(this.rows.map((r) => r.occupation ?? 'unknown'))].sort());
  subset = $derived(this.subsetOf());
  /** Pairs of the subset this teacher has labelled already (kept and skipped unless relabelling). */
  alreadyLabelled = $derived(this.subset.filter((e) => this.ownLabels.has(e.id)).length);
  /** Pairs a job started now would send. */
  toSend = $derived(this.relabel ? this.subset.length : this.subset.length - this.alreadyLabelled);

  constructor(
    private readonly store: () => Promise<LanternStore>,
    deps: Omit<LabellingDeps, 'store'>,
    private readonly fetchInfo: () => Promise<TeacherInfo> = () => fetchTeacherInfo(),
  ) {
    this.job = new LabellingJob({ ...deps, store });
  }

  async loadInfo(): Promise<void> {
    try {
      this.info = await this.fetchInfo();
      this.infoError = null;
    } catch (e) {
      this.infoError = describeError(e);
    }
  }

  async loadDatasets(): Promise<void> {
    try {
      this.datasets = (await (await this.store()).listDatasets()).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    } catch (e) {
      this.infoError = describeError(e);
    }
  }

  async labelSubset(): Promise<void> {
    const dataset = this.view.dataset;
    if (!dataset || !this.teacher) return;
    await this.job.start(dataset.id, this.subset, { provider: this.provider, teacher: this.teacher, relabel: this.relabel, chunkSize: this.chunkSize });
  }

  /** Labels one pair (the chain view's "label this pair"). */
  async labelOne(exampleId: string): Promise<void> {
    const dataset = this.view.dataset;
    const example = this.view.examples.find((e) => e.id === exampleId);
    if (!dataset || !example || !this.teacher) return;
    await this.job.start(dataset.id, [example], { provider: this.provider, teacher: this.teacher, relabel: true, chunkSize: 1 });
  }

  private subsetOf() {
    const ids = new Set(filterRows(this.rows, this.filter).map((r) => r.id));
    return this.view.examples.filter((e) => ids.has(e.id));
  }

  private teacherOf(info: TeacherInfo | null, provider: Provider): TeacherRef | null {
    const d = info?.providers[provider];
    return d ? { provider: d.provider, model: d.model, templateVersion: d.templateVersion } : null;
  }
}
