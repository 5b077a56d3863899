import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { CROSS_ORIGIN_ISOLATION } from './server/isolation.ts';
import { LARGE_ASSET_CACHE, LARGE_ASSET_LIST, largeAssets, PRECACHE_MAX_BYTES } from './src/app/lib/offline-assets.ts';

// The API lives in server/ (one origin in production); in dev Vite proxies to it.
const apiPort = Number(process.env.LANTERN_PORT ?? 5174);

/** Writes the list of build files too large to precache, for the System page's "Make available offline". */
function largeAssetList(): Plugin {
  return {
    name: 'lantern-large-asset-list',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.values(bundle).map((f) => ({ path: f.fileName, bytes: f.type === 'asset' ? (typeof f.source === 'string' ? new TextEncoder().encode(f.source).length : f.source.length) : new TextEncoder().encode(f.code).length }));
      this.emitFile({ type: 'asset', fileName: LARGE_ASSET_LIST, source: JSON.stringify({ cache: LARGE_ASSET_CACHE, assets: largeAssets(files) }) });
    },
  };
}

export default defineConfig({
  plugins: [
    svelte(),
    largeAssetList(),
    // An installable offline app: the service worker precaches the build (the large files are cached
    // at first use), and a new version waits for the user's "Reload to update" (registerType prompt).
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      // The glob below already precaches the icons (and the plugin adds the manifest); no second entry.
      includeManifestIcons: false,
      manifest: {
        name: 'Lantern Studio',
        short_name: 'Lantern',
        description: 'Distil large language models into small, fast students on WebGPU, in the browser.',
        theme_color: '#1f2a44',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: './',
        scope: './',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{html,js,css,json,wasm,wgsl,svg,png}'],
        // The size rule is PRECACHE_MAX_BYTES, applied here (Workbox's own limit would fail the build).
        maximumFileSizeToCacheInBytes: Number.MAX_SAFE_INTEGER,
        manifestTransforms: [async (entries) => ({ manifest: entries.filter((e) => e.size <= PRECACHE_MAX_BYTES), warnings: [] })],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            // The large build files (hashed names, so a cached copy never goes stale).
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /^\/assets\/.+\.(json|wasm)$/.test(url.pathname),
            handler: 'CacheFirst',
            options: { cacheName: LARGE_ASSET_CACHE, cacheableResponse: { statuses: [200] } },
          },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  build: { outDir: 'dist', target: 'es2022', sourcemap: true },
  server: { proxy: { '/api': `http://127.0.0.1:${apiPort}` }, headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
});
