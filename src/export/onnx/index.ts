// ONNX export of a student checkpoint: the fp32 graph and its fp16-weights variant.
import type { ModelConfig } from '../../engine/nn/config.ts';
import { encodeModel } from './proto.ts';
import { OPSET } from './builder.ts';
import { encoderGraph } from './encoder.ts';
import { decoderGraph } from './decoder.ts';
import { fp16Graph } from './fp16.ts';
import type { Tensors } from './tensors.ts';

export { OPSET } from './builder.ts';
export { decoderIo } from './decoder.ts';

export const PRODUCER = { name: 'lantern-studio', version: '1' } as const;

export interface OnnxFiles {
  /** onnx/model.onnx */
  fp32: Uint8Array;
  /** onnx/model_fp16.onnx: f16 weights, f32 inputs, outputs and arithmetic. */
  fp16: Uint8Array;
}

export function exportOnnx(config: ModelConfig, tensors: Tensors, metadata: Record<string, string> = {}): OnnxFiles {
  const graph = config.kind === 'encoder' ? encoderGraph(config, tensors) : decoderGraph(config, tensors);
  const model = (g: typeof graph) => encodeModel({ graph: g, opset: OPSET, producerName: PRODUCER.name, producerVersion: PRODUCER.version, metadata });
  return { fp32: model(graph), fp16: model(fp16Graph(graph)) };
}
