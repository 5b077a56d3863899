// LoRA: training moves only the adapters (base weights bit-identical), and merging them into the
// base weights gives the outputs of base + adapters.
import { beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/webgpu.ts';
import { Engine } from '../../src/engine/runtime.ts';
import { DecoderLM } from '../../src/engine/nn/decoder.ts';
import { EncoderClassifier } from '../../src/engine/nn/encoder.ts';
import { decoderConfig, encoderConfig } from '../../src/engine/nn/config.ts';
import { seededInit, type Model } from '../../src/engine/nn/module.ts';
import { applyLora, LORA_DEFAULT_TARGETS, loraLayers, mergeLora, saveLoraAdapter, setLoraStep } from '../../src/engine/nn/lora.ts';
import { loraParameterCount } from '../../src/engine/nn/size.ts';
import { logitRows, nextTokenBatch, Trainer } from '../../src/engine/nn/train.ts';
import { decoderForwardRef } from '../../src/engine/nn/reference.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint.ts';
import { readSafetensors } from '../../src/engine/safetensors.ts';
import { compare } from '../../src/engine/selftest/check.ts';
import { AdamW } from '../../src/engine/optim.ts';
import { crossEntropy } from '../../src/engine/ops/kd-loss.ts';

async function snapshot(model: Model<unknown>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const { name, tensor } of model.parameters()) out.set(name, (await tensor.read()) as Float32Array);
  return out;
}

const sequences = [
  [2, 9, 4, 17, 5, 11, 3, 8],
  [6, 1, 12, 12, 7, 19, 4, 2],
];
const probe = [3, 14, 9, 1, 18, 6];

