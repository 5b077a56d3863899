// The studio's IndexedDB store (via idb): datasets, examples, teacher labels, reviews, runs,
// checkpoints (metadata + chunked bytes) and sweeps. Works in the page and in workers (no DOM).
//
// Rules it keeps:
// - Every write is ONE short transaction that awaits nothing but its own requests; hashing,
//   validation and chunking happen before it opens. A failed write leaves nothing behind.
// - Before a large write, navigator.storage.estimate() must show room for it, else StorageQuotaError.
// - A QuotaExceededError from the browser becomes StorageQuotaError (the transaction is aborted).
// - Persistence (navigator.storage.persist()) is requested once, after the first save of user work.
// - Another tab upgrading the schema closes this connection (onVersionChange tells the user);
//   an upgrade blocked by another tab reports it (onBlocked) and finishes once that tab lets go.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { Dataset, Example, Review, TeacherLabel, TeacherRef } from './schema.ts';

export const DB_NAME = 'lantern-studio';

/**
 * Schema versions. Each step upgrades from the one before, so a database from any older version
 * reaches the latest with its data.
 *   1: datasets, examples, labels, reviews
 *   2: runs, sweeps, checkpoints + checkpointChunks; labels indexed by teacher
 */
export const DB_VERSION = 2;

/** Checkpoint bytes are stored in chunks of this size (IndexedDB handles 4–16 MB values well). */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface ExampleRecord extends Example {
  datasetId: string;
}
export interface LabelRecord extends TeacherLabel {
  datasetId: string;
  teacherKey: string;
}
export interface ReviewRecord extends Review {
  datasetId: string;
}

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'stopped';
export interface RunRecord {
  id: string;
  name?: string;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  /** The experiment config (src/experiment's schema) the run executes. */
  config: unknown;
  /** Metric series, e.g. { 'train/loss': [[step, value], …] }. */
  metrics: Record<string, [number, number][]>;
  datasetId?: string;
  sweepId?: string;
  error?: string;
  summary?: Record<string, number>;
  /** The adapter it ran on (the last one, when resumed elsewhere). */
  device?: string;
  /** Seconds spent running, over every start of the run. */
  runSeconds?: number;
  /**
   * A results file opened in the studio rather than run here (src/app/lib/results-import.ts): it
   * holds only results.json — no checkpoints, curves only as the file has them.
   */
  imported?: { file: string; at: string };
}

export interface CheckpointMeta {
  id: string;
  runId: string;
  step: number;
  createdAt: string;
  /** Free-form description of what the bytes hold (safetensors + config.json names, dtype, …). */
  format: string;
  config?: unknown;
}
export interface CheckpointRecord extends CheckpointMeta {
  byteLength: number;
  chunkBytes: number;
  chunkCount: number;
}
export interface ChunkRecord {
  checkpointId: string;
  index: number;
  data: ArrayBuffer;
}

export interface SweepRecord {
  id: string;
  name?: string;
  createdAt: string;
  config: unknown;
  runIds: string[];
}

interface LanternDB extends DBSchema {
  datasets: { key: string; value: Dataset };
  examples: { key: [string, string]; value: ExampleRecord; indexes: { byId: string } };
  labels: { key: [string, string, string]; value: LabelRecord; indexes: { byTeacher: [string, string] } };
  reviews: { key: [string, string]; value: ReviewRecord };
  runs: { key: string; value: RunRecord; indexes: { bySweep: string } };
  sweeps: { key: string; value: SweepRecord };
  checkpoints: { key: string; value: CheckpointRecord; indexes: { byRun: string } };
  checkpointChunks: { key: [string, number]; value: ChunkRecord };
}

type Db = IDBPDatabase<LanternDB>;
type UpgradeTx = IDBPTransaction<LanternDB, StoreNames<LanternDB>[], 'versionchange'>;

