// The teacher's answer cache: SQLite on disk (better-sqlite3, WAL), one row per validated upstream
// answer, written the moment it arrives so a restart or a kill mid-batch loses nothing that was
// paid for. Concurrent requests for the same key share one computation (one upstream call).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, sha256HexSync } from '../../src/data/hash.ts';

export interface CacheKeyParts {
  provider: string;
  model: string;
  /** The step's template name and version, e.g. "rate@1". */
  template: string;
  params: unknown;
  input: unknown;
}

export function cacheKey(parts: CacheKeyParts): string {
  return sha256HexSync(canonicalJson([parts.provider, parts.model, parts.template, parts.params, parts.input]));
}

export interface CacheStats {
  entries: number;
  path: string;
}

export class AnswerCache {
  private readonly db: Database.Database;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly putStmt: Database.Statement<[string, string, string, string]>;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a killed process (only a power cut may lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS answers (
      key TEXT PRIMARY KEY,
      template TEXT NOT NULL,
      value TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) WITHOUT ROWID`);
    this.getStmt = this.db.prepare('SELECT value FROM answers WHERE key = ?');
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO answers (key, template, value, created_at) VALUES (?, ?, ?, ?)');
  }

  get<T>(key: string): T | undefined {
    const row = this.getStmt.get(key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  put(key: string, template: string, value: unknown): void {
    this.putStmt.run(key, template, JSON.stringify(value), new Date().toISOString());
  }

  /**
   * The cached value for `key`, or the result of `compute` (stored only when it succeeds). While a
   * computation for `key` is running, other callers wait for it instead of starting their own.
   */
  async getOrCompute<T>(key: string, template: string, compute: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
    const pending = this.inFlight.get(key);
    if (pending) {
      try {
        return { value: (await pending) as T, cached: true };
      } catch (e) {
        // The other caller's own trouble (its job was cancelled or ran out of budget) is not ours.
        if (!(e as { perCaller?: boolean }).perCaller) throw e;
        return this.getOrCompute(key, template, compute);
      }
    }
    const hit = this.get<T>(key);
    if (hit !== undefined) return { value: hit, cached: true };
    const promise = compute().then((value) => {
      this.put(key, template, value);
      return value;
    });
    this.inFlight.set(key, promise);
    try {
      return { value: await promise, cached: false };
    } finally {
      this.inFlight.delete(key);
    }
  }

  stats(): CacheStats {
    const { n } = this.db.prepare('SELECT count(*) AS n FROM answers').get() as { n: number };
    return { entries: n, path: this.path };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
