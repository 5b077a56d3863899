// Server settings, all from the environment so that keys never live in files the browser sees.
import { checkApiToken } from './http-guards.ts';

export interface ServerConfig {
  host: string;
  port: number;
  /** Required as a bearer token on every route but the static app when set; required off loopback. */
  apiToken?: string;
  /** Folder with the built app (vite build output). */
  distDir: string;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const host = env.LANTERN_HOST ?? '127.0.0.1';
  const port = Number(env.LANTERN_PORT ?? 5174);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`LANTERN_PORT must be a port number, got "${env.LANTERN_PORT}"`);
  const apiToken = env.LANTERN_API_TOKEN || undefined;
  if (apiToken !== undefined) checkApiToken(apiToken);
  if (!isLoopback(host) && !apiToken) {
    throw new Error(`Refusing to bind to ${host} without LANTERN_API_TOKEN: anyone on the network could spend your teacher budget.`);
  }
  return { host, port, apiToken, distDir: new URL('../dist/', import.meta.url).pathname };
}
