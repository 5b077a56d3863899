import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.ts';
import { applyMapping, parseJsonl, suggestMapping } from '../../src/data/import.ts';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import { MIN_VOCAB, StudentTokenizer, buildStudentVocab } from '../../src/data/vocab.ts';
import { exampleText } from '../../src/data/format.ts';
import { compressionReport } from '../../src/data/compress.ts';

const usage = `Usage: lantern vocab --in DATA.jsonl [--max-vocab N] [--compress] [--out VOCAB.json]

Builds the pruned student vocabulary of a dataset (JSONL with id, job, profile — what
\`lantern demo-data\` writes) from the real Qwen3 tokenizer, checks that every example round-trips
exactly, and prints a JSON report: vocabulary size, token counts, and the length reduction that
input compression (keeping only the posting's requirement sections) achieves on the dataset.

Options:
  --in FILE        dataset (.jsonl)
  --max-vocab N    cap on student ids, control and byte tokens included (default 8192, min ${MIN_VOCAB})
  --compress       build the vocabulary from compressed inputs
  --out FILE       write the vocabulary JSON (saved with the dataset by the studio)`;

export const command: CliCommand = {
  name: 'vocab',
  summary: 'Build a dataset\'s pruned Qwen3 student vocabulary and report sizes and input compression',
  usage,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { in: { type: 'string' }, 'max-vocab': { type: 'string' }, compress: { type: 'boolean' }, out: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (!values.in) throw new UsageError('--in is required');
    const maxVocab = values['max-vocab'] === undefined ? 8192 : Number(values['max-vocab']);
    if (!Number.isInteger(maxVocab) || maxVocab < MIN_VOCAB) throw new UsageError(`--max-vocab must be an integer ≥ ${MIN_VOCAB}, got "${values['max-vocab']}"`);

    let text: string;
    try {
      text = readFileSync(values.in, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${values.in}: ${(e as Error).message}`);
    }
    const source = parseJsonl(text);
    const preview = applyMapping(source, suggestMapping(source.fields));
    if (preview.errors.length) {
      for (const e of preview.errors.slice(0, 10)) console.error(`${values.in}:${e.line}: ${e.field}: ${e.reason}`);
      throw new Error(`${preview.errors.length} invalid rows in ${values.in}`);
    }
    const examples = preview.examples;
    console.error(`loading the Qwen3 tokenizer; ${examples.length} examples`);
    const qwen = loadQwenTokenizer();
    const compress = values.compress ?? false;
    const texts = examples.map((e) => exampleText(e, { compress }));
    const vocab = buildStudentVocab(qwen, texts, { maxVocab });
    const tokenizer = new StudentTokenizer(vocab, qwen);
    let qwenTokens = 0;
    let studentTokens = 0;
    for (const t of texts) {
      const ids = tokenizer.encode(t);
      if (tokenizer.decode(ids) !== t) throw new Error('round trip failed: the student tokenizer did not give the text back');
      studentTokens += ids.length;
      qwenTokens += qwen.encode(t).length;
    }
    if (values.out) {
      writeFileSync(values.out, JSON.stringify(vocab));
      console.error(`wrote ${values.out}`);
    }
    const report = {
      examples: examples.length,
      compressedInputs: compress,
      qwenVocabSize: qwen.vocabSize,
      maxVocab,
      studentVocabSize: tokenizer.size,
      tokens: { qwen: qwenTokens, student: studentTokens, perExample: studentTokens / Math.max(1, examples.length) },
      compression: compressionReport(examples, (t) => qwen.encode(t).length),
    };
    console.log(JSON.stringify(report, null, 2));
    return 0;
  },
};
