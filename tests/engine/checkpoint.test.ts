// Checkpoints: the safetensors codec, Hugging Face config.json, and save → load giving identical logits.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { seededInit } from '../../src/engine/nn/module.ts';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/engine/checkpoint.ts';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../../src/engine/safetensors.ts';
import { ConfigError, decoderConfig, encoderConfig, fromHfConfig, toHfConfig } from '../../src/engine/nn/config.ts';

describe('safetensors', () => {
  it('round-trips tensors and metadata in the documented layout', () => {
    const a = { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6e-8]) };
    const b = { shape: [1], data: Float32Array.from([Math.PI]) };
    const bytes = writeSafetensors({ 'model.a.weight': a, 'b': b }, { format: 'pt' });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const headerLen = Number(view.getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header['model.a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [1], data_offsets: [24, 28] });
    expect(bytes.length).toBe(8 + headerLen + 28);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...back.tensors.keys()]).toEqual(['model.a.weight', 'b']);
    expect(back.tensors.get('model.a.weight')).toEqual(a);
    expect(back.tensors.get('b')!.data[0]).toBe(Math.fround(Math.PI));
  });

  it('widens F16 and BF16 tensors written by other tools', () => {
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, bf: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } });
    const hb = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + hb.length + 10);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(hb.length), true);
    bytes.set(hb, 8);
    const d = 8 + hb.length;
    view.setUint16(d, 0x3c00, true); // 1
    view.setUint16(d + 2, 0xc000, true); // -2
    view.setUint16(d + 4, 0x0001, true); // smallest subnormal
    view.setUint16(d + 6, 0x3fc0, true); // 1.5 in bf16
    view.setUint16(d + 8, 0xc2f7, true); // -123.5
    const { tensors } = readSafetensors(bytes);
    expect([...tensors.get('h')!.data]).toEqual([1, -2, Math.fround(2 ** -24)]);
    expect([...tensors.get('bf')!.data]).toEqual([1.5, -123.5]);
  });

  it('rejects corrupt files with a clear error', () => {
    expect(() => readSafetensors(new Uint8Array(4))).toThrow(SafetensorsError);
    const good = writeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(good.subarray(0, good.length - 4))).toThrow(/data_offsets/);
    const badLen = good.slice();
    new DataView(badLen.buffer).setBigUint64(0, 10n ** 12n, true);
    expect(() => readSafetensors(badLen)).toThrow(/header length/);
    expect(() => writeSafetensors({ w: { shape: [3], data: new Float32Array(4) } })).toThrow(/needs 3 values/);
  });
});

