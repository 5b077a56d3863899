// The page's handle on the inference worker (one per tab): exported students in onnxruntime-web.
import * as Comlink from 'comlink';
import type { InferenceApi } from '../../../workers/inference.worker.ts';

let worker: Comlink.Remote<InferenceApi> | undefined;

export function getInference(): Comlink.Remote<InferenceApi> {
  worker ??= Comlink.wrap<InferenceApi>(new Worker(new URL('../../../workers/inference.worker.ts', import.meta.url), { type: 'module' }));
  return worker;
}

/** Saves bytes as a file download. */
export function download(bytes: Uint8Array, name: string, type = 'application/zip'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