/** Schema steps; MIGRATIONS[v - 1] takes a database from version v − 1 to v. */
const MIGRATIONS: ((db: Db, tx: UpgradeTx) => void)[] = [
  (db) => {
    db.createObjectStore('datasets', { keyPath: 'id' });
    const examples = db.createObjectStore('examples', { keyPath: ['datasetId', 'id'] });
    examples.createIndex('byId', 'id');
    db.createObjectStore('labels', { keyPath: ['datasetId', 'exampleId', 'teacherKey'] });
    db.createObjectStore('reviews', { keyPath: ['datasetId', 'exampleId'] });
  },
  (db, tx) => {
    db.createObjectStore('runs', { keyPath: 'id' }).createIndex('bySweep', 'sweepId');
    db.createObjectStore('sweeps', { keyPath: 'id' });
    db.createObjectStore('checkpoints', { keyPath: 'id' }).createIndex('byRun', 'runId');
    db.createObjectStore('checkpointChunks', { keyPath: ['checkpointId', 'index'] });
    tx.objectStore('labels').createIndex('byTeacher', ['datasetId', 'teacherKey']);
  },
];

// --- errors --------------------------------------------------------------------------------------

/** Not enough browser storage for a write; nothing was written. */
export class StorageQuotaError extends Error {
  override name = 'StorageQuotaError';
  constructor(
    message: string,
    readonly neededBytes: number | null,
    readonly availableBytes: number | null,
  ) {
    super(message);
  }
}

/** The connection was closed (another tab upgraded the studio, or close() was called). */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  const inner = (e as { target?: { error?: { name?: string } } } | null)?.target?.error?.name;
  return name === 'QuotaExceededError' || inner === 'QuotaExceededError';
}

function quotaError(what: string, neededBytes: number | null): StorageQuotaError {
  return new StorageQuotaError(
    `The browser ran out of storage while saving ${what}; nothing was saved. Free space by deleting old runs, checkpoints or datasets (or clear other sites' data), then try again.`,
    neededBytes,
    null,
  );
}

// --- the store -----------------------------------------------------------------------------------

/** The part of navigator.storage the store uses (injectable for tests). */
export interface StorageManagerLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export interface OpenStoreOptions {
  name?: string;
  /** Defaults to DB_VERSION; lower values exist for upgrade tests. */
  version?: number;
  /** Defaults to navigator.storage when the environment has one. */
  storage?: StorageManagerLike | null;
  /** Another tab wants a newer schema: this connection has been closed; tell the user to reload. */
  onVersionChange?: (message: string) => void;
  /** This tab wants a newer schema but an older tab keeps the database open. */
  onBlocked?: (message: string) => void;
  /** The browser closed the database abnormally (storage cleared, disk error). */
  onTerminated?: (message: string) => void;
  /** Bytes per checkpoint chunk (4–16 MB in production; smaller in tests). */
  chunkBytes?: number;
}

function defaultStorage(): StorageManagerLike | null {
  const nav = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator;
  return nav?.storage && typeof nav.storage.estimate === 'function' ? nav.storage : null;
}

export function teacherKey(t: TeacherRef): string {
  return `${t.provider}/${t.model}@${t.templateVersion}`;
}

/** Keys [datasetId, …anything] for one dataset in a compound-keyed store. */
function datasetRange(datasetId: string): IDBKeyRange {
  return IDBKeyRange.bound([datasetId], [datasetId, []]);
}

export class LanternStore {
  private db: Db;
  private closedReason: string | null = null;
  private persistRequested = false;
  readonly storage: StorageManagerLike | null;
  readonly chunkBytes: number;
  /** Result of the persistence request: null until asked (or when the browser cannot say). */
  persisted: boolean | null = null;

  private constructor(db: Db, storage: StorageManagerLike | null, chunkBytes: number) {
    this.db = db;
    this.storage = storage;
    this.chunkBytes = chunkBytes;
  }

