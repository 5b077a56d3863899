// The System page's "Make available offline": the build files too large to precache (the list the
// build writes, src/app/lib/offline-assets.ts) downloaded into the Cache Storage cache the service
// worker serves them from, with progress, and the space the studio uses in this browser.
import { describeError } from '../lib/errors.ts';
import { fractionDone } from '../lib/job-progress.ts';
import { LARGE_ASSET_LIST, type LargeAsset, type LargeAssetList } from '../lib/offline-assets.ts';

export type CopyStatus = 'unknown' | 'unavailable' | 'partial' | 'downloading' | 'complete' | 'failed';

export interface OfflineDeps {
  fetch: typeof fetch;
  caches: CacheStorage | undefined;
  storage: StorageManager | undefined;
  /** The app's root URL (large-asset paths are relative to it). */
  base: string;
}

export class OfflineCopy {
  status = $state<CopyStatus>('unknown');
  assets = $state.raw<LargeAsset[]>([]);
  /** Paths of the large assets already in the cache. */
  cached = $state.raw<Set<string>>(new Set());
  doneBytes = $state(0);
  totalBytes = $derived(this.assets.reduce((s, a) => s + a.bytes, 0));
  fraction = $derived(fractionDone(this.doneBytes, this.totalBytes));
  cachedBytes = $derived(this.assets.filter((a) => this.cached.has(a.path)).reduce((s, a) => s + a.bytes, 0));
  /** What this origin stores in the browser (caches, IndexedDB) and may store, from navigator.storage.estimate. */
  usage = $state<{ usage: number; quota: number } | null>(null);
  persisted = $state<boolean | null>(null);
  message = $state<string | null>(null);

  private cacheName = '';

  constructor(private readonly deps: OfflineDeps) {}

  url(path: string): string {
    return new URL(path, this.deps.base).href;
  }

  /** Reads the list of large assets and which of them are cached. */
  async load(): Promise<void> {
    if (!this.deps.caches) return this.unavailable('This browser offers no Cache Storage here (it needs https or localhost).');
    let list: LargeAssetList;
    try {
      const res = await this.deps.fetch(this.url(LARGE_ASSET_LIST));
      // The dev server answers unknown paths with index.html, hence the content type test.
      if (!res.ok || !res.headers.get('content-type')?.includes('json')) return this.unavailable('The offline copy belongs to the built studio (npm start); the dev server has none.');
      list = (await res.json()) as LargeAssetList;
    } catch {
      return this.unavailable('The list of large files is not reachable: open the studio once while online.');
    }
    this.cacheName = list.cache;
    this.assets = list.assets;
    await this.refresh();
  }

  private unavailable(message: string): void {
    this.status = 'unavailable';
    this.message = message;
  }

  private async refresh(): Promise<void> {
    const cache = await this.deps.caches!.open(this.cacheName);
    const have = new Set<string>();
    for (const a of this.assets) if (await cache.match(this.url(a.path))) have.add(a.path);
    this.cached = have;
    if (this.status !== 'failed') this.status = have.size === this.assets.length ? 'complete' : 'partial';
    await this.estimate();
  }

  async estimate(): Promise<void> {
    const e = await this.deps.storage?.estimate?.();
    this.usage = e ? { usage: e.usage ?? 0, quota: e.quota ?? 0 } : null;
    this.persisted = (await this.deps.storage?.persisted?.()) ?? null;
  }

  /** Downloads every large asset not cached yet; drops cached files the current build no longer lists. */
  async download(): Promise<void> {
    if (this.status === 'downloading' || this.status === 'unavailable' || this.status === 'unknown') return;
    this.status = 'downloading';
    this.message = null;
    // Ask the browser not to evict the copy under storage pressure (it may say no).
    await this.deps.storage?.persist?.().catch(() => false);
    try {
      const cache = await this.deps.caches!.open(this.cacheName);
      const wanted = new Set(this.assets.map((a) => this.url(a.path)));
      for (const req of await cache.keys()) if (!wanted.has(req.url)) await cache.delete(req);
      this.doneBytes = this.cachedBytes;
      for (const asset of this.assets) {
        if (this.cached.has(asset.path)) continue;
        const res = await this.deps.fetch(this.url(asset.path));
        if (!res.ok || !res.body) throw new Error(`${asset.path}: HTTP ${res.status}`);
        const parts: Uint8Array<ArrayBuffer>[] = [];
        const reader = res.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parts.push(value);
          this.doneBytes += value.length;
        }
        await cache.put(this.url(asset.path), new Response(new Blob(parts), { headers: { 'content-type': res.headers.get('content-type') ?? 'application/octet-stream' } }));
        this.cached = new Set([...this.cached, asset.path]);
      }
      this.status = 'complete';
    } catch (e) {
      this.status = 'failed';
      this.message = `The download stopped: ${describeError(e)}. Files already saved are kept; press the button again to continue.`;
    }
    await this.refresh();
  }
}