describe('LoRA', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = new Engine((await testDevice()).device);
  });

  it('trains only the adapters and merges into identical outputs', async () => {
    const config = decoderConfig('tiny', { vocabSize: 20 });
    const model = new DecoderLM(engine, config, seededInit(4, 0.1));
    const base = await snapshot(model);
    const adapted = applyLora(model, { rank: 4, alpha: 8, targets: LORA_DEFAULT_TARGETS.decoder });
    expect(adapted).toHaveLength(7 * config.layers);
    const trainable = model.trainableParameters();
    expect(trainable.every((t) => /\.lora_[AB]\.weight$/.test(t.name!))).toBe(true);
    expect(trainable).toHaveLength(2 * adapted.length);

    const optimizer = new AdamW(trainable, { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    const trainer = new Trainer(engine, trainable, optimizer, { readLossEvery: 1000 });
    const lossFn = () => {
      const b = nextTokenBatch(engine, sequences);
      return crossEntropy(logitRows(model.forward({ inputIds: b.inputIds })), b.targets, b.mask);
    };
    const first = (await trainer.step(lossFn, { readLoss: true })).loss!;
    for (let i = 0; i < 20; i++) await trainer.step(lossFn);
    const last = (await trainer.step(lossFn, { readLoss: true })).loss!;
    expect(last).toBeLessThan(first * 0.9);

    const after = await snapshot(model);
    for (const [name, values] of base) expect(after.get(name), name).toEqual(values); // bit-identical
    for (const name of adapted) {
      expect(after.get(`${name}.lora_B.weight`)!.some((v) => v !== 0), `${name}.lora_B changed`).toBe(true);
    }

    // base + adapters: the GPU model against the float64 reference composed from CPU ops.
    const ids = engine.upload(Int32Array.from(probe), [1, probe.length], 'i32');
    const logits = async () => (await engine.autograd.noGrad(() => engine.tidy(async () => model.forward({ inputIds: ids }).read()))) as Float32Array;
    const withAdapters = await logits();
    const ref = decoderForwardRef(config, after, probe, 1, probe.length, { rank: 4, alpha: 8 });
    expect(compare('lora forward', withAdapters, ref, 1e-3)).toMatchObject({ ok: true });

    // A checkpoint of the adapted model holds merged weights under plain names.
    const checkpoint = await saveCheckpoint(model);
    expect([...readSafetensors(checkpoint.weights).tensors.keys()].some((n) => n.includes('lora'))).toBe(false);
    const adapter = await saveLoraAdapter(model, { taskType: 'CAUSAL_LM' });
    expect(adapter.config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8 });
    expect(readSafetensors(adapter.weights).tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape).toEqual([4, 32]);

    mergeLora(model);
    expect([...model.params.keys()].some((n) => n.includes('lora'))).toBe(false);
    expect(model.trainableParameters()).toHaveLength(model.params.size);
    const merged = await logits();
    const result = compare('merged vs adapters', merged, withAdapters, 1e-4);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(merged).not.toEqual(await (async () => {
      const plain = new DecoderLM(engine, config, seededInit(4, 0.1));
      const out = await engine.autograd.noGrad(() => engine.tidy(async () => plain.forward({ inputIds: ids }).read()));
      plain.release();
      return out;
    })());

    const reloaded = loadCheckpoint(engine, checkpoint) as DecoderLM;
    const fromCheckpoint = (await engine.autograd.noGrad(() => engine.tidy(async () => reloaded.forward({ inputIds: ids }).read()))) as Float32Array;
    expect(compare('checkpoint vs adapters', fromCheckpoint, withAdapters, 1e-4)).toMatchObject({ ok: true });

    ids.release();
    reloaded.release();
    optimizer.release();
    model.release();
  });

  it('keeps named modules trainable and rejects targets that match nothing', () => {
    const model = new EncoderClassifier(engine, encoderConfig('tiny', { vocabSize: 20, numClasses: 3 }), seededInit(1));
    expect(() => applyLora(model, { rank: 2, alpha: 4, targets: ['q_proj'] })).toThrow(/match no layer/);
    expect(() => applyLora(model, { rank: 0, alpha: 4, targets: ['Wqkv'] })).toThrow(/rank/);
    const adapted = applyLora(model, { rank: 2, alpha: 4, targets: LORA_DEFAULT_TARGETS.encoder, trainable: ['head', 'classifier'] });
    expect(adapted).toEqual(['model.layers.0.attn.Wqkv', 'model.layers.0.attn.Wo', 'model.layers.0.mlp.Wi', 'model.layers.0.mlp.Wo', 'model.layers.1.attn.Wqkv', 'model.layers.1.attn.Wo', 'model.layers.1.mlp.Wi', 'model.layers.1.mlp.Wo']);
    const trainable = model.parameters().filter((p) => p.tensor.requiresGrad).map((p) => p.name).filter((n) => !n.includes('lora'));
    expect(trainable.sort()).toEqual(['classifier.bias', 'classifier.weight', 'head.dense.bias', 'head.dense.weight', 'head.norm.bias', 'head.norm.weight']);
    expect(() => applyLora(model, { rank: 2, alpha: 4, targets: ['Wo'] })).toThrow(/already has LoRA/);
    // The trainable count from the config alone is the built model's.
    const count = model.trainableParameters().reduce((n, t) => n + t.size, 0);
    expect(loraParameterCount(model.config, ['attn.Wqkv', 'attn.Wo', 'mlp.Wi', 'mlp.Wo'], 2, ['head', 'classifier'])).toBe(count);
    model.release();
  });

  it('counts a decoder\'s adapters from its config as the built model has them', () => {
    const config = decoderConfig({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, maxPosition: 16 }, { vocabSize: 20 });
    for (const targets of [['q_proj', 'v_proj'], [...LORA_DEFAULT_TARGETS.decoder]]) {
      const model = new DecoderLM(engine, config, seededInit(2));
      applyLora(model, { rank: 3, alpha: 6, targets });
      expect(loraParameterCount(config, targets, 3)).toBe(model.trainableParameters().reduce((n, t) => n + t.size, 0));
      model.release();
    }
  });

  it('drops the adapters\' input while training only, with masks fixed by (seed, step)', async () => {
    const config = decoderConfig('tiny', { vocabSize: 20 });
    const model = new DecoderLM(engine, config, seededInit(4, 0.1));
    expect(() => applyLora(model, { rank: 4, alpha: 8, targets: ['q_proj'], dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    applyLora(model, { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'], dropout: 0.5, seed: 3 });
    // B starts at zero (the adapter adds nothing): give it values so that dropout shows.
    for (const l of loraLayers(model)) engine.write(l.lora!.B, Float32Array.from({ length: l.lora!.B.size }, (_, i) => Math.sin(i + 1) * 0.5));
    const ids = engine.upload(Int32Array.from(probe), [1, probe.length], 'i32');
    const training = async () => (await engine.tidy(async () => model.forward({ inputIds: ids }).read())) as Float32Array;
    const evaluation = async () => (await engine.autograd.noGrad(() => engine.tidy(async () => model.forward({ inputIds: ids }).read()))) as Float32Array;
    // Evaluation: no dropout, base + adapters as the float64 reference computes them.
    const weights = await snapshot(model);
    expect(compare('lora eval', await evaluation(), decoderForwardRef(config, weights, probe, 1, probe.length, { rank: 4, alpha: 8 }), 1e-3)).toMatchObject({ ok: true });
    setLoraStep(model, 5);
    const step5 = await training();
    expect(step5).not.toEqual(await evaluation());
    expect(await training()).toEqual(step5); // the same step draws the same masks (a resumed run's)
    setLoraStep(model, 6);
    expect(await training()).not.toEqual(step5);
    const adapter = await saveLoraAdapter(model, { taskType: 'CAUSAL_LM', baseModel: 'Qwen/Qwen2.5-0.5B' });
    expect(adapter.config).toMatchObject({ lora_dropout: 0.5, base_model_name_or_path: 'Qwen/Qwen2.5-0.5B' });
    ids.release();
    model.release();
  });
});
