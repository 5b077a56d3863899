// Node side of export and inference: Qwen's tokenizer.json from node_modules, bundles written to
// and model folders read from disk, and onnxruntime-web's WASM files from node_modules.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { qwenTokenizerPaths } from '../data/tokenizer-node.ts';
import type { QwenTokenizerJson } from './tokenizer-json.ts';
import { BundleError } from './bundle.ts';

let qwenJson: Promise<QwenTokenizerJson> | undefined;
export function qwenTokenizerJson(): Promise<QwenTokenizerJson> {
  qwenJson ??= readFile(qwenTokenizerPaths().tokenizer, 'utf8').then((t) => JSON.parse(t) as QwenTokenizerJson);
  return qwenJson;
}

/** Every file under a folder, keyed by its "/"-separated path inside it (an unzipped bundle). */
export async function readFolder(dir: string): Promise<Map<string, Uint8Array>> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new BundleError(`${dir} is not a folder`);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(`cannot read the model folder ${dir}: ${(e as Error).message}`);
  }
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split('\\').join('/'), new Uint8Array(await readFile(path)));
  }
  return files;
}

/** config.json + model.safetensors of a model folder (an unzipped bundle, a checkpoint folder) or of a bundle zip. */
export async function readModelFiles(path: string): Promise<{ weights: Uint8Array; config: Record<string, unknown>; generation?: { eos_token_id?: number } }> {
  let files: Map<string, Uint8Array>;
  if (path.endsWith('.zip')) {
    const { readBundle } = await import('./bundle.ts');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (e) {
      throw new BundleError(`cannot read ${path}: ${(e as Error).message}`);
    }
    files = (await readBundle(bytes)).files;
  } else files = await readFolder(path);
  const weights = files.get('model.safetensors');
  const config = files.get('config.json');
  if (!weights || !config) throw new BundleError(`${path} has no ${weights ? 'config.json' : 'model.safetensors'}: a model folder holds config.json and model.safetensors`);
  const parse = <T>(name: string, bytes: Uint8Array): T => {
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (e) {
      throw new BundleError(`${path}/${name} is not valid JSON (${(e as Error).message})`);
    }
  };
  const generation = files.get('generation_config.json');
  return { weights, config: parse('config.json', config), ...(generation ? { generation: parse<{ eos_token_id?: number }>('generation_config.json', generation) } : {}) };
}
