// The page's one service-worker registration (vite-plugin-pwa's registerSW; in the dev server it
// registers nothing) and the System page's offline copy of the large assets.
import { registerSW } from 'virtual:pwa-register';
import { AppUpdate } from '../state/app-update.svelte.ts';
import { OfflineCopy } from '../state/offline-copy.svelte.ts';
import { session } from '../state/run-session.svelte.ts';

export const appUpdate = new AppUpdate(() => session.active);

export const offlineCopy = new OfflineCopy({
  fetch: (input, init) => fetch(input, init),
  caches: typeof caches === 'undefined' ? undefined : caches,
  storage: navigator.storage,
  base: new URL(import.meta.env.BASE_URL, location.href).href,
});

export function registerServiceWorker(): void {
  appUpdate.register((callbacks) => registerSW({ immediate: true, ...callbacks }));
}
