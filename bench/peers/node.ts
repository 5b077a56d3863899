// The peer race in Node: Dawn through the `webgpu` package, made visible as navigator.gpu
// before jax-js and TF.js load (both look for it there, and jax-js also checks the user agent).
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { nodeGPU } from '../../src/engine/node-gpu.ts';
import { runPeers, type PeerRunOptions } from './index.ts';
import type { PeerReport } from './run.ts';

/**
 * jax-js 0.1.25 calls iterator helpers (Iterator.prototype.map …), which Node 20 lacks; these
 * few follow the TC39 proposal closely enough for its use.
 */
function polyfillIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto.map === 'function') return;
  type It = Iterator<unknown> & Iterable<unknown>;
  const define = (name: string, fn: (this: It, ...args: never[]) => unknown) => Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
  define('map', function* (this: It, f: (x: unknown, i: number) => unknown) {
    let i = 0;
    for (const x of { [Symbol.iterator]: () => this }) yield f(x, i++);
  });
  define('filter', function* (this: It, f: (x: unknown, i: number) => boolean) {
    let i = 0;
    for (const x of { [Symbol.iterator]: () => this }) if (f(x, i++)) yield x;
  });
  define('flatMap', function* (this: It, f: (x: unknown, i: number) => Iterable<unknown>) {
    let i = 0;
    for (const x of { [Symbol.iterator]: () => this }) yield* f(x, i++);
  });
  define('toArray', function (this: It) {
    return [...{ [Symbol.iterator]: () => this }];
  });
  define('forEach', function (this: It, f: (x: unknown, i: number) => void) {
    let i = 0;
    for (const x of { [Symbol.iterator]: () => this }) f(x, i++);
  });
  define('some', function (this: It, f: (x: unknown, i: number) => boolean) {
    let i = 0;
    for (const x of { [Symbol.iterator]: () => this }) if (f(x, i++)) return true;
    return false;
  });
  define('every', function (this: It, f: (x: unknown, i: number) => boolean) {
    let i = 0;
    for (const x of { [Symbol.iterator]: () => this }) if (!f(x, i++)) return false;
    return true;
  });
  define('reduce', function (this: It, f: (acc: unknown, x: unknown, i: number) => unknown, ...init: unknown[]) {
    let i = 0;
    let acc = init.length ? init[0] : undefined;
    let first = !init.length;
    for (const x of { [Symbol.iterator]: () => this }) {
      acc = first ? x : f(acc, x, i);
      first = false;
      i++;
    }
    return acc;
  });
}

/**
 * TF.js registers gradients only from its ES modules (dist/register_all_gradients.js), which
 * import './gradients/Abs_grad' without extensions, as bundlers allow and Node does not: this
 * resolve hook retries such imports inside @tensorflow with '.js', then '/index.js'.
 */
const TFJS_RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (e) {
    const retry = ['ERR_UNSUPPORTED_DIR_IMPORT', 'ERR_MODULE_NOT_FOUND'].includes(e?.code) && (context.parentURL ?? '').includes('/@tensorflow/') && specifier.startsWith('.') && !specifier.endsWith('.js');
    if (!retry) throw e;
    try { return await next(specifier + '.js', context); } catch { return next(specifier + '/index.js', context); }
  }
}`;

let hookRegistered = false;

/** Where TF.js's WASM backend reads its .wasm files in Node: its own dist folder. */
const TF_WASM_DIR = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));

export async function runPeersInNode(opts: Omit<PeerRunOptions, 'environment'> & { backend?: 'webgpu' | 'wasm' }): Promise<PeerReport> {
  polyfillIteratorHelpers();
  if (!hookRegistered) register('data:text/javascript,' + encodeURIComponent(TFJS_RESOLVE_HOOK));
  hookRegistered = true;
  if (opts.backend === 'wasm') return runPeers({ backend: 'wasm' }, { ...opts, tfWasmPaths: TF_WASM_DIR, environment: `node ${process.version} (WASM)` });
  const gpu = await nodeGPU();
  const g = globalThis as { navigator?: unknown };
  // Node 21+ has a navigator of its own; jax-js and TF.js only need these two fields.
  Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator as object | undefined), gpu, userAgent: 'Chrome' }, configurable: true, writable: true });
  return runPeers({ backend: 'webgpu', gpu }, { ...opts, environment: `node ${process.version} (Dawn, the webgpu package)` });
}
