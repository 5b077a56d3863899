// Pretrained weights without an engine: F16/BF16 writing, Hugging Face config.json mapping and its
// refusals, reading (sharded) model folders and their errors, vocabulary pruning.
import { beforeAll, describe, expect, it } from 'vitest';
import { floatToBf16, floatToHalf, readSafetensors, writeSafetensors } from '../../src/engine/safetensors.ts';
import { fromHfConfig, hfLoadPlan, toHfConfig, type DecoderConfig, type EncoderConfig } from '../../src/engine/nn/config.ts';
import { parameterCount } from '../../src/engine/nn/size.ts';
import { folderFromFiles, pruneVocabulary, readModelFolder, stopTokenIds } from '../../src/engine/pretrained.ts';
import { readFileSync } from 'node:fs';
import { loadQwenTokenizer, qwenTokenizerPaths } from '../../src/data/tokenizer-node.ts';
import { buildStudentVocab, SPECIAL_IDS, BYTE_OFFSET, FIRST_MERGED_ID, StudentTokenizer } from '../../src/data/vocab.ts';
import { TINY_DECODER, TINY_ENCODER, decoderSpecs, hfFolderFiles, llamaConfig, makeTensors, modernBertConfig, modernBertSpecs, qwen2Config, roundedTo } from '../helpers/hf-folder.ts';

describe('safetensors F16 / BF16 writing', () => {
  it('rounds to nearest even and reads back what it rounded', () => {
    expect(floatToBf16(1.5)).toBe(0x3fc0);
    expect(floatToBf16(-123.5)).toBe(0xc2f7);
    // 1 + 2^-8 is halfway between two bf16 values: ties go to the even one (1); just above goes up.
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(floatToBf16(NaN) & 0x7fc0).toBe(0x7fc0);
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(70000)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -26)).toBe(0x0000);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    const data = Float32Array.from([0, 1, -2.5, 3.14159, 1e-3, -7e-6, 1234.5678, 2 ** -20]);
    for (const dtype of ['F16', 'BF16'] as const) {
      const file = readSafetensors(writeSafetensors({ w: { shape: [2, 4], data } }, {}, { dtype }));
      expect(file.dtypes.get('w')).toBe(dtype);
      expect(file.tensors.get('w')!.shape).toEqual([2, 4]);
      const back = file.tensors.get('w')!.data;
      expect([...back]).toEqual([...roundedTo(dtype, data)]);
      for (let i = 0; i < data.length; i++) expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(Math.abs(data[i]!) * (dtype === 'BF16' ? 2 ** -8 : 2 ** -11) + (dtype === 'F16' ? 2 ** -25 : 0));
      // Already representable values survive exactly.
      expect([...readSafetensors(writeSafetensors({ w: { shape: [2], data: Float32Array.from([0.5, -3]) } }, {}, { dtype })).tensors.get('w')!.data]).toEqual([0.5, -3]);
    }
  });
});

