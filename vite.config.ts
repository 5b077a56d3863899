import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The API lives in server/ (one origin in production); in dev Vite proxies to it.
const apiPort = Number(process.env.LANTERN_PORT ?? 5174);

export default defineConfig({
  plugins: [svelte()],
  worker: { format: 'es' },
  build: { outDir: 'dist', target: 'es2022', sourcemap: true },
  server: { proxy: { '/api': `http://127.0.0.1:${apiPort}` } },
});