  static async open(opts: OpenStoreOptions = {}): Promise<LanternStore> {
    const version = opts.version ?? DB_VERSION;
    if (!Number.isInteger(version) || version < 1 || version > MIGRATIONS.length) throw new Error(`Store version must be 1..${MIGRATIONS.length}, got ${version}`);
    if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available here, so the studio cannot save datasets or runs (private windows of some browsers disable it).');
    const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new Error(`chunkBytes must be a positive integer, got ${chunkBytes}`);
    let store: LanternStore | null = null;
    const db = await openDB<LanternDB>(opts.name ?? DB_NAME, version, {
      upgrade(database, oldVersion, newVersion, tx) {
        for (let v = oldVersion + 1; v <= (newVersion ?? version); v++) MIGRATIONS[v - 1]!(database, tx);
      },
      blocked(currentVersion, blockedVersion) {
        const message = `Lantern Studio needs to update its saved data (version ${currentVersion} → ${blockedVersion}), but another Lantern Studio tab or worker is still using it. Close or reload the other tabs; this tab will continue by itself.`;
        (opts.onBlocked ?? console.warn)(message);
      },
      blocking(currentVersion, blockedVersion) {
        // Let the newer version proceed: finish our in-flight transactions and close.
        const message = `Lantern Studio was updated in another tab (saved-data version ${currentVersion} → ${blockedVersion ?? '?'}). This tab has stopped saving; reload it to continue. Nothing saved so far is lost.`;
        store?.markClosed(message);
        db.close();
        (opts.onVersionChange ?? console.warn)(message);
      },
      terminated() {
        const message = 'The browser closed the studio database unexpectedly (storage cleared or a disk error). Reload the page; work saved before this is kept unless the site data was cleared.';
        store?.markClosed(message);
        (opts.onTerminated ?? console.error)(message);
      },
    });
    store = new LanternStore(db, opts.storage === undefined ? defaultStorage() : opts.storage, chunkBytes);
    return store;
  }

  get version(): number {
    return this.db.version;
  }

  get objectStoreNames(): string[] {
    return Array.from(this.db.objectStoreNames);
  }

  close(): void {
    this.markClosed('The store was closed.');
    this.db.close();
  }

  private markClosed(reason: string): void {
    this.closedReason ??= reason;
  }

  private live(): Db {
    if (this.closedReason) throw new StoreClosedError(this.closedReason);
    return this.db;
  }

  // --- storage budget ----------------------------------------------------------------------------

  async estimate(): Promise<{ usage: number; quota: number } | null> {
    if (!this.storage) return null;
    try {
      const e = await this.storage.estimate();
      if (typeof e.quota !== 'number') return null;
      return { usage: e.usage ?? 0, quota: e.quota };
    } catch {
      return null;
    }
  }

  /**
   * Throws StorageQuotaError unless the browser reports room for `bytes` more (plus a 10% margin).
   * Where the browser cannot tell (no StorageManager), the write is attempted and a real quota
   * error is still caught.
   */
  async ensureSpace(bytes: number, what: string): Promise<void> {
    const e = await this.estimate();
    if (!e) return;
    const available = Math.max(0, e.quota - e.usage);
    const needed = Math.ceil(bytes * 1.1);
    if (needed > available) {
      throw new StorageQuotaError(
        `Not enough browser storage to save ${what}: it needs about ${mb(needed)}, and ${mb(available)} of ${mb(e.quota)} is free. Nothing was saved. Delete old runs, checkpoints or datasets and try again.`,
        needed,
        available,
      );
    }
  }

  /** Called after user work is saved: asks once per session to keep the studio's data from eviction. */
  private async requestPersistence(): Promise<void> {
    if (this.persistRequested || !this.storage?.persist) return;
    this.persistRequested = true;
    try {
      this.persisted = await this.storage.persist();
    } catch {
      this.persisted = null;
    }
  }

