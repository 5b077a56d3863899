// Reading the studio's IndexedDB from a page (the app itself carries no test hook): a run record,
// and an artifact of a run (a checkpoint record and its chunks, as browser-host.ts writes them).
import type { Page } from 'playwright-core';

export function runRecord<T = Record<string, unknown>>(page: Page, runId: string): Promise<T | undefined> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('lantern-studio');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const value = await new Promise<unknown>((resolve, reject) => {
      const req = db.transaction('runs', 'readonly').objectStore('runs').get(id);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    return value as T | undefined;
  }, runId);
}

export function runArtifact(page: Page, runId: string, key: string): Promise<string | null> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('lantern-studio');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const tx = db.transaction(['checkpoints', 'checkpointChunks'], 'readonly');
    const request = <T,>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const meta = await request(tx.objectStore('checkpoints').get(id));
    const chunks = (await request(tx.objectStore('checkpointChunks').getAll(IDBKeyRange.bound([id], [id, []])))) as { data: ArrayBuffer }[];
    db.close();
    if (!meta) return null;
    return new Blob(chunks.map((c) => c.data)).text();
  }, `${runId}/${key}`);
}
