// The offline app's logic without a browser: the update prompt never reloads by itself nor during a
// run; the synchronous SHA-256 the rule-based teacher seeds with matches node:crypto; with no server,
// the rule-based teacher's labels come from the same code in the worker and in the page, and an
// online teacher is refused with words that say it needs the server; "Make available offline" saves
// the large files with progress, resumes after a failure and drops files of older builds.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppUpdate, type Register } from '../../src/app/state/app-update.svelte.ts';
import { OfflineCopy } from '../../src/app/state/offline-copy.svelte.ts';
import { sha256HexSync } from '../../src/data/hash.ts';
import { generateDemoExamples } from '../../src/data/demo.ts';
import type { TeacherLabel } from '../../src/data/schema.ts';
import { httpTeacher } from '../../src/experiment/run/teacher-client.ts';
import { OfflineTeacher } from '../../server/teacher/offline-teacher.ts';
import { streamLabels, fetchTeacherInfo } from '../../src/app/lib/teacher-api.ts';
import { largeAssets, PRECACHE_MAX_BYTES } from '../../src/app/lib/offline-assets.ts';

function fakeRegister() {
  const calls: boolean[] = [];
  let callbacks!: Parameters<Register>[0];
  const register: Register = (cb) => {
    callbacks = cb;
    return async (reloadPage) => void calls.push(reloadPage ?? false);
  };
  return { register, calls, callbacks: () => callbacks };
}

describe('update prompt', () => {
  it('waits for the user, and holds the reload back while a run is active', async () => {
    let busy = false;
    const update = new AppUpdate(() => busy);
    const sw = fakeRegister();
    update.register(sw.register);
    expect(await update.reload()).toBe(false); // nothing waiting: nothing to do
    sw.callbacks().onRegistered({} as ServiceWorkerRegistration);
    expect(update.registered).toBe(true);
    sw.callbacks().onNeedRefresh();
    expect(update.waiting).toBe(true);
    expect(sw.calls).toEqual([]); // a waiting version never takes over by itself
    busy = true;
    expect(await update.reload()).toBe(false);
    expect(sw.calls).toEqual([]);
    busy = false;
    expect(await update.reload()).toBe(true);
    expect(sw.calls).toEqual([true]);
  });

  it('says why the offline copy could not be set up', () => {
    const update = new AppUpdate(() => false);
    const sw = fakeRegister();
    update.register(sw.register);
    sw.callbacks().onRegisterError(new Error('SecurityError: insecure origin'));
    expect(update.error).toMatch(/could not be set up: SecurityError/);
  });
});

describe('large assets', () => {
  it('are the build files above the precache limit, source maps aside, largest first', () => {
    const files = [
      { path: 'assets/index.js', bytes: 600_000 },
      { path: 'assets/tokenizer.json', bytes: 11_000_000 },
      { path: 'assets/index.js.map', bytes: 3_000_000 },
      { path: 'assets/ort.wasm', bytes: 26_000_000 },
      { path: 'assets/edge.json', bytes: PRECACHE_MAX_BYTES },
    ];
    expect(largeAssets(files).map((a) => a.path)).toEqual(['assets/ort.wasm', 'assets/tokenizer.json']);
  });
});

