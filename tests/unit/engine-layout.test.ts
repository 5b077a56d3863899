// The engine's layout rules, checked on the source:
// - one op = ops/NAME.ts + cpu/NAME.ts + selftest/checks/NAME.ts: every function exported from
//   ops/NAME.ts has a CPU twin of the same name in cpu/NAME.ts and a self-test check named after it
//   (the check's name is the op's name, or starts with it and a space);
// - the CPU oracle (src/engine/cpu/) is only an oracle, imported by the self-test, the float64
//   model reference and tests, never by the code it checks, so a kernel and its reference never
//   share code that one bug could make agree.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CHECKS_BY_FILE, OP_CHECKS } from '../../src/engine/selftest/index.ts';

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
const OP_FILES = readdirSync(join(ROOT, 'src/engine/ops')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
/** Check files for what is not in ops/: the optimizer (optim.ts, cpu/optim.ts) and the models (nn/, nn/reference.ts). */
const OTHER_CHECK_FILES = ['optim', 'models'];

async function exportedFunctions(path: string): Promise<Record<string, unknown>> {
  const mod = (await import(/* @vite-ignore */ join(ROOT, path))) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(mod).filter(([, v]) => typeof v === 'function'));
}

const checkedBy = (name: string, op: string) => name === op || name.startsWith(`${op} `);

describe('engine layout', () => {
  it('finds the source files it checks', () => {
    expect(SOURCES).toContain('src/engine/runtime.ts');
    expect(importsOf('src/engine/nn/reference.ts').some((f) => f.startsWith(CPU))).toBe(true);
  });

  it('has a check file for every ops/ file and no other, and runs every check', () => {
    expect(OP_FILES.length).toBeGreaterThan(10);
    expect(Object.keys(CHECKS_BY_FILE).sort()).toEqual([...OP_FILES, ...OTHER_CHECK_FILES].sort());
    for (const file of Object.keys(CHECKS_BY_FILE)) expect(statSync(join(ROOT, `src/engine/selftest/checks/${file}.ts`)).isFile()).toBe(true);
    expect(OP_CHECKS.length).toBe(Object.values(CHECKS_BY_FILE).flat().length);
    expect(new Set(OP_CHECKS.map((c) => c.name)).size).toBe(OP_CHECKS.length);
  });

  for (const file of OP_FILES) {
    it(`every op of ops/${file}.ts has its CPU twin in cpu/${file}.ts and a check in selftest/checks/${file}.ts`, async () => {
      const ops = Object.keys(await exportedFunctions(`src/engine/ops/${file}.ts`));
      const twins = await exportedFunctions(`src/engine/cpu/${file}.ts`);
      const checks = (CHECKS_BY_FILE[file] ?? []).map((c) => c.name);
      expect(ops.length).toBeGreaterThan(0);
      expect(ops.filter((op) => !(op in twins)), 'ops without a CPU twin').toEqual([]);
      expect(ops.filter((op) => !checks.some((name) => checkedBy(name, op))), 'ops without a check').toEqual([]);
    });
  }

  it('only the self-test, nn/reference.ts and the CPU twins themselves import src/engine/cpu/', () => {
    const allowed = (file: string) => file.startsWith(CPU) || file.startsWith('src/engine/selftest/') || file === 'src/engine/nn/reference.ts';
    const offenders = SOURCES.filter((file) => !allowed(file)).flatMap((file) => importsOf(file).filter((f) => f.startsWith(CPU)).map((f) => `${file} → ${f}`));
    expect(offenders).toEqual([]);
  });
});
