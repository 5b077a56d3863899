// The headers that make the studio's page cross-origin isolated, so that it may share memory with
// its workers (SharedArrayBuffer): the WASM backend's threads need it; without them it runs on one
// thread. The studio loads nothing from other origins, so require-corp costs nothing. Sent by the
// server (app.ts) and by Vite's dev and preview servers (vite.config.ts).
export const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;
