// The peer race in Chromium: the bench page (bench/peers/page) built by Vite, served on loopback
// by Vite's preview server with the studio's cross-origin-isolation headers (so the WASM race's
// threads exist, as in the studio), opened in Debian's Chromium through playwright-core.
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../tests/helpers/chromium.ts';
import { CROSS_ORIGIN_ISOLATION } from '../../server/isolation.ts';
import type { PeerReport, RowKind } from './run.ts';

const PAGE_ROOT = fileURLToPath(new URL('./page/', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../../.cache/bench-peers-page/', import.meta.url));

export interface ChromiumPeerOptions {
  /** The race's backend (default WebGPU). */
  backend?: 'webgpu' | 'wasm';
  smoke?: boolean;
  kinds?: RowKind[];
  log?: (line: string) => void;
  timeoutMs?: number;
}

export async function runPeersInChromium(opts: ChromiumPeerOptions): Promise<PeerReport> {
  const log = opts.log ?? (() => {});
  const backend = opts.backend ?? 'webgpu';
  const { build, preview } = await import('vite');
  log('building the bench page…');
  await build({ root: PAGE_ROOT, configFile: false, logLevel: 'warn', build: { outDir: OUT_DIR, emptyOutDir: true, target: 'es2022', minify: false } });
  const server = await preview({ root: PAGE_ROOT, configFile: false, logLevel: 'warn', build: { outDir: OUT_DIR }, preview: { host: '127.0.0.1', port: 0, strictPort: false, headers: CROSS_ORIGIN_ISOLATION } });
  // The WASM race needs no GPU: Chromium without WebGPU, as on a machine with none.
  const browser = await launchChromium({ webgpu: backend === 'webgpu' });
  const page = await browser.newPage();
  try {
    const url = new URL(server.resolvedUrls!.local[0]!);
    url.searchParams.set('backend', backend);
    if (opts.smoke) url.searchParams.set('workloads', 'smoke');
    if (opts.kinds) url.searchParams.set('only', opts.kinds.join(','));
    page.on('console', (m) => log(m.text()));
    page.on('response', (r) => r.status() >= 400 && log(`${r.status()} ${r.url()}`));
    // An uncaught error (a peer's worker failing to start, say) can leave a peer waiting forever: fail now.
    const pageError = new Promise<never>((_, reject) => page.on('pageerror', (e) => reject(new Error(`the bench page failed: ${e.message}`))));
    pageError.catch(() => {}); // one after the report is no failure of the race
    await page.goto(url.href);
    await Promise.race([page.waitForFunction(() => window.peerReport || window.peerError, undefined, { timeout: opts.timeoutMs ?? 3_600_000, polling: 1000 }), pageError]);
    const error = await page.evaluate(() => window.peerError);
    if (error) throw new Error(`the bench page failed: ${error}`);
    return (await page.evaluate(() => window.peerReport))!;
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}
