// The peer race in Chromium: the bench page (bench/peers/page) built by Vite, served on loopback
// by Vite's preview server, opened in Debian's Chromium through playwright-core.
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../tests/helpers/chromium.ts';
import type { PeerReport, RowKind } from './run.ts';

const PAGE_ROOT = fileURLToPath(new URL('./page/', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../../.cache/bench-peers-page/', import.meta.url));

export async function runPeersInChromium(opts: { smoke?: boolean; kinds?: RowKind[]; log?: (line: string) => void; timeoutMs?: number }): Promise<PeerReport> {
  const log = opts.log ?? (() => {});
  const { build, preview } = await import('vite');
  log('building the bench page…');
  await build({ root: PAGE_ROOT, configFile: false, logLevel: 'warn', build: { outDir: OUT_DIR, emptyOutDir: true, target: 'es2022' } });
  const server = await preview({ root: PAGE_ROOT, configFile: false, logLevel: 'warn', build: { outDir: OUT_DIR }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const browser = await launchChromium({ webgpu: true });
  try {
    const url = new URL(server.resolvedUrls!.local[0]!);
    if (opts.smoke) url.searchParams.set('workloads', 'smoke');
    if (opts.kinds) url.searchParams.set('only', opts.kinds.join(','));
    const page = await browser.newPage();
    page.on('console', (m) => log(m.text()));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(url.href);
    await page.waitForFunction(() => window.peerReport || window.peerError, undefined, { timeout: opts.timeoutMs ?? 3_600_000, polling: 1000 });
    const error = await page.evaluate(() => window.peerError);
    if (error) throw new Error(`the bench page failed: ${error}`);
    return (await page.evaluate(() => window.peerReport))!;
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}
