// Checkpoints: the safetensors codec, Hugging Face config.json, and save → load giving identical logits.
import { describe, expect, it } from 'vitest';
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
    expect(() => fromHfConfig({ ...hf, tie_word_embeddings: false })).toThrow(ConfigError);
    expect(() => fromHfConfig({ ...hf, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] })).toThrow(/unsupported model/);
    expect(() => fromHfConfig({ ...hf, hidden_size: 'big' })).toThrow(/hidden_size/);
    expect(() => decoderConfig('tiny', { vocabSize: 50, kvHeads: 3 } as never)).toThrow(/kvHeads/);
    expect(() => encoderConfig('tiny', { vocabSize: 50, numClasses: 3, labels: ['a'] })).toThrow(/labels/);
  });
});
