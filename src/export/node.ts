// Node side of export and inference: Qwen's tokenizer.json from node_modules, bundles written to
// and model folders read from disk, and onnxruntime-web's WASM files from node_modules.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { qwenTokenizerPaths } from '../data/tokenizer-node.ts';
import type { QwenTokenizerJson } from './tokenizer-json.ts';
import { BundleError } from './bundle.ts';
import { folderFromFiles, readModelFolder, type ModelFiles, type ModelFolder } from '../engine/pretrained.ts';

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

/** A folder on disk as a ModelFolder: its top-level files, each read when asked for. */
export async function nodeModelFolder(dir: string): Promise<ModelFolder> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new BundleError(`${dir} is not a folder`);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(`cannot read the model folder ${dir}: ${(e as Error).message}`);
  }
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  return {
    label: dir,
    names,
    read: async (name) => {
      try {
        const b = await readFile(join(dir, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // the Buffer's bytes, not a copy
      } catch (e) {
        throw new BundleError(`cannot read ${join(dir, name)}: ${(e as Error).message}`);
      }
    },
  };
}

/**
 * The model files of a folder (a checkpoint, an unzipped bundle, a Hugging Face model folder with
 * one or several safetensors files) or of a bundle zip, decoded (pretrained.ts readModelFolder):
 * loadCheckpoint(engine, files) builds the model.
 */
export async function readModelFiles(path: string): Promise<ModelFiles> {
  let folder: ModelFolder;
  if (path.endsWith('.zip')) {
    const { readBundle } = await import('./bundle.ts');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (e) {
      throw new BundleError(`cannot read ${path}: ${(e as Error).message}`);
    }
    folder = folderFromFiles(path, (await readBundle(bytes)).files);
  } else folder = await nodeModelFolder(path);
  return readModelFolder(folder);
}