describe('config.json', () => {
  it('maps an encoder to ModernBERT keys and back', () => {
    const config = encoderConfig('tiny', { vocabSize: 100, numClasses: 3, pooling: 'mean', labels: ['low', 'medium', 'high'] });
    const hf = toHfConfig(config);
    expect(hf).toMatchObject({
      architectures: ['ModernBertForSequenceClassification'],
      model_type: 'modernbert',
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 64,
      vocab_size: 100,
      num_labels: 3,
      classifier_pooling: 'mean',
      global_attn_every_n_layers: 1,
      id2label: { 0: 'low', 1: 'medium', 2: 'high' },
      label2id: { low: 0, medium: 1, high: 2 },
    });
    expect(fromHfConfig(JSON.parse(JSON.stringify(hf)))).toEqual(config);
  });

  it('maps a decoder to Qwen2 keys and back', () => {
    const config = decoderConfig('small', { vocabSize: 500, eosTokenId: 2 });
    const hf = toHfConfig(config);
    expect(hf).toMatchObject({
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      hidden_size: 128,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 1_000_000,
      tie_word_embeddings: true,
      eos_token_id: 2,
    });
    expect(fromHfConfig(JSON.parse(JSON.stringify(hf)))).toEqual(config);
  });

  it('refuses configs it cannot honour', () => {
    const hf = toHfConfig(decoderConfig('tiny', { vocabSize: 50 }));
    // Untied decoders load now (a separate lm_head.weight); RoPE scaling does not.
    expect(fromHfConfig({ ...hf, tie_word_embeddings: false })).toMatchObject({ tieWordEmbeddings: false });
    expect(() => fromHfConfig({ ...hf, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(ConfigError);
    expect(() => fromHfConfig({ ...hf, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] })).toThrow(/unsupported model/);
    expect(() => fromHfConfig({ ...hf, hidden_size: 'big' })).toThrow(/hidden_size/);
    expect(() => decoderConfig('tiny', { vocabSize: 50, kvHeads: 3 } as never)).toThrow(/kvHeads/);
    expect(() => encoderConfig('tiny', { vocabSize: 50, numClasses: 3, labels: ['a'] })).toThrow(/labels/);
  });
});

describe('checkpoint round trip', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  /** As a store would keep it: JSON text, and the bytes at an odd offset inside a bigger buffer. */
  function throughStorage(c: Checkpoint): Checkpoint {
    const big = new Uint8Array(c.weights.length + 3);
    big.set(c.weights, 3);
    return { weights: big.subarray(3), config: JSON.parse(JSON.stringify(c.config)) };
  }

  it('an encoder classifier loads with identical logits', async () => {
    const config = encoderConfig('tiny', { vocabSize: 30, numClasses: 3, pooling: 'mean', labels: ['low', 'medium', 'high'] });
    const model = new EncoderClassifier(engine, config, seededInit(11, 0.2));
    const batch = () => ({
      inputIds: engine.upload(Int32Array.from([1, 5, 9, 2, 7, 7, 0, 0]), [2, 4], 'i32'),
      attentionMask: engine.upload(Float32Array.from([1, 1, 1, 1, 1, 1, 0, 0]), [2, 4]),
    });
    const logits = (t: EncoderClassifier) => engine.autograd.noGrad(() => engine.tidy(async () => t.forward(batch()).read()));
    const before = await logits(model);
    const saved = await saveCheckpoint(model);
    const names = [...readSafetensors(saved.weights).tensors.keys()];
    expect(names).toContain('model.layers.1.attn.Wqkv.weight');
    expect(names).toContain('classifier.bias');
    expect(names).not.toContain('model.layers.0.attn_norm.weight'); // identity in ModernBERT's layer 0
    const loaded = loadCheckpoint(engine, throughStorage(saved));
    expect(loaded).toBeInstanceOf(EncoderClassifier);
    expect(loaded.config).toEqual(config);
    expect(await logits(loaded as EncoderClassifier)).toEqual(before);
    model.release();
    loaded.release();
  });

  it('a decoder loads with identical logits and saves no separate lm_head (tied)', async () => {
    const config = decoderConfig('tiny', { vocabSize: 40 });
    const model = new DecoderLM(engine, config, seededInit(12, 0.2));
    const logits = (t: DecoderLM) => engine.autograd.noGrad(() => engine.tidy(async () => t.forward({ inputIds: engine.upload(Int32Array.from([3, 1, 4, 1, 5, 9]), [1, 6], 'i32') }).read()));
    const before = await logits(model);
    const saved = await saveCheckpoint(model, { step: '100' });
    const file = readSafetensors(saved.weights);
    expect(file.metadata).toEqual({ format: 'pt', step: '100' });
    expect([...file.tensors.keys()]).not.toContain('lm_head.weight');
    expect(file.tensors.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([16, 32]); // one kv head of 16
    const loaded = loadCheckpoint(engine, throughStorage(saved));
    expect(loaded.config).toEqual(config);
    expect(await logits(loaded as DecoderLM)).toEqual(before);
    model.release();
    loaded.release();
  });

  it('refuses a checkpoint that does not fit its config and keeps no memory', async () => {
    const model = new DecoderLM(engine, decoderConfig('tiny', { vocabSize: 40 }), seededInit(1));
    const saved = await saveCheckpoint(model);
    model.release();
    const live = engine.pool.getStats().liveBytes;
    const wrongVocab = { ...saved, config: { ...saved.config, vocab_size: 41 } };
    expect(() => loadCheckpoint(engine, wrongVocab)).toThrow(/model.embed_tokens.weight" has shape \[40, 32\], the model needs \[41, 32\]/);
    const asEncoder = { weights: saved.weights, config: toHfConfig(encoderConfig('tiny', { vocabSize: 40, numClasses: 2 })) };
    expect(() => loadCheckpoint(engine, asEncoder)).toThrow(/has no tensor "model.embeddings.tok_embeddings.weight"/);
    expect(engine.pool.getStats().liveBytes).toBe(live);
  });
});
