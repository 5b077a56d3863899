// Debian's Chromium driven by playwright-core (`npx playwright install` cannot work offline).
import { chromium, type Browser } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.LANTERN_CHROMIUM ?? '/usr/bin/chromium';

const QUIET_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set LANTERN_CHROMIUM).`);
  }
  const webgpu = opts.webgpu ?? true;
  const args = [...QUIET_FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : ['--disable-features=WebGPU', '--disable-gpu'])];
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}
