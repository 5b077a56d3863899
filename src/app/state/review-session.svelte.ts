// The Review page's session: a queue of teacher-labelled pairs in a fixed order (taken when the
// queue is built, so decisions do not reshuffle it), the reviewer's draft for the pair in view,
// decisions written to IndexedDB the moment they are made, an undo stack, bulk decisions and the
// seed set built from accepted + fixed pairs.
import type { Dataset, Example, FitLabel, Review, TeacherLabel } from '../../data/schema.ts';
import type { LanternStore } from '../../data/store.ts';
import { chooseSeedSet, labelCounts, reviewedAnswer, type SeedAnswer, type SeedSetOptions } from '../../data/seed-set.ts';
import { describeError } from '../lib/errors.ts';
import type { ReviewAction } from '../lib/review-keys.ts';
import { decide, draftFor, draftIsFix, sameDraft, reviewCounts, reviewItems, sortItems, stateOf, type Draft, type ReviewItem, type ReviewSort } from '../lib/review-queue.ts';
import type { StoreChange } from './studio.svelte.ts';

export type QueueScope = 'pending' | 'all';

export interface ReviewDeps {
  store: () => Promise<LanternStore>;
  changed: (c: StoreChange) => void;
  /** ISO timestamp for reviewedAt. */
  now: () => string;
}

interface UndoEntry {
  exampleId: string;
  /** The review before the decision (null = it was pending). */
  before: Review | null;
}

export class ReviewSession {
  dataset = $state.raw<Dataset | null>(null);
  examples = $state.raw<Map<string, Example>>(new Map());
  items = $state.raw<ReviewItem[]>([]);
  sort = $state<ReviewSort>('confidence');
  scope = $state<QueueScope>('pending');
  /** Example ids in review order, fixed when the queue is built. */
  queue = $state.raw<string[]>([]);
  cursor = $state(0);
  draft = $state<Draft | null>(null);
  /** The explanation field has the keyboard. */
  editing = $state(false);
  autoAdvance = $state(true);
  undoStack = $state.raw<UndoEntry[]>([]);
  /** A failed write or another problem, in words. */
  message = $state<string | null>(null);
  /** Bumped after every decision, so the page can flash what happened. */
  lastDecision = $state<{ exampleId: string; decision: Review['decision'] | 'undone' } | null>(null);
  saving = $state(false);
  seedOptions = $state<SeedSetOptions>({ maxSize: 0, balance: false });

  byId = $derived(new Map(this.items.map((i) => [i.exampleId, i])));
  counts = $derived(reviewCounts(this.items));
  current = $derived(this.byId.get(this.queue[this.cursor] ?? '') ?? null);
  /** Accepting now would record a fix (the label or the explanation was changed). */
  currentIsFix = $derived(this.current && this.draft ? draftIsFix(this.current, this.draft) : false);
  /** Accepted + fixed answers in the dataset's order. */
  answers = $derived(this.items.map((i) => reviewedAnswer(i.label, i.review ?? undefined)).filter((a): a is SeedAnswer => a !== null));
  seedPreview = $derived(chooseSeedSet(this.answers, this.seedOptions));
  /** The seed split stored with the dataset, with the labels its pairs have now. */
  storedSeed = $derived(this.storedSeedOf(this.dataset, this.answers));