describe('Hugging Face config.json', () => {
  it('maps Qwen2: GQA, q/k/v biases, tied, rope_theta, rms_norm_eps, eos', () => {
    const config = fromHfConfig(qwen2Config()) as DecoderConfig;
    expect(config).toEqual({
      kind: 'decoder',
      vocabSize: 50,
      hidden: 32,
      layers: 2,
      heads: 4,
      intermediate: 48,
      maxPosition: 64,
      kvHeads: 2,
      ropeTheta: 1e6,
      eps: 1e-6,
      attentionBias: true,
      bosTokenId: 1,
      eosTokenId: 2,
    });
    // Qwen2Config's default is untied.
    const { tie_word_embeddings: _, ...noTie } = qwen2Config();
    expect((fromHfConfig(noTie) as DecoderConfig).tieWordEmbeddings).toBe(false);
  });

  it('maps Llama: untied, no biases by default; attention_bias on q/k/v/o, mlp_bias; eos lists', () => {
    const config = fromHfConfig(llamaConfig()) as DecoderConfig;
    expect(config).toMatchObject({ attentionBias: false, tieWordEmbeddings: false, ropeTheta: 10000, eps: 1e-5, kvHeads: 2 });
    expect(config.outputBias).toBeUndefined();
    const biased = fromHfConfig(llamaConfig(TINY_DECODER, { attention_bias: true, mlp_bias: true, eos_token_id: [2, 7] })) as DecoderConfig;
    expect(biased).toMatchObject({ attentionBias: true, outputBias: true, mlpBias: true, eosTokenId: 2 });
    expect(stopTokenIds({ config: llamaConfig(TINY_DECODER, { eos_token_id: [2, 7] }) })).toEqual([2, 7]);
    expect(stopTokenIds({ config: {}, generation: { eos_token_id: 5 } })).toEqual([5]);
    // toHfConfig writes what transformers reads back the same way.
    expect(fromHfConfig(JSON.parse(JSON.stringify(toHfConfig(biased))))).toEqual(biased);
    expect(fromHfConfig(JSON.parse(JSON.stringify(toHfConfig(config))))).toEqual(config);
    // parameterCount counts the new parameters (the HF state dict's sizes).
    const count = (specs: ReturnType<typeof decoderSpecs>) => specs.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
    expect(parameterCount(config)).toBe(count(decoderSpecs(TINY_DECODER, { qkvBias: false, lmHead: true })));
    expect(parameterCount(biased)).toBe(count(decoderSpecs(TINY_DECODER, { qkvBias: true, oBias: true, mlpBias: true, lmHead: true })));
    expect(parameterCount(fromHfConfig(qwen2Config()))).toBe(count(decoderSpecs(TINY_DECODER, { qkvBias: true, lmHead: false })));
  });

  it('maps ModernBERT with every layer global; absent norm / head biases load as zeros', () => {
    const plan = hfLoadPlan(modernBertConfig());
    expect(plan.config as EncoderConfig).toMatchObject({ kind: 'encoder', numClasses: 3, pooling: 'mean', ropeTheta: 160000, eps: 1e-5, labels: ['LABEL_0', 'LABEL_1', 'LABEL_2'], padTokenId: 0 });
    expect(plan.zeroIfAbsent('model.layers.1.attn_norm.bias')).toBe(true);
    expect(plan.zeroIfAbsent('model.embeddings.norm.bias')).toBe(true);
    expect(plan.zeroIfAbsent('head.dense.bias')).toBe(true);
    expect(plan.zeroIfAbsent('classifier.bias')).toBe(false);
    expect(hfLoadPlan(modernBertConfig(TINY_ENCODER, { norm_bias: true, classifier_bias: true })).zeroIfAbsent('head.norm.bias')).toBe(false);
    // A window covering every position with the global RoPE is global attention.
    expect(() => fromHfConfig(modernBertConfig(TINY_ENCODER, { global_attn_every_n_layers: 3, local_attention: 128, local_rope_theta: 160000 }))).not.toThrow();
  });

  it('refuses what the models cannot compute, naming each field and its value', () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [qwen2Config(TINY_DECODER, { rope_scaling: { type: 'yarn', factor: 4 } }), /rope_scaling = \{"type":"yarn","factor":4\}/],
      [llamaConfig(TINY_DECODER, { rope_scaling: { rope_type: 'llama3', factor: 8 } }), /rope_scaling = .*llama3/],
      [qwen2Config(TINY_DECODER, { hidden_act: 'gelu' }), /hidden_act = "gelu"/],
      [llamaConfig(TINY_DECODER, { head_dim: 16 }), /head_dim = 16 .*hidden_size \/ num_attention_heads = 8/],
      [qwen2Config(TINY_DECODER, { use_sliding_window: true, sliding_window: 16, max_window_layers: 0 }), /use_sliding_window = true with sliding_window = 16/],
      [qwen2Config(TINY_DECODER, { quantization_config: { quant_method: 'gptq' } }), /quantization_config/],
      [modernBertConfig(TINY_ENCODER, { global_attn_every_n_layers: 3, local_attention: 128 }), /global_attn_every_n_layers = 3 with local_attention = 128.*not supported/],
      [modernBertConfig(TINY_ENCODER, { hidden_activation: 'gelu' }), /hidden_activation = "gelu" .*exact erf GELU/],
      [modernBertConfig(TINY_ENCODER, { attention_bias: true }), /attention_bias = true/],
      [modernBertConfig(TINY_ENCODER, { classifier_pooling: 'max' }), /classifier_pooling = "max"/],
      [{ ...qwen2Config(), model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }, /unsupported model_type "gpt2".*supported: qwen2, llama, modernbert/],
      [{ model_type: 'bert', architectures: ['BertForSequenceClassification'], hidden_size: 32 }, /model_type "bert" is not supported/],
      [{ ...qwen2Config(), hidden_size: 'big' }, /"hidden_size" must be a number/],
      [{ ...qwen2Config(), num_key_value_heads: 3 }, /multiple of kvHeads/],
    ];
    for (const [json, message] of refusals) expect(() => fromHfConfig(json), String(message)).toThrow(message);
    // Several problems: all of them in one message.
    expect(() => fromHfConfig(modernBertConfig(TINY_ENCODER, { global_attn_every_n_layers: 3, hidden_activation: 'gelu', classifier_activation: 'gelu' }))).toThrow(
      /global_attn_every_n_layers = 3.*hidden_activation = "gelu".*classifier_activation = "gelu"/,
    );
    expect(() => fromHfConfig(qwen2Config())).not.toThrow();
    expect(() => fromHfConfig(qwen2Config(TINY_DECODER, { rope_scaling: { rope_type: 'default' } }))).not.toThrow();
  });
});

