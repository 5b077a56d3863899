import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { generateDemoExamples, toJsonl } from '../../src/data/demo.ts';

const usage = `Usage: lantern demo-data --seed S --n N [--out FILE.jsonl] [--ambiguous SHARE]

Writes N demo (job posting, member profile) pairs generated deterministically from seed S, one JSON
object per line: {"id", "job", "profile", "meta"}. meta.intendedFit is the fit level the generator
aimed for (balanced low/medium/high), not a teacher label. Without --out the lines go to stdout.

Options:
  --seed S          integer seed (required)
  --n N             number of examples (required)
  --out FILE        output file (.jsonl)
  --ambiguous SHARE share of near-boundary cases, 0..1 (default 0.2)`;

function integer(name: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  return n;
}

export const command: CliCommand = {
  name: 'demo-data',
  summary: 'Generate the deterministic demo dataset (job, profile) pairs as JSONL',
  usage,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { seed: { type: 'string' }, n: { type: 'string' }, out: { type: 'string' }, ambiguous: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    const seed = integer('seed', values.seed);
    const n = integer('n', values.n);
    if (n < 0) throw new UsageError(`--n must be ≥ 0, got ${n}`);
    const ambiguousShare = values.ambiguous === undefined ? 0.2 : Number(values.ambiguous);
    if (!(ambiguousShare >= 0 && ambiguousShare <= 1)) throw new UsageError(`--ambiguous must be between 0 and 1, got "${values.ambiguous}"`);
    const jsonl = toJsonl(generateDemoExamples({ seed, n, ambiguousShare }));
    if (values.out) {
      writeFileSync(values.out, jsonl);
      console.error(`wrote ${n} examples (seed ${seed}) to ${values.out}`);
    } else {
      process.stdout.write(jsonl);
    }
    return 0;
  },
};
