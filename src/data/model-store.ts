// Pretrained model folders stored in the browser: the origin-private file system (OPFS), one
// directory per model under models/<name>/ holding the folder's top-level files as they were
// picked (config.json, model.safetensors or the shards and their index, tokenizer.json). OPFS,
// not IndexedDB: a 0.5B model is a gigabyte of weights, which OPFS reads as a File without a copy
// into a database record. An experiment names a stored model by <name> (a stage's
// student.pretrained.source); the trainer worker reads it through storedModelFolder.
import type { ModelFolder } from '../engine/pretrained.ts';

export const MODELS_DIR = 'models';

/** Why a name cannot be a stored model's: one path segment, no "/", not "." or "..". */
export function modelNameProblem(name: string): string | null {
  if (!name.trim()) return 'a stored model needs a name';
  if (name.includes('/') || name.includes('\\') || name === '.' || name === '..') return `"${name}" is not a plain folder name`;
  return null;
}

async function modelsRoot(create: boolean): Promise<FileSystemDirectoryHandle> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) throw new Error('this browser has no origin-private file system (navigator.storage.getDirectory): pretrained models cannot be stored here');
  return (await navigator.storage.getDirectory()).getDirectoryHandle(MODELS_DIR, { create });
}

/** Names of the models stored in this browser (none when the origin-private file system is missing or empty). */
export async function storedModelNames(): Promise<string[]> {
  let root: FileSystemDirectoryHandle;
  try {
    root = await modelsRoot(false);
  } catch {
    return [];
  }
  const names: string[] = [];
  for await (const [name, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) if (handle.kind === 'directory') names.push(name);
  return names.sort();
}

/** The stored model `name` as a ModelFolder (pretrained.ts readModelFolder reads it); a clear error when there is none. */
export async function storedModelFolder(name: string): Promise<ModelFolder> {
  const problem = modelNameProblem(name);
  if (problem) throw new Error(problem);
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await (await modelsRoot(false)).getDirectoryHandle(name);
  } catch (e) {
    if ((e as DOMException).name === 'NotFoundError') throw new Error(`no model "${name}" is stored in this browser: pick its folder in the experiment builder ("Start from a pretrained model folder") first`);
    throw e;
  }
  const handles = new Map<string, FileSystemFileHandle>();
  for await (const [entry, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (handle.kind === 'file') handles.set(entry, handle as FileSystemFileHandle);
  }
  return {
    label: `stored model "${name}"`,
    names: [...handles.keys()],
    read: async (file) => {
      const h = handles.get(file);
      if (!h) throw new Error(`stored model "${name}" has no ${file}`);
      return new Uint8Array(await (await h.getFile()).arrayBuffer());
    },
  };
}

/** Stores a picked folder's top-level files as model `name` (replacing one of that name), file by file. */
export async function storeModelFolder(name: string, files: readonly File[], onProgress?: (doneBytes: number, totalBytes: number) => void): Promise<void> {
  const problem = modelNameProblem(name);
  if (problem) throw new Error(problem);
  const root = await modelsRoot(true);
  await root.removeEntry(name, { recursive: true }).catch(() => undefined);
  const dir = await root.getDirectoryHandle(name, { create: true });
  const total = files.reduce((a, f) => a + f.size, 0);
  let done = 0;
  for (const f of files) {
    const writable = await (await dir.getFileHandle(f.name, { create: true })).createWritable();
    await f.stream().pipeTo(writable);
    done += f.size;
    onProgress?.(done, total);
  }
}
