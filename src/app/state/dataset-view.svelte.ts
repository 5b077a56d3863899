// A stored dataset as the Data, Teacher and Review pages see it: its record, examples, every
// teacher's labels and the review decisions, loaded together and reloaded when they change.
import type { Dataset, Example, Review, TeacherLabel } from '../../data/schema.ts';
import type { LanternStore } from '../../data/store.ts';
import { inDatasetOrder } from '../../data/datasets.ts';
import { describeError } from '../lib/errors.ts';
import { labelsByExample, teachersOf } from '../lib/teachers.ts';
import { untrack } from 'svelte';
import type { Studio } from './studio.svelte.ts';

const READ_BATCH = 2000;

export class DatasetView {
  dataset = $state.raw<Dataset | null>(null);
  examples = $state.raw<Example[]>([]);
  labels = $state.raw<TeacherLabel[]>([]);
  reviews = $state.raw<Review[]>([]);
  loading = $state(false);
  /** Examples read so far / in all while a dataset loads. */
  read = $state(0);
  total = $state(0);
  /** The dataset is gone (deleted here or in another tab) or could not be read. */
  error = $state<string | null>(null);
  /** The teacher whose labels are shown (key from teacherKey); null = the one with most labels. */
  chosenTeacher = $state<string | null>(null);

  teachers = $derived(teachersOf(this.labels));
  teacherKey = $derived(this.chosenTeacher && this.teachers.some((t) => t.key === this.chosenTeacher) ? this.chosenTeacher : (this.teachers[0]?.key ?? null));
  labelMap = $derived(labelsByExample(this.labels, this.teacherKey));
  reviewMap = $derived(new Map(this.reviews.map((r) => [r.exampleId, r])));

  private loadedId: string | null = null;

  constructor(private readonly store: () => Promise<LanternStore>) {}

  /** Loads a dataset (everything when it is another one; only labels and reviews with `partial`). */
  async load(datasetId: string, opts: { partial?: boolean } = {}): Promise<void> {
    this.loading = true;
    try {
      const store = await this.store();
      const dataset = await store.getDataset(datasetId);
      if (!dataset) {
        this.clear();
        this.error = `There is no dataset "${datasetId}" in this browser (it was deleted, or the link comes from another browser). Pick one from the list, or load the demo.`;
        return;
      }
      const sameDataset = this.loadedId === datasetId && opts.partial;
      const examples = sameDataset ? this.examples : inDatasetOrder(dataset, await this.readExamples(store, datasetId));
      const [labels, reviews] = await Promise.all([store.getLabels(datasetId), store.getReviews(datasetId)]);
      this.dataset = dataset;
      this.examples = examples;
      this.labels = labels;
      this.reviews = reviews;
      this.loadedId = datasetId;
      this.error = null;
    } catch (e) {
      this.error = describeError(e);
    } finally {
      this.loading = false;
    }
  }

  /** Reads the examples in steps of READ_BATCH (a 100 MB dataset would otherwise block the page for seconds). */
  private async readExamples(store: LanternStore, datasetId: string): Promise<Example[]> {
    this.total = await store.countExamples(datasetId);
    const out: Example[] = [];
    this.read = 0;
    for (;;) {
      const batch = await store.getExamplesAfter(datasetId, out.at(-1)?.id ?? null, READ_BATCH);
      out.push(...batch);
      this.read = out.length;
      if (batch.length < READ_BATCH) return out;
    }
  }

  clear(): void {
    this.dataset = null;
    this.examples = [];
    this.labels = [];
    this.reviews = [];
    this.loadedId = null;
  }
}

/**
 * Keeps `view` on the dataset `datasetId()` names (call while a component initialises): loaded
 * when the id changes, reloaded when the store changes — only labels and reviews when that is
 * all that changed for this dataset (a labelling job's writes, review decisions in another tab).
 */
export function followDataset(view: DatasetView, datasetId: () => string | null, studio: Pick<Studio, 'revision' | 'lastChange'>): void {
  $effect(() => {
    const id = datasetId();
    const change = studio.lastChange;
    void studio.revision;
    untrack(() => {
      if (!id) return view.clear();
      void view.load(id, { partial: change?.datasetId === id && (change.what === 'labels' || change.what === 'reviews') });
    });
  });
}
