// The Data page: the list of datasets, the dataset open in the browser (examples table with
// search / filter / sort, one pair in detail, charts), export and delete.
import type { Dataset } from '../../data/schema.ts';
import type { LanternStore } from '../../data/store.ts';
import { exportDatasetJsonl } from '../../data/export.ts';
import { describeError } from '../lib/errors.ts';
import { buildRows, filterRows, NO_FILTER, sortRows, type RowFilter, type RowSort } from '../lib/example-rows.ts';
import { labelBalance, lengthStats, reviewBalance } from '../lib/dataset-stats.ts';
import { DatasetView } from './dataset-view.svelte.ts';
import type { StoreChange } from './studio.svelte.ts';

export interface DatasetSummary {
  dataset: Dataset;
  examples: number;
}

/** Typing pause after which the search box filters the table (filtering 100k rows per key would lag). */
export const SEARCH_PAUSE_MS = 200;

export class DataPageState {
  datasets = $state.raw<DatasetSummary[]>([]);
  listLoaded = $state(false);
  listError = $state<string | null>(null);
  readonly view = new DatasetView(() => this.store());
  filter = $state<RowFilter>({ ...NO_FILTER });
  /** What the search box holds; it becomes `filter.text` after a pause in typing. */
  searchText = $state('');
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  sort = $state<RowSort>('dataset');
  descending = $state(false);
  selectedId = $state<string | null>(null);
  /** A finished export or delete, or why it failed. */
  notice = $state<string | null>(null);
  error = $state<string | null>(null);

  rows = $derived(buildRows(this.view.examples, this.view.labelMap, this.view.reviewMap));
  shown = $derived(sortRows(filterRows(this.rows, this.filter), this.sort, this.descending));
  balance = $derived(labelBalance(this.rows));
  reviewStates = $derived(reviewBalance(this.rows));
  jobLengths = $derived(lengthStats(this.view.examples.map((e) => e.job.description.length)));
  occupations = $derived([...new Set(this.rows.map((r) => r.occupation ?? 'unknown'))].sort());
  selected = $derived(this.view.examples.find((e) => e.id === this.selectedId) ?? null);

  constructor(
    private readonly store: () => Promise<LanternStore>,
    private readonly changed: (c: StoreChange) => void,
  ) {}

  /** The user typed in the search box: filter once they pause, then `applied` (e.g. to put it in the URL). */
  typeSearch(text: string, applied: () => void): void {
    this.searchText = text;
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => {
      this.#searchTimer = undefined;
      this.filter.text = text;
      applied();
    }, SEARCH_PAUSE_MS);
  }

  /** A filter from outside (the URL): the search box follows unless the user is typing. */
  setFilter(filter: RowFilter): void {
    this.filter = filter;
    if (this.#searchTimer === undefined) this.searchText = filter.text;
  }

  async loadList(): Promise<void> {
    try {
      const store = await this.store();
      const datasets = await store.listDatasets();
      const counts = await Promise.all(datasets.map((d) => store.countExamples(d.id)));
      this.datasets = datasets.map((dataset, i) => ({ dataset, examples: counts[i]! })).sort((a, b) => (a.dataset.createdAt < b.dataset.createdAt ? 1 : -1));
      this.listError = null;
    } catch (e) {
      this.listError = describeError(e);
    } finally {
      this.listLoaded = true;
    }
  }

  /** The dataset's examples with labels and reviews as JSON Lines (the importer reads it back). */
  async exportJsonl(): Promise<{ fileName: string; text: string } | null> {
    const dataset = this.view.dataset;
    if (!dataset) return null;
    try {
      const text = await exportDatasetJsonl(await this.store(), dataset.id);
      this.error = null;
      return { fileName: `${dataset.name.replace(/[^\w.-]+/g, '_')}.jsonl`, text };
    } catch (e) {
      this.error = `Export failed: ${describeError(e)}`;
      return null;
    }
  }

  /** Deletes the open dataset with its examples, labels and reviews (one transaction). */
  async deleteOpen(): Promise<boolean> {
    const dataset = this.view.dataset;
    if (!dataset) return false;
    try {
      await (await this.store()).deleteDataset(dataset.id);
      this.view.clear();
      this.changed({ datasetId: dataset.id, what: 'deleted' });
      this.notice = `Deleted "${dataset.name}".`;
      return true;
    } catch (e) {
      this.error = `Not deleted: ${describeError(e)}`;
      return false;
    }
  }
}
