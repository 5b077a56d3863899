// The import worker: reads, parses and checks import files and writes datasets, off the page's
// thread, so a large file never freezes the studio. Cancelling terminates the worker: nothing is
// written before the final one-transaction commit, and a commit cut short is rolled back.
import * as Comlink from 'comlink';
import { openStore, type LanternStore } from '../src/data/store.ts';
import { ImportSession } from '../src/app/lib/import-session.ts';

let store: Promise<LanternStore> | undefined;
const session = new ImportSession(() => {
  store ??= openStore();
  store.catch(() => (store = undefined));
  return store;
});

/** Progress messages at most every 100 ms (a 100 MB file arrives in thousands of chunks). */
function throttled(onProgress: (bytesRead: number, totalBytes: number) => void) {
  let last = 0;
  return (p: { bytesRead: number; totalBytes: number }) => {
    const now = performance.now();
    if (now - last < 100 && p.bytesRead < p.totalBytes) return;
    last = now;
    onProgress(p.bytesRead, p.totalBytes);
  };
}

const api = {
  read: (file: File, onProgress?: (bytesRead: number, totalBytes: number) => void, encoding?: string) => session.read(file, onProgress && throttled(onProgress), undefined, encoding),
  check: session.check.bind(session),
  commit: session.commit.bind(session),
  loadDemo: session.loadDemo.bind(session),
};

export type ImportApi = typeof api;
Comlink.expose(api);