describe('sha256HexSync', () => {
  it('matches node:crypto on empty, short, multi-block and non-ASCII text', () => {
    for (const text of ['', 'abc', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'Zürich — 東京 🚀\n'.repeat(40)]) {
      expect(sha256HexSync(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });
});

describe('the rule-based teacher without a server', () => {
  const pairs = generateDemoExamples({ seed: 4, n: 5 });
  const unreachable = (async () => {
    throw new TypeError('Failed to fetch');
  }) as typeof fetch;
  const noServer = (() => Promise.resolve(new Response('Bad Gateway', { status: 502 }))) as typeof fetch;

  it('labels in the worker exactly as the server would', async () => {
    const server = new OfflineTeacher();
    for (const doFetch of [unreachable, noServer]) {
      const labels = await httpTeacher('', { fetch: doFetch, localFallback: true }).label(pairs, { provider: 'offline' });
      const essentials = (l: TeacherLabel) => ({ exampleId: l.exampleId, teacher: l.teacher, label: l.label, labelProbs: l.labelProbs, explanation: l.explanation });
      expect(labels.map(essentials)).toEqual(pairs.map((p) => essentials(server.labelSync(p))));
    }
  });

  it('is not a fallback for headless runs, nor for an online teacher', async () => {
    await expect(httpTeacher('http://127.0.0.1:9', { fetch: unreachable }).label(pairs, { provider: 'offline' })).rejects.toThrow(/cannot reach the teacher API/);
    await expect(httpTeacher('', { fetch: unreachable, localFallback: true }).label(pairs, { provider: 'openai' })).rejects.toThrow(/needs the studio server/);
  });

  it('answers the Teacher page in the page: its info, and the label stream', async () => {
    const info = await fetchTeacherInfo(unreachable);
    expect(info.answeredBy).toBe('this browser');
    expect(info.providers.openai).toBeNull();
    expect(info.providers.offline.model).toBe('lantern-rule-based-teacher-v1');
    const realFetch = globalThis.fetch;
    globalThis.fetch = unreachable;
    try {
      const lines = [];
      for await (const line of streamLabels(pairs, 'offline', new AbortController().signal)) lines.push(line);
      expect(lines.map((l) => l.type)).toEqual(['start', ...pairs.flatMap(() => ['result', 'progress']), 'summary']);
      const collect = async () => {
        for await (const _ of streamLabels(pairs, 'openai', new AbortController().signal)) void _;
      };
      await expect(collect()).rejects.toThrow(/the openai teacher needs the studio server/);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

describe('"Make available offline"', () => {
  /** Cache Storage as a map of caches, each a map from URL to response. */
  function fakeCaches() {
    const stores = new Map<string, Map<string, Response>>();
    const open = async (name: string) => {
      const entries = stores.get(name) ?? stores.set(name, new Map()).get(name)!;
      return {
        match: async (url: string) => entries.get(url),
        put: async (url: string, res: Response) => void entries.set(url, res),
        keys: async () => [...entries.keys()].map((url) => ({ url }) as Request),
        delete: async (req: Request) => entries.delete(req.url),
      } as unknown as Cache;
    };
    return { stores, caches: { open } as unknown as CacheStorage };
  }
  const base = 'http://studio.test/';
  const list = { cache: 'large', assets: [{ path: 'assets/ort.wasm', bytes: 6 }, { path: 'assets/tokenizer.json', bytes: 4 }] };
  const storage = { estimate: async () => ({ usage: 123, quota: 4567 }), persisted: async () => true, persist: async () => true } as unknown as StorageManager;
  function server(failing = new Set<string>()) {
    const served: string[] = [];
    const doFetch = (async (input: string) => {
      const path = input.slice(base.length);
      served.push(path);
      if (path === 'offline-assets.json') return new Response(JSON.stringify(list), { headers: { 'content-type': 'application/json' } });
      if (failing.has(path)) return new Response('gone', { status: 404 });
      const asset = list.assets.find((a) => a.path === path)!;
      return new Response(new Uint8Array(asset.bytes));
    }) as unknown as typeof fetch;
    return { served, doFetch };
  }

  it('saves the listed files once, counts the bytes, drops what the build no longer lists and reports the storage used', async () => {
    const { stores, caches } = fakeCaches();
    await (await caches.open('large')).put(`${base}assets/old-tokenizer.json`, new Response('stale'));
    const s = server();
    const copy = new OfflineCopy({ fetch: s.doFetch, caches, storage, base });
    await copy.load();
    expect(copy.status).toBe('partial');
    expect(copy.totalBytes).toBe(10);
    await copy.download();
    expect(copy.status).toBe('complete');
    expect(copy.doneBytes).toBe(10);
    expect(copy.fraction).toBe(1);
    expect(copy.cachedBytes).toBe(10);
    expect([...stores.get('large')!.keys()].sort()).toEqual([`${base}assets/ort.wasm`, `${base}assets/tokenizer.json`]);
    expect(copy.usage).toEqual({ usage: 123, quota: 4567 });
    expect(copy.persisted).toBe(true);
    // A second visit finds everything saved and downloads nothing.
    const again = server();
    const second = new OfflineCopy({ fetch: again.doFetch, caches, storage, base });
    await second.load();
    expect(second.status).toBe('complete');
    await second.download();
    expect(again.served).toEqual(['offline-assets.json']);
  });

  it('keeps what it saved when a download fails, says so, and continues on the next press', async () => {
    const { caches } = fakeCaches();
    const copy = new OfflineCopy({ fetch: server(new Set(['assets/tokenizer.json'])).doFetch, caches, storage, base });
    await copy.load();
    await copy.download();
    expect(copy.status).toBe('failed');
    expect(copy.message).toMatch(/assets\/tokenizer\.json: HTTP 404.*press the button again/);
    expect([...copy.cached]).toEqual(['assets/ort.wasm']);
    const retry = new OfflineCopy({ fetch: server().doFetch, caches, storage, base });
    await retry.load();
    await retry.download();
    expect(retry.status).toBe('complete');
  });

  it('says when there is nothing to keep: no Cache Storage, or the dev server', async () => {
    const none = new OfflineCopy({ fetch: server().doFetch, caches: undefined, storage, base });
    await none.load();
    expect(none.status).toBe('unavailable');
    const dev = new OfflineCopy({ fetch: (async () => new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } })) as unknown as typeof fetch, caches: fakeCaches().caches, storage, base });
    await dev.load();
    expect(dev.message).toMatch(/dev server has none/);
  });
});
