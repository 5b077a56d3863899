// The pipeline can learn: its in-house teacher, trained the way runExperiment trains it (the
// task's prompt layout, the pruned student vocabulary, teacher-forced SFT), then asked the way
// runExperiment asks it for D_synth (label-token logits at the prompt's end, greedy decoding),
// regenerates the labels and explanations of the few seed pairs it was trained on.
//
// Everything runs through runExperiment; the run stops once D_synth is written (nothing after it
// is needed). The references are the seed set's answers cut to the response the layout holds.
// This fails when training and decoding disagree on the prompt (the old cut that varied with the
// response's length), when label tokens or the vocabulary are mixed up, or when the teacher cannot
// fit four pairs in its steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { parseExperiment, teacherDims, type ExperimentInput } from '../../src/experiment/schema.ts';
import { createNodeHost, fileStore, type NodeHost } from '../../src/experiment/run/node-host.ts';
import { runExperiment } from '../../src/experiment/run/pipeline.ts';
import { Stopped } from '../../src/experiment/run/stopped.ts';
import type { RunEvent } from '../../src/experiment/run/host.ts';
import type { Answer, SeedSet } from '../../src/experiment/run/data.ts';
import type { DecodedAnswer } from '../../src/experiment/run/decode.ts';
import { decoderLayout, TaskCodec } from '../../src/experiment/task.ts';
import { StudentTokenizer, type StudentVocabJson } from '../../src/data/vocab.ts';
import { loadQwenTokenizer } from '../../src/data/tokenizer-node.ts';
import { rougeL, rougeTokenize } from '../../src/metrics/rouge.ts';

const MAX_SEQ_LEN = 64;
const NEW_TOKENS = 16;

const EXPERIMENT: ExperimentInput = {
  version: 1,
  name: 'memorise the seed set',
  seed: 2,
  // 10 demo pairs: 6 test, no validation, 4 training pairs, all of them in the seed set.
  dataset: { demo: { seed: 4, n: 10 }, split: { train: 0.4, val: 0, test: 0.6 } },
  seedSet: { policy: 'auto-accept', minConfidence: 0 },
  // A 64-token context cuts every prompt (job and profile heads only), so the layout matters.
  inHouseTeacher: { preset: 'tiny', steps: 60, batchSize: 4, maxSeqLen: MAX_SEQ_LEN, evalEvery: 0, optimizer: { lr: 0.01 }, schedule: { kind: 'constant' } },
  synthetic: { logits: 'full', maxNewTokens: NEW_TOKENS },
  stages: [{ id: 'classifier', task: 'classify', student: { preset: 'tiny' }, source: 'teacher', steps: 1, batchSize: 4, maxSeqLen: MAX_SEQ_LEN, evalEvery: 0 }],
  eval: { metrics: ['accuracy'], maxNewTokens: NEW_TOKENS },
};

let host: NodeHost;
let onEvent: (e: RunEvent) => void = () => undefined;
const dirs: string[] = [];

beforeAll(async () => {
  const device = await testDevice();
  host = await createNodeHost({ device, engine: new Engine(device.device), emit: (e) => onEvent(e) });
});
afterAll(async () => {
  await host?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the in-house teacher memorises its seed set', () => {
  it('regenerates the labels and explanations it was trained on', async () => {
    const config = parseExperiment(EXPERIMENT).config;
    const out = mkdtempSync(join(tmpdir(), 'lantern-memorise-'));
    dirs.push(out);
    const stop = new AbortController();
    onEvent = (e) => {
      if (e.type === 'phase' && e.phase === 'synthetic' && e.status === 'done') stop.abort();
    };
    await expect(runExperiment(config, host, fileStore(out), { signal: stop.signal })).rejects.toBeInstanceOf(Stopped);

    const read = <T>(name: string) => JSON.parse(readFileSync(join(out, name), 'utf8')) as T;
    const seed = read<SeedSet>('seed-set.json').answers;
    const synthetic = read<DecodedAnswer[]>('synthetic.json');
    const teacher = read<{ train: { loss: number }[] }>('teacher.json');
    expect(seed.length).toBe(4);
    // D_synth covers the training split, which is the seed set here.
    expect(synthetic.map((s) => s.exampleId).sort()).toEqual(seed.map((a) => a.exampleId).sort());
    expect(teacher.train.at(-1)!.loss).toBeLessThan(0.1);

    // What the teacher was trained to write: the seed answer as the layout's response holds it.
    const codec = new TaskCodec(new StudentTokenizer(read<StudentVocabJson>('vocab.json'), await loadQwenTokenizer()));
    const layout = decoderLayout(MAX_SEQ_LEN, teacherDims(config.inHouseTeacher)!.maxPosition, NEW_TOKENS);
    const expected = (a: Answer) => codec.parseResponse(codec.response(a.label, a.explanation).slice(0, layout.responseTokens));
    const bySeed = new Map(seed.map((a) => [a.exampleId, a]));
    for (const s of synthetic) {
      const want = expected(bySeed.get(s.exampleId)!);
      expect(want.explanation.length).toBeGreaterThan(20);
      expect(s.label).toBe(bySeed.get(s.exampleId)!.label);
      // ROUGE-L ≥ 0.9 on every pair (a memorising teacher writes them exactly; the bar leaves room
      // for a last-token difference on other GPUs' arithmetic).
      const score = rougeL(rougeTokenize(want.explanation), rougeTokenize(s.explanation)).fmeasure;
      expect(score, `${s.exampleId}: "${s.explanation}" vs "${want.explanation}"`).toBeGreaterThanOrEqual(0.9);
    }
  });
});