describe('model folders', () => {
  const tensors = makeTensors(decoderSpecs(TINY_DECODER, { qkvBias: true, lmHead: false }), 3);
  const folder = (files: Map<string, Uint8Array>) => folderFromFiles('qwen-tiny', files);

  it('reads one file, shards with their index, and F16 / BF16 as f32', async () => {
    const one = await readModelFolder(folder(hfFolderFiles(qwen2Config(), tensors, { extraFiles: { 'tokenizer.json': '{}', 'generation_config.json': '{"eos_token_id": [2, 3]}' } })));
    expect(one.shards).toEqual(['model.safetensors']);
    expect(one.tokenizer).toBeDefined();
    expect(one.generation).toEqual({ eos_token_id: [2, 3] });
    expect([...one.tensors.keys()]).toEqual([...tensors.keys()]);
    const sharded = await readModelFolder(folder(hfFolderFiles(qwen2Config(), tensors, { shards: 3 })));
    expect(sharded.shards).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(sharded.tensors).toEqual(one.tensors);
    const bf16 = await readModelFolder(folder(hfFolderFiles(qwen2Config(), tensors, { dtype: 'BF16', shards: 2 })));
    expect(new Set(bf16.dtypes.values())).toEqual(new Set(['BF16']));
    for (const [name, t] of tensors) expect(bf16.tensors.get(name)!.data).toEqual(roundedTo('BF16', t.data));
  });

  it('gives a clear error for every malformed folder', async () => {
    const good = () => hfFolderFiles(qwen2Config(), tensors, { shards: 2 });
    const cases: [(f: Map<string, Uint8Array>) => void, RegExp][] = [
      [(f) => f.delete('config.json'), /qwen-tiny has no config.json/],
      [(f) => f.set('config.json', new TextEncoder().encode('{"model_type": ')), /qwen-tiny\/config.json is not valid JSON/],
      [(f) => f.delete('model.safetensors.index.json'), /has no model.safetensors \(nor model.safetensors.index.json/],
      [(f) => (f.delete('model.safetensors.index.json'), f.set('pytorch_model.bin', new Uint8Array(4))), /it has pytorch_model.bin: only safetensors/],
      [(f) => f.delete('model-00002-of-00002.safetensors'), /lists a shard that the folder lacks: model-00002-of-00002.safetensors/],
      [(f) => f.set('model.safetensors.index.json', new TextEncoder().encode('{"metadata": {}}')), /has no "weight_map"/],
      [(f) => f.set('model-00001-of-00002.safetensors', new Uint8Array(3)), /model-00001-of-00002.safetensors: not a safetensors file/],
      [
        (f) => {
          const index = JSON.parse(new TextDecoder().decode(f.get('model.safetensors.index.json')!));
          index.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
          f.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(index)));
        },
        /tensor "model.norm.weight" is in model-00002-of-00002.safetensors but model.safetensors.index.json puts it in model-00001-of-00002.safetensors/,
      ],
      [
        (f) => {
          const index = JSON.parse(new TextDecoder().decode(f.get('model.safetensors.index.json')!));
          index.weight_map['model.extra.weight'] = 'model-00001-of-00002.safetensors';
          f.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(index)));
        },
        /puts tensor "model.extra.weight" in model-00001-of-00002.safetensors, which does not hold it/,
      ],
    ];
    for (const [damage, message] of cases) {
      const files = good();
      damage(files);
      await expect(readModelFolder(folder(files)), String(message)).rejects.toThrow(message);
    }
  });
});