  /**
   * Runs `body` in one readwrite transaction and waits for it to commit. `body` must only issue
   * requests on `tx` (never await anything else). Quota errors, synchronous or at commit, abort
   * the transaction and come back as StorageQuotaError.
   */
  private async write<S extends StoreNames<LanternDB>>(
    stores: S[],
    what: string,
    neededBytes: number | null,
    body: (tx: IDBPTransaction<LanternDB, S[], 'readwrite'>) => (() => Promise<unknown>)[],
  ): Promise<void> {
    const tx = this.live().transaction(stores, 'readwrite');
    const requests: Promise<unknown>[] = [];
    // Request failures abort the transaction and tx.done carries the cause; the requests' own
    // rejections are observed here so none goes unhandled.
    const settled = () => Promise.allSettled(requests);
    try {
      for (const issue of body(tx)) requests.push(issue());
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted.
      }
      await Promise.all([tx.done.catch(() => undefined), settled()]);
      throw isQuotaError(e) ? quotaError(what, neededBytes) : e;
    }
    try {
      await tx.done;
    } catch (e) {
      await settled();
      if (isQuotaError(e) || tx.error?.name === 'QuotaExceededError') throw quotaError(what, neededBytes);
      throw e;
    }
    await settled();
  }

  // --- datasets and examples ---------------------------------------------------------------------

  /**
   * Writes a dataset record and examples in one transaction: all of it or nothing. Examples are
   * upserted, so adding examples (a synthetic split) is saveDataset(updated record, new examples).
   */
  async saveDataset(dataset: Dataset, examples: readonly Example[]): Promise<void> {
    const records: ExampleRecord[] = examples.map((e) => ({ ...e, datasetId: dataset.id }));
    const bytes = estimateJsonBytes(records) + estimateJsonBytes(dataset);
    await this.ensureSpace(bytes, `dataset "${dataset.name}"`);
    await this.write(['datasets', 'examples'], `dataset "${dataset.name}"`, bytes, (tx) => [
      () => tx.objectStore('datasets').put(dataset),
      ...records.map((r) => () => tx.objectStore('examples').put(r)),
    ]);
    await this.requestPersistence();
  }

  /** Updates a dataset's record (splits, vocabulary) without touching its examples. */
  async updateDataset(dataset: Dataset): Promise<void> {
    const existing = await this.live().get('datasets', dataset.id);
    if (!existing) throw new NotFoundError(`No dataset with id "${dataset.id}"`);
    await this.write(['datasets'], `dataset "${dataset.name}"`, null, (tx) => [() => tx.objectStore('datasets').put(dataset)]);
    await this.requestPersistence();
  }

  async getDataset(id: string): Promise<Dataset | undefined> {
    return this.live().get('datasets', id);
  }

  async listDatasets(): Promise<Dataset[]> {
    return this.live().getAll('datasets');
  }

  /** Deletes a dataset with its examples, labels and reviews, in one transaction. */
  async deleteDataset(id: string): Promise<void> {
    const range = datasetRange(id);
    await this.write(['datasets', 'examples', 'labels', 'reviews'], `the deletion of dataset ${id}`, null, (tx) => [
      () => tx.objectStore('datasets').delete(id),
      () => tx.objectStore('examples').delete(range),
      () => tx.objectStore('labels').delete(range),
      () => tx.objectStore('reviews').delete(range),
    ]);
  }

  async getExamples(datasetId: string): Promise<Example[]> {
    const records = await this.live().getAll('examples', datasetRange(datasetId));
    return records.map(stripDatasetId);
  }

  async getExample(datasetId: string, id: string): Promise<Example | undefined> {
    const r = await this.live().get('examples', [datasetId, id]);
    return r ? stripDatasetId(r) : undefined;
  }

  /**
   * Up to `limit` examples of a dataset whose ids come after `afterId` (id order; null = from the
   * start): a large dataset read in steps keeps the page responsive between them.
   */
  async getExamplesAfter(datasetId: string, afterId: string | null, limit: number): Promise<Example[]> {
    const range = afterId === null ? datasetRange(datasetId) : IDBKeyRange.bound([datasetId, afterId], [datasetId, []], true, false);
    const records = await this.live().getAll('examples', range, limit);
    return records.map(stripDatasetId);
  }

  async countExamples(datasetId: string): Promise<number> {
    return this.live().count('examples', datasetRange(datasetId));
  }

  // --- labels and reviews ------------------------------------------------------------------------

  /** Stores teacher labels (one per example and teacher; a newer label replaces an older one). */
  async putLabels(datasetId: string, labels: readonly TeacherLabel[]): Promise<void> {
    const records: LabelRecord[] = labels.map((l) => ({ ...l, datasetId, teacherKey: teacherKey(l.teacher) }));
    const bytes = estimateJsonBytes(records);
    await this.ensureSpace(bytes, `${labels.length} teacher labels`);
    await this.write(['labels'], `${labels.length} teacher labels`, bytes, (tx) => records.map((r) => () => tx.objectStore('labels').put(r)));
    await this.requestPersistence();
  }

  async getLabels(datasetId: string, exampleId?: string): Promise<TeacherLabel[]> {
    const range = exampleId === undefined ? datasetRange(datasetId) : IDBKeyRange.bound([datasetId, exampleId], [datasetId, exampleId, []]);
    const records = await this.live().getAll('labels', range);
    return records.map(stripLabelKeys);
  }

  async getLabelsByTeacher(datasetId: string, teacher: TeacherRef): Promise<TeacherLabel[]> {
    const records = await this.live().getAllFromIndex('labels', 'byTeacher', [datasetId, teacherKey(teacher)]);
    return records.map(stripLabelKeys);
  }

  async putReview(datasetId: string, review: Review): Promise<void> {
    await this.write(['reviews'], 'the review', null, (tx) => [() => tx.objectStore('reviews').put({ ...review, datasetId })]);
    await this.requestPersistence();
  }

  /** Stores many review decisions in one transaction (the Review page's bulk accept / reject). */
  async putReviews(datasetId: string, reviews: readonly Review[]): Promise<void> {
    await this.write(['reviews'], `${reviews.length} reviews`, null, (tx) => reviews.map((r) => () => tx.objectStore('reviews').put({ ...r, datasetId })));
    await this.requestPersistence();
  }

  /** Removes an example's review decision (undo back to "pending"). */
  async deleteReview(datasetId: string, exampleId: string): Promise<void> {
    await this.write(['reviews'], 'the removal of a review', null, (tx) => [() => tx.objectStore('reviews').delete([datasetId, exampleId])]);
  }

  async getReviews(datasetId: string): Promise<Review[]> {
    const records = await this.live().getAll('reviews', datasetRange(datasetId));
    return records.map(({ datasetId: _, ...r }) => r);
  }

  // --- runs and sweeps ---------------------------------------------------------------------------

  async putRun(run: RunRecord): Promise<void> {
    await this.write(['runs'], `run ${run.id}`, null, (tx) => [() => tx.objectStore('runs').put(run)]);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.live().get('runs', id);
  }

  async listRuns(sweepId?: string): Promise<RunRecord[]> {
    return sweepId === undefined ? this.live().getAll('runs') : this.live().getAllFromIndex('runs', 'bySweep', sweepId);
  }

  /** Deletes a run and its checkpoints. */
  async deleteRun(id: string): Promise<void> {
    const checkpoints = await this.live().getAllFromIndex('checkpoints', 'byRun', id);
    await this.write(['runs', 'checkpoints', 'checkpointChunks'], `the deletion of run ${id}`, null, (tx) => [
      () => tx.objectStore('runs').delete(id),
      ...checkpoints.flatMap((c) => [() => tx.objectStore('checkpoints').delete(c.id), () => tx.objectStore('checkpointChunks').delete(IDBKeyRange.bound([c.id], [c.id, []]))]),
    ]);
  }

  async putSweep(sweep: SweepRecord): Promise<void> {
    await this.write(['sweeps'], `sweep ${sweep.id}`, null, (tx) => [() => tx.objectStore('sweeps').put(sweep)]);
    await this.requestPersistence();
  }

  async getSweep(id: string): Promise<SweepRecord | undefined> {
    return this.live().get('sweeps', id);
  }

  async listSweeps(): Promise<SweepRecord[]> {
    return this.live().getAll('sweeps');
  }

  // --- checkpoints -------------------------------------------------------------------------------

  /**
   * Saves checkpoint bytes in chunks, with their metadata, in one transaction: a reader never sees
   * a checkpoint without all of its chunks. Replaces an earlier checkpoint with the same id.
   */
  async putCheckpoint(meta: CheckpointMeta, bytes: Uint8Array): Promise<CheckpointRecord> {
    await this.ensureSpace(bytes.byteLength, `checkpoint ${meta.id} (${mb(bytes.byteLength)})`);
    const chunkBytes = this.chunkBytes;
    const chunkCount = Math.ceil(bytes.byteLength / chunkBytes);
    // Copies made before the transaction opens: slicing is synchronous but not free.
    const chunks: ChunkRecord[] = [];
    for (let i = 0; i < chunkCount; i++) {
      const part = bytes.subarray(i * chunkBytes, Math.min(bytes.byteLength, (i + 1) * chunkBytes));
      chunks.push({ checkpointId: meta.id, index: i, data: part.slice().buffer });
    }
    const record: CheckpointRecord = { ...meta, byteLength: bytes.byteLength, chunkBytes, chunkCount };
    await this.write(['checkpoints', 'checkpointChunks'], `checkpoint ${meta.id}`, bytes.byteLength, (tx) => [
      () => tx.objectStore('checkpointChunks').delete(IDBKeyRange.bound([meta.id], [meta.id, []])),
      () => tx.objectStore('checkpoints').put(record),
      ...chunks.map((c) => () => tx.objectStore('checkpointChunks').put(c)),
    ]);
    await this.requestPersistence();
    return record;
  }

  async getCheckpointMeta(id: string): Promise<CheckpointRecord | undefined> {
    return this.live().get('checkpoints', id);
  }

  async listCheckpoints(runId?: string): Promise<CheckpointRecord[]> {
    return runId === undefined ? this.live().getAll('checkpoints') : this.live().getAllFromIndex('checkpoints', 'byRun', runId);
  }

  /** The checkpoint's bytes, checked against its metadata. */
  async getCheckpointBytes(id: string): Promise<Uint8Array> {
    const tx = this.live().transaction(['checkpoints', 'checkpointChunks'], 'readonly');
    const [meta, chunks] = await Promise.all([tx.objectStore('checkpoints').get(id), tx.objectStore('checkpointChunks').getAll(IDBKeyRange.bound([id], [id, []])), tx.done]);
    if (!meta) throw new NotFoundError(`No checkpoint with id "${id}"`);
    if (chunks.length !== meta.chunkCount) throw new Error(`Checkpoint ${id} is damaged: ${chunks.length} of ${meta.chunkCount} chunks present`);
    const out = new Uint8Array(meta.byteLength);
    let at = 0;
    for (const c of chunks) {
      out.set(new Uint8Array(c.data), at);
      at += c.data.byteLength;
    }
    if (at !== meta.byteLength) throw new Error(`Checkpoint ${id} is damaged: ${at} of ${meta.byteLength} bytes present`);
    return out;
  }

  async deleteCheckpoint(id: string): Promise<void> {
    await this.write(['checkpoints', 'checkpointChunks'], `the deletion of checkpoint ${id}`, null, (tx) => [
      () => tx.objectStore('checkpoints').delete(id),
      () => tx.objectStore('checkpointChunks').delete(IDBKeyRange.bound([id], [id, []])),
    ]);
  }
}

export function openStore(opts: OpenStoreOptions = {}): Promise<LanternStore> {
  return LanternStore.open(opts);
}

function stripDatasetId(r: ExampleRecord): Example {
  const { datasetId: _, ...example } = r;
  return example;
}

function stripLabelKeys(r: LabelRecord): TeacherLabel {
  const { datasetId: _d, teacherKey: _t, ...label } = r;
  return label;
}

/** Rough size of what a value takes on disk (UTF-16 JSON is an upper bound browsers stay under). */
function estimateJsonBytes(value: unknown): number {
  return JSON.stringify(value).length * 2;
}
