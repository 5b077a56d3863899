// The engine's layout rules, checked on the source: the CPU oracle (src/engine/cpu/) is only an
// oracle, imported by the self-test, the float64 model reference and tests, never by the code it
// checks; so a kernel and its reference never share code that one bug could make agree.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CPU = 'src/engine/cpu/';

/** Every source file outside tests/ (relative to the project root). */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

/** The project files a source file imports (relative specifiers only, resolved to root-relative paths). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

const SOURCES = ['src', 'workers', 'server', 'cli', 'bench'].flatMap(sourceFiles);

describe('engine layout', () => {
  it('finds the source files it checks', () => {
    expect(SOURCES).toContain('src/engine/runtime.ts');
    expect(importsOf('src/engine/nn/reference.ts').some((f) => f.startsWith(CPU))).toBe(true);
  });

  it('only the self-test, nn/reference.ts and the CPU twins themselves import src/engine/cpu/', () => {
    const allowed = (file: string) => file.startsWith(CPU) || file.startsWith('src/engine/selftest/') || file === 'src/engine/nn/reference.ts';
    const offenders = SOURCES.filter((file) => !allowed(file)).flatMap((file) => importsOf(file).filter((f) => f.startsWith(CPU)).map((f) => `${file} → ${f}`));
    expect(offenders).toEqual([]);
  });
});
