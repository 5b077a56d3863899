import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { meanRouge, rouge, type RougeScores } from '../../src/metrics/rouge.ts';

const usage = `Usage: lantern score --in PAIRS.jsonl [--stem]

Scores predictions against references with ROUGE-1/2/L/Lsum, exactly as Google's rouge-score does.

  --in FILE   JSON lines, each {"reference": "...", "prediction": "..."} (other keys are ignored);
              "-" reads standard input
  --stem      Porter-stem tokens longer than 3 characters (rouge-score's use_stemmer)

Prints one JSON object per input line, in order:
  {"rouge1": {"precision", "recall", "fmeasure"}, "rouge2": {…}, "rougeL": {…}, "rougeLsum": {…}}
and the mean over all lines on stderr. rougeLsum treats "\\n" inside a text as a sentence break.
Every line is checked first: if any is bad, each bad line is reported with its number and
nothing is printed on stdout (exit code 1).`;

interface Pair {
  reference: string;
  prediction: string;
}

async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Every line parsed, or every problem found (1-based line numbers). */
export function parsePairs(text: string): { pairs: Pair[]; problems: string[] } {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop(); // trailing newline(s)
  const pairs: Pair[] = [];
  const problems: string[] = [];
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line.trim() === '') {
      problems.push(`${where}: empty line (every line must be one pair, so output lines match input lines)`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      problems.push(`${where}: not valid JSON (${(e as Error).message})`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${where}: expected a JSON object with "reference" and "prediction"`);
      return;
    }
    const record = value as Record<string, unknown>;
    const bad = (['reference', 'prediction'] as const).filter((k) => typeof record[k] !== 'string');
    if (bad.length > 0) {
      problems.push(`${where}: ${bad.map((k) => (k in record ? `"${k}" must be a string` : `missing "${k}"`)).join(', ')}`);
      return;
    }
    pairs.push({ reference: record.reference as string, prediction: record.prediction as string });
  });
  return { pairs, problems };
}

const fixed = (scores: RougeScores) =>
  Object.entries(scores)
    .map(([type, s]) => `${type} F=${s.fmeasure.toFixed(4)}`)
    .join('  ');

export const command: CliCommand = {
  name: 'score',
  summary: 'ROUGE-1/2/L/Lsum of predictions against references (JSON lines), as rouge-score computes it',
  usage,
  async run(args) {
    const { values } = parseArgs({ args, options: { in: { type: 'string' }, stem: { type: 'boolean', default: false } }, allowPositionals: false });
    if (!values.in) throw new UsageError('--in is required');

    const { pairs, problems } = parsePairs(await readInput(values.in));
    if (problems.length > 0) {
      console.error(`lantern score: ${problems.length} bad line${problems.length === 1 ? '' : 's'} in ${values.in === '-' ? 'standard input' : values.in}; nothing scored:`);
      for (const p of problems) console.error(`  ${p}`);
      return 1;
    }
    const all = pairs.map((p) => rouge(p.reference, p.prediction, { stem: values.stem ?? false }));
    process.stdout.write(all.map((s) => JSON.stringify(s)).join('\n') + (all.length > 0 ? '\n' : ''));
    console.error(`scored ${all.length} pair${all.length === 1 ? '' : 's'}${values.stem ? ' (stemmed)' : ''}; mean: ${fixed(meanRouge(all))}`);
    return 0;
  },
};
