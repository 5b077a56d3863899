// README.md of a bundle: what the model does, how it was trained (with the experiment's share
// link), its test metrics, and how to run it with transformers.js — written from the manifest.
import { encodeShareLink } from '../experiment/share-link.ts';
import type { BundleManifest } from './bundle.ts';

const fmt = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));

export function bundleReadme(m: BundleManifest): string {
  const stage = m.experiment.stages.find((s) => s.id === m.stage.id)!;
  const classify = m.task === 'classify';
  const link = encodeShareLink(m.experiment);
  const loss = stage.loss;
  const metricRows = Object.entries(m.metrics).map(([k, v]) => `| ${k.slice(k.indexOf('.') + 1)} | ${fmt(v)} |`);
  const tok = m.tokenizer;
  const lines = [
    `# ${m.stage.id}: Lantern Studio ${classify ? 'fit classifier' : 'fit explainer'}`,
    '',
    classify
      ? 'Rates how well a candidate fits a job posting: **low**, **medium** or **high** (job–person fit, after the LANTERN paper, arXiv 2510.05490). A small encoder that reads the job and the profile and gives the three class probabilities.'
      : 'Rates how well a candidate fits a job posting (**low**, **medium** or **high**) and writes a short explanation of the rating (job–person fit, after the LANTERN paper, arXiv 2510.05490). A small decoder: the label is the first token of its answer, the explanation follows.',
    '',
    `- Architecture: \`${m.model.architecture}\` (${m.model.kind}), ${(m.stage.parameters / 1e6).toFixed(2)} M parameters, preset \`${m.stage.preset}\``,
    `- Vocabulary: ${m.model.vocabSize} tokens (Qwen3's tokenizer pruned to the training data; byte fallback keeps any text encodable)`,
    `- Input: at most ${m.stage.maxSeqLen} tokens${m.generation ? `; at most ${m.generation.maxNewTokens} new tokens of explanation` : ''}`,
    '',
    '## Training',
    '',
    `Experiment "${m.experiment.name ?? '(unnamed)'}", seed ${m.experiment.seed}. Stage \`${stage.id}\`: task ${stage.task}, taught by \`${stage.source}\`, loss ${loss.divergence}${loss.param !== undefined ? `(${loss.param})` : ''} at temperature ${loss.temperature} (w_kd ${loss.wKd}, w_ce ${loss.wCe}), ${stage.steps} steps of batch ${stage.batchSize}, ${stage.optimizer.lr} learning rate.`,
    '',
    `Open the whole experiment in Lantern Studio with this link (append it to the studio's address): \`${link}\`. The full configuration is in \`lantern.json\` (\`experiment\`).`,
    '',
    '## Test metrics',
    '',
    ...(metricRows.length ? ['| metric | value |', '|---|---|', ...metricRows] : ['No test metrics were recorded for this stage.']),
    '',
    '## Files',
    '',
    '| file | what |',
    '|---|---|',
    '| `config.json`, `model.safetensors` | Hugging Face config and weights (f32) |',
    ...(m.generation ? ['| `generation_config.json` | greedy decoding, stops at `<|endoftext|>` |'] : []),
    '| `tokenizer.json`, `tokenizer_config.json` | the student tokenizer |',
    `| \`onnx/model.onnx\` | ONNX (opset ${m.model.onnxOpset}), f32${m.generation ? '; with past key/values for incremental generation' : ''} |`,
    '| `onnx/model_fp16.onnx` | the same graph with f16 weights (half the size); inputs, outputs and arithmetic stay f32 |',
    '| `lantern.json` | task, input format, label tokens, metrics, experiment, and the size and SHA-256 of every file |',
    '',
    '## Input format',
    '',
    'The job is written as `Job: <title>[ at <company>]`, `Location: <location>, <remote policy>`, then the posting — only its requirement sections (requirements, qualifications, nice-to-have), as in training. The profile is `Candidate: <headline>`, then `Location:`, `Summary:`, `Skills:`, `Experience:` (one `- <title> at <company> (<n> years): <description>` line each), `Education:` and `Certifications:` lines, where present.',
    '',
    classify
      ? 'The model reads `<|cls|> job <|sep|> profile`: the tokenizer writes exactly that for the text pair (job, profile).'
      : `The prompt is \`<|im_start|>\` followed by the job, \`${JSON.stringify(m.input.gap)}\`, the profile and \`${JSON.stringify(m.input.promptEnd)}\`, each text encoded on its own (encoding them joined would merge tokens across the seams). The answer's first token is the label: the most probable of ids ${m.labelTokenIds?.join(', ')} (" low", " medium", " high") at the prompt's last position; the explanation is generated greedily after it.`,
    '',
    '## Run it with transformers.js',
    '',
    '```js',
    "import { env, AutoTokenizer, " + (classify ? 'AutoModelForSequenceClassification' : 'AutoModelForCausalLM, Tensor') + " } from '@huggingface/transformers';",
    "env.allowRemoteModels = false;",
    "env.localModelPath = '/models/'; // this folder, unzipped, served at /models/<name>/",
    "env.backends.onnx.wasm.wasmPaths = { wasm: '/ort-wasm-simd-threaded.asyncify.wasm' }; // serve onnxruntime-web's WASM yourself (else a CDN is used)",
    "const tokenizer = await AutoTokenizer.from_pretrained('<name>');",
    ...(classify
      ? [
          "const model = await AutoModelForSequenceClassification.from_pretrained('<name>', { dtype: 'fp32' });",
          'const inputs = tokenizer(jobText, { text_pair: profileText });',
          'const { logits } = await model(inputs);',
          'const z = Array.from(logits.data);',
          'const e = z.map((v) => Math.exp(v - Math.max(...z)));',
          'const probs = e.map((v) => v / e.reduce((a, b) => a + b, 0)); // in config.json id2label order: low, medium, high',
        ]
      : [
          "const model = await AutoModelForCausalLM.from_pretrained('<name>', { dtype: 'fp32' });",
          "const enc = (t) => tokenizer.encode(t, { add_special_tokens: false });",
          `// The student trained on prompts of at most ${m.generation?.promptTokens} tokens: shorten job and profile texts to fit.`,
          `const prompt = [${m.input.imStartTokenId}, ...enc(jobText), ...enc(${JSON.stringify(m.input.gap)}), ...enc(profileText), ...enc(${JSON.stringify(m.input.promptEnd)})];`,
          "const ids = (a) => new Tensor('int64', BigInt64Array.from(a.map(BigInt)), [1, a.length]);",
          'const out = await model({ input_ids: ids(prompt), attention_mask: ids(prompt.map(() => 1)) });',
          'const V = out.logits.dims[2];',
          "const last = out.logits.data.subarray((prompt.length - 1) * V, prompt.length * V); // the prompt's last position",
          `const labelIds = [${m.labelTokenIds?.join(', ')}]; // " low", " medium", " high"`,
          'const label = labelIds.reduce((best, id) => (last[id] > last[best] ? id : best));',
          `const gen = await model.generate({ inputs: ids([...prompt, label]), max_new_tokens: ${m.generation?.maxNewTokens}, do_sample: false, eos_token_id: ${m.input.eosTokenId} });`,
          'const explanation = tokenizer.decode(gen.tolist()[0].slice(prompt.length + 1).map(Number), { skip_special_tokens: true }).trim();',
        ]),
    '```',
    '',
    'onnxruntime-web can run `onnx/model.onnx` directly: inputs `input_ids` and `attention_mask` (int64)' + (classify ? ', output `logits` [batch, 3].' : ', `position_ids`, and `past_key_values.N.key/value` (f32 [batch, kv heads, past length, head dim], length 0 at first); outputs `logits` and `present.N.key/value`.'),
    '',
    '## Tokenizer notes',
    '',
    `The tokenizer runs Qwen3's merges on text and falls back to bytes for tokens outside the student vocabulary, which is what the studio does. Text in Latin scripts (accents, typographic quotes and dashes included) gets exactly the studio's ids. Qwen tokens that are pieces of a multi-byte character cannot be written as text: ${tok.mergesLeftOut} of Qwen's merges are left out and ${tok.partialTokens} vocabulary token(s) are unreachable, so text in other scripts (CJK, Cyrillic, Devanagari, emoji…) may get a few different ids than in the studio. Control-token strings typed inside a text (\`<|cls|>\`) become control tokens here; the studio keeps them as text. The file is for transformers.js / @huggingface/tokenizers: Python's \`tokenizers\` wants every merge's result in the vocabulary and refuses it (the weights themselves load with \`from_pretrained\`).`,
    '',
  ];
  return lines.join('\n');
}