  private actions: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ReviewDeps) {}

  /** Takes a dataset's examples, one teacher's labels and the reviews, and builds the queue. */
  load(dataset: Dataset, examples: readonly Example[], labels: ReadonlyMap<string, TeacherLabel>, reviews: ReadonlyMap<string, Review>): void {
    this.dataset = dataset;
    this.examples = new Map(examples.map((e) => [e.id, e]));
    this.items = reviewItems(examples, labels, reviews);
    this.undoStack = [];
    this.rebuildQueue();
  }

  /** Takes decisions made elsewhere (another tab, the bulk table) without reordering the queue. */
  refreshReviews(reviews: ReadonlyMap<string, Review>): void {
    const before = this.current;
    // A reload after this tab's own save arrives late: a label already picked for the pair in view
    // must survive it. The draft follows a new decision only if the reviewer has not touched it.
    const untouched = !!before && !!this.draft && sameDraft(this.draft, draftFor(before));
    this.items = this.items.map((i) => ({ ...i, review: reviews.get(i.exampleId) ?? null }));
    if (this.current && !this.editing && untouched) this.draft = draftFor(this.current);
  }

  setDataset(dataset: Dataset): void {
    this.dataset = dataset;
  }

  rebuildQueue(): void {
    const chosen = this.scope === 'pending' ? this.items.filter((i) => stateOf(i) === 'pending') : this.items;
    this.queue = sortItems(chosen, this.sort).map((i) => i.exampleId);
    this.cursor = 0;
    this.openCurrent();
  }

  goTo(exampleId: string): void {
    let at = this.queue.indexOf(exampleId);
    if (at < 0 && this.byId.has(exampleId)) {
      // A pair outside the queue (already reviewed, opened from the table): it joins the queue after the one in view.
      at = Math.min(this.cursor + 1, this.queue.length);
      this.queue = [...this.queue.slice(0, at), exampleId, ...this.queue.slice(at)];
    }
    if (at < 0) return;
    this.cursor = at;
    this.openCurrent();
  }

  next(): void {
    if (this.cursor < this.queue.length) this.cursor++;
    this.openCurrent();
  }

  back(): void {
    if (this.cursor > 0) this.cursor--;
    this.openCurrent();
  }

  setLabel(label: FitLabel): void {
    if (this.draft) this.draft.label = label;
  }

  startEdit(): void {
    if (this.draft) this.editing = true;
  }

  async accept(): Promise<void> {
    await this.decideCurrent('accept');
  }

  async reject(): Promise<void> {
    await this.decideCurrent('reject');
  }

  /** Takes back the last decision (the pair returns to what it was) and shows that pair. */
  async undo(): Promise<void> {
    const last = this.undoStack.at(-1);
    if (!last || !this.dataset) return;
    const ok = await this.write(async (store) => {
      if (last.before) await store.putReview(this.dataset!.id, last.before);
      else await store.deleteReview(this.dataset!.id, last.exampleId);
    });
    if (!ok) return;
    this.undoStack = this.undoStack.slice(0, -1);
    this.replaceReview(last.exampleId, last.before);
    this.lastDecision = { exampleId: last.exampleId, decision: 'undone' };
    this.goTo(last.exampleId);
  }

  /** Accepts or rejects many pairs at once (one transaction); each can be undone like a single one. */
  async bulk(ids: readonly string[], action: 'accept' | 'reject'): Promise<void> {
    if (!this.dataset || ids.length === 0) return;
    const at = this.deps.now();
    const targets = ids.map((id) => this.byId.get(id)).filter((i): i is ReviewItem => i !== undefined);
    // A bulk accept keeps an earlier fix rather than overwriting it with the teacher's answer.
    const reviews = targets.map((i) => (action === 'accept' && i.review?.decision === 'fixed' ? i.review : decide(i, draftFor(i), action, at)));
    const ok = await this.write((store) => store.putReviews(this.dataset!.id, reviews));
    if (!ok) return;
    this.undoStack = [...this.undoStack, ...targets.map((i) => ({ exampleId: i.exampleId, before: i.review }))];
    for (const r of reviews) this.replaceReview(r.exampleId, r);
    if (this.current && !this.editing) this.draft = draftFor(this.current);
  }

  /** Writes the seed split: the accepted + fixed pairs chosen by the seed options. */
  async buildSeedSet(): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) return;
    const ids = this.seedPreview.ids;
    if (ids.length === 0) return void (this.message = 'The seed set would be empty: accept or fix some pairs first (with "balance labels", every label needs at least one).');
    const updated: Dataset = { ...dataset, splits: { ...dataset.splits, seed: ids } };
    const ok = await this.write((store) => store.updateDataset(updated), 'dataset');
    if (ok) this.dataset = updated;
  }

  /**
   * Runs a key or button action after the ones before it have finished, so keys typed while a
   * decision is being saved apply to the pair that comes next, in order.
   */
  perform(action: ReviewAction): Promise<void> {
    const run = () => this.run(action);
    this.actions = this.actions.then(run, run);
    return this.actions;
  }

  private async run(action: ReviewAction): Promise<void> {
    switch (action.type) {
      case 'label':
        return this.setLabel(action.label);
      case 'accept':
        this.editing = false;
        return this.accept();
      case 'reject':
        return this.reject();
      case 'edit':
        return this.startEdit();
      case 'leave-field':
        this.editing = false;
        return;
      case 'undo':
        return this.undo();
      case 'next':
        return this.next();
      case 'back':
        return this.back();
    }
  }

  private async decideCurrent(action: 'accept' | 'reject'): Promise<void> {
    const item = this.current;
    const draft = this.draft;
    if (!item || !draft || !this.dataset || this.saving) return;
    const review = decide(item, draft, action, this.deps.now());
    const ok = await this.write((store) => store.putReview(this.dataset!.id, review));
    if (!ok) return;
    this.undoStack = [...this.undoStack, { exampleId: item.exampleId, before: item.review }];
    this.replaceReview(item.exampleId, review);
    this.lastDecision = { exampleId: item.exampleId, decision: review.decision };
    this.editing = false;
    if (this.autoAdvance) this.next();
    else this.openCurrent();
  }

  private async write(body: (store: LanternStore) => Promise<void>, what: StoreChange['what'] = 'reviews'): Promise<boolean> {
    if (!this.dataset) return false;
    this.saving = true;
    try {
      await body(await this.deps.store());
      this.message = null;
      this.deps.changed({ datasetId: this.dataset.id, what });
      return true;
    } catch (e) {
      this.message = `Not saved: ${describeError(e)}`;
      return false;
    } finally {
      this.saving = false;
    }
  }

  private replaceReview(exampleId: string, review: Review | null): void {
    this.items = this.items.map((i) => (i.exampleId === exampleId ? { ...i, review } : i));
  }

  private openCurrent(): void {
    this.editing = false;
    this.draft = this.current ? draftFor(this.current) : null;
  }

  private storedSeedOf(dataset: Dataset | null, answers: readonly SeedAnswer[]): { size: number; counts: ReturnType<typeof labelCounts>; stale: number } | null {
    if (!dataset || dataset.splits.seed.length === 0) return null;
    const byId = new Map(answers.map((a) => [a.exampleId, a]));
    const current = dataset.splits.seed.map((id) => byId.get(id)).filter((a): a is SeedAnswer => a !== undefined);
    // Pairs of the stored split that are no longer accepted or fixed (rejected or undone since).
    return { size: dataset.splits.seed.length, counts: labelCounts(current), stale: dataset.splits.seed.length - current.length };
  }
}
