// The one description of how the studio is kept for offline use, shared by the build (vite.config.ts)
// and the page. The service worker precaches every build file up to PRECACHE_MAX_BYTES (the app
// shell, worker bundles, the engine's kernels, icons); files above it — the Qwen tokenizer JSON and
// onnxruntime-web's wasm — are cached at first use in LARGE_ASSET_CACHE, or all at once by the System
// page's "Make available offline", which reads their list from LARGE_ASSET_LIST.

/** Build files larger than this are not precached (Workbox's own default limit). */
export const PRECACHE_MAX_BYTES = 2 * 1024 * 1024;
/** The Cache Storage cache holding the large assets (the service worker and the page both use it). */
export const LARGE_ASSET_CACHE = 'lantern-large-assets';
/** The build writes the list of large assets here (relative to the app's root). */
export const LARGE_ASSET_LIST = 'offline-assets.json';

export interface LargeAsset {
  /** The asset's path relative to the app's root, as the build names it. */
  path: string;
  bytes: number;
}

export interface LargeAssetList {
  cache: string;
  assets: LargeAsset[];
}

/** The build files the precache leaves out, by path, largest first. */
export function largeAssets(files: Iterable<{ path: string; bytes: number }>): LargeAsset[] {
  return [...files].filter((f) => f.bytes > PRECACHE_MAX_BYTES && !f.path.endsWith('.map')).sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
}
