// What the orchestrator needs from where it runs. The same pipeline runs in Node (`lantern run`,
// node-host.ts: files under --out, an in-process or remote teacher server) and in the studio's
// trainer worker (IndexedDB, the page's own origin); only these pieces differ.
import type { Engine } from '../../engine/runtime.ts';
import type { AdapterReport } from '../../engine/gpu.ts';
import type { BackendReport } from '../../engine/backend.ts';
import type { Example, Review, TeacherLabel } from '../../data/schema.ts';
import type { QwenTokenizer } from '../../data/tokenizer.ts';
import type { ExperimentConfig } from '../schema.ts';
import type { ModelFolder } from '../../engine/pretrained.ts';
import { Stopped } from './stopped.ts';

/** Named blobs (checkpoints, labels, state). Keys are "/"-separated paths; writes are atomic. */
export interface ArtifactStore {
  read(key: string): Promise<Uint8Array | null>;
  write(key: string, data: Uint8Array | string): Promise<void>;
  /** Removes a key and everything under it (no error when absent). */
  remove(key: string): Promise<void>;
  /** The same store with every key under `prefix/`. */
  scoped(prefix: string): ArtifactStore;
}

/** The black-box teacher behind the proxy API (POST /api/teacher/label). */
export interface TeacherClient {
  /** Labels in the order of `pairs`; a pair the teacher could not label is an error naming it. */
  label(pairs: readonly Example[], opts: { provider: ExperimentConfig['teacher']['provider']; onProgress?: (done: number, total: number) => void }): Promise<TeacherLabel[]>;
}

export type RunEvent =
  | { type: 'phase'; phase: string; status: 'start' | 'skip' | 'done'; seconds?: number; detail?: string }
  | { type: 'train'; model: string; step: number; steps: number; loss: number | null; lr: number; etaSeconds: number | null; /** Tokens the step's batch read (padding excluded). */ tokens: number }
  | { type: 'val'; model: string; step: number; loss: number }
  | { type: 'resume'; model: string; step: number }
  | { type: 'progress'; phase: string; done: number; total: number }
  | { type: 'warning'; message: string }
  /** What a phase is doing, for people (a pretrained student loaded: from where, in how long, what trains). */
  | { type: 'note'; phase: string; message: string };

export interface RunHost {
  engine: Engine;
  /** The adapter the engine runs on (results.json reports it). */
  device: AdapterReport | null;
  /** The backend the engine runs on and why (results.json reports it). */
  backend: BackendReport | null;
  teacher: TeacherClient;
  /** The Qwen tokenizer the student vocabulary is pruned from. */
  qwenTokenizer(): Promise<QwenTokenizer>;
  /** Examples of a dataset referenced by id (the studio's store) or path (a file, headless). */
  loadDataset(ref: { id?: string; path?: string }): Promise<Example[]>;
  /** Review decisions: those stored in the studio ('reviewed') or a decisions file ('review-file'). */
  loadReviews(policy: Exclude<ExperimentConfig['seedSet'], { policy: 'auto-accept' }>): Promise<Review[]>;
  /** Ids of the dataset's seed split, built on the Review page (seedSet.policy 'reviewed'). */
  loadSeedSplit(): Promise<string[]>;
  /**
   * The Hugging Face model folder a pretrained student or teacher names (pretrained.source):
   * headless, a folder path (relative to the experiment file); in the studio, a model stored in
   * the browser (src/data/model-store.ts). Only listed here: files are read when asked for, so
   * config.json can be checked before any weights are read.
   */
  modelFolder(source: string): Promise<ModelFolder>;
  /** Milliseconds from a monotonic clock (latency, timings). */
  now(): number;
  emit(event: RunEvent): void;
}

export class RunError extends Error {
  override name = 'RunError';
}

/** The user stopped the run `where` (a Stopped: status 'stopped'); it resumes from there when started again. */
export function runStopped(where: string): Stopped {
  return new Stopped(`stopped by the user ${where}; start the same run again to resume from there`);
}
