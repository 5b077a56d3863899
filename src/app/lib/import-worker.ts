// The page's handle on the import worker; cancelling terminates it (the next call starts a fresh one).
import * as Comlink from 'comlink';
import type { ImportApi } from '../../../workers/import.worker.ts';
import type { ImportBackend } from '../state/import-flow.svelte.ts';

export function workerImportBackend(): ImportBackend {
  let worker: Worker | null = null;
  let api: Comlink.Remote<ImportApi> | null = null;
  const get = (): Comlink.Remote<ImportApi> => {
    if (!api) {
      worker = new Worker(new URL('../../../workers/import.worker.ts', import.meta.url), { type: 'module' });
      api = Comlink.wrap<ImportApi>(worker);
    }
    return api;
  };
  return {
    read: (file, onProgress, encoding) => get().read(file, Comlink.proxy(onProgress), encoding),
    check: (mapping, labels) => get().check(mapping, labels),
    commit: (opts) => get().commit(opts),
    loadDemo: (seed, n) => get().loadDemo(seed, n),
    cancel() {
      worker?.terminate();
      worker = null;
      api = null;
    },
  };
}
