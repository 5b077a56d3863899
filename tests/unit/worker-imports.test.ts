// Workers are bundled without the Svelte compiler (vite's worker build has its own plugins), so a
// rune reached from a worker fails at run time with "$state is not defined" and the worker never
// answers. Walk each worker's static imports and keep Svelte code out of them.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '../..');

function localImports(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName.replace(/\?.*$/, ''))
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name))
    .filter((path) => /\.(ts|svelte)$/.test(path) && existsSync(path));
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...localImports(file));
  }
  return seen;
}

describe('worker bundles', () => {
  const workers = readdirSync(join(root, 'workers')).filter((f) => f.endsWith('.worker.ts'));
  it('finds the workers', () => expect(workers).toEqual(expect.arrayContaining(['trainer.worker.ts', 'import.worker.ts', 'inference.worker.ts'])));
  for (const worker of workers) {
    it(`${worker} reaches no Svelte component or rune module`, () => {
      const files = [...reachable(join(root, 'workers', worker))].map((f) => relative(root, f));
      expect(files.length).toBeGreaterThan(1);
      expect(files.filter((f) => /\.svelte(\.ts)?$/.test(f))).toEqual([]);
    });
  }
});