describe('vocabulary pruning', () => {
  it('keeps exactly the rows of the kept ids, in order, bit for bit (embedding and untied lm_head)', () => {
    const config = fromHfConfig(llamaConfig()) as DecoderConfig;
    const tensors = makeTensors(decoderSpecs(TINY_DECODER, { qkvBias: false, lmHead: true }), 5);
    const kept = [2, 7, 0, 49, null, 13];
    const pruned = pruneVocabulary(config, tensors, kept);
    expect(pruned.config.vocabSize).toBe(6);
    expect(pruned.config.eosTokenId).toBe(0); // old eos 2 is new id 0
    expect(pruned.config.bosTokenId).toBeUndefined(); // old bos 1 is not kept
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const src = tensors.get(name)!;
      const out = pruned.tensors.get(name)!;
      expect(out.shape).toEqual([6, 32]);
      kept.forEach((id, i) => {
        const row = out.data.subarray(i * 32, (i + 1) * 32);
        if (id === null) {
          const mean = Array.from({ length: 32 }, (_, c) => Array.from({ length: 50 }, (_, r) => src.data[r * 32 + c]!).reduce((a, b) => a + b, 0) / 50);
          row.forEach((v, c) => expect(v).toBeCloseTo(mean[c]!, 6));
        } else expect(new Uint32Array(row.slice().buffer)).toEqual(new Uint32Array(src.data.slice(id * 32, (id + 1) * 32).buffer));
      });
    }
    expect(pruned.tensors.get('model.norm.weight')).toBe(tensors.get('model.norm.weight'));
    expect(tensors.get('model.embed_tokens.weight')!.shape).toEqual([50, 32]); // source untouched
    expect(() => pruneVocabulary(config, tensors, [1, 50])).toThrow(/kept id 50 \(new id 1\) is outside the model's vocabulary 0..49/);
    expect(() => pruneVocabulary(config, tensors, [1, 1])).toThrow(/id 1 is kept twice/);
    const encoder = fromHfConfig(modernBertConfig()) as EncoderConfig;
    const et = makeTensors(modernBertSpecs(TINY_ENCODER), 6);
    const ep = pruneVocabulary(encoder, et, [5, 3]);
    const src = et.get('model.embeddings.tok_embeddings.weight')!.data;
    expect(ep.tensors.get('model.embeddings.tok_embeddings.weight')!.data).toEqual(Float32Array.from([...src.slice(5 * 32, 6 * 32), ...src.slice(3 * 32, 4 * 32)]));
  });

  describe('the student vocabulary’s Qwen ids', () => {
    let student: StudentTokenizer;
    let qwen: ReturnType<typeof loadQwenTokenizer>;
    beforeAll(() => {
      qwen = loadQwenTokenizer();
      student = new StudentTokenizer(buildStudentVocab(qwen, ['hello world, hello pretrained weights', 'the studio distils'], { maxVocab: 280 }), qwen);
    });

    it('names the Qwen row of every student id (null for the student-only control tokens)', () => {
      const ids = student.qwenIds();
      expect(ids.length).toBe(student.size);
      expect(ids[SPECIAL_IDS.pad]).toBeNull();
      expect(ids[SPECIAL_IDS.cls]).toBeNull();
      expect(ids[SPECIAL_IDS.sep]).toBeNull();
      expect(ids[SPECIAL_IDS.eos]).toBe(qwen.specialIds.endoftext);
      expect(ids[SPECIAL_IDS.imEnd]).toBe(qwen.specialIds.imEnd);
      expect(ids[BYTE_OFFSET + 65]).toBe(qwen.byteTokenId(65));
      expect(ids.slice(FIRST_MERGED_ID)).toEqual(student.vocab.qwenIds);
      // Each id maps back: the student id of a kept Qwen token is its index here.
      ids.forEach((q, s) => q !== null && s >= BYTE_OFFSET && expect(student.qwenToStudent(q)).toEqual([s]));
      expect(new Set(ids.filter((x) => x !== null)).size).toBe(ids.filter((x) => x !== null).length);
    });

    it('tells whether a model folder’s tokenizer.json is the Qwen tokenizer for these ids', () => {
      const json = JSON.parse(readFileSync(qwenTokenizerPaths().tokenizer, 'utf8'));
      expect(student.matchesTokenizerJson(json)).toEqual({ ok: true });
      const merged = student.vocab.qwenIds[0]!;
      const token = qwen.tokenString(merged);
      const other = { ...json, model: { ...json.model, vocab: { ...json.model.vocab, [token]: merged + 1, [qwen.tokenString(merged + 1)]: merged } } };
      const result = student.matchesTokenizerJson(other);
      expect(result.ok).toBe(false);
      expect((result as { reason: string }).reason).toMatch(new RegExp(`^id ${merged} \\(student id ${FIRST_MERGED_ID}\\) is`));
      expect(student.matchesTokenizerJson({ model: { type: 'WordPiece', vocab: {} } })).toMatchObject({ ok: false, reason: /not a byte-level BPE/ });
    });
  });
});
