// ONNX model files are protobuf messages (onnx.proto, IR version 8). protobufjs (the same library
// onnxruntime-web depends on) encodes them from a reflection schema; the schema below is the part
// of onnx.proto the exporter writes, with onnx.proto's field numbers. The onnx-proto npm package
// was the alternative: it pins protobufjs 6 and an old onnx.proto, for ~10 messages we need.
import protobuf from 'protobufjs/light.js';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: DataTypeId;
  /** Little-endian bytes of the values, row-major. */
  rawData: Uint8Array;
}

/** A symbolic (string) or fixed (number) dimension. */
export type Dim = string | number;

export interface ValueInfo {
  name: string;
  elemType: DataTypeId;
  shape: Dim[];
}

export type AttributeValue = number | string | number[] | TensorProto | { floats: number[] } | { float: number };

export interface NodeProto {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelProto {
  graph: GraphProto;
  /** The default-domain opset version. */
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export const IR_VERSION = 8;

const field = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

// proto2 `repeated` scalars are unpacked on the wire unless marked packed; readers accept both.
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field(1, 'int64'),
            producerName: field(2, 'string'),
            producerVersion: field(3, 'string'),
            domain: field(4, 'string'),
            modelVersion: field(5, 'int64'),
            docString: field(6, 'string'),
            graph: field(7, 'GraphProto'),
            opsetImport: field(8, 'OperatorSetIdProto', 'repeated'),
            metadataProps: field(14, 'StringStringEntryProto', 'repeated'),
          },
        },
        OperatorSetIdProto: { fields: { domain: field(1, 'string'), version: field(2, 'int64') } },
        StringStringEntryProto: { fields: { key: field(1, 'string'), value: field(2, 'string') } },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', 'repeated'),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', 'repeated'),
            docString: field(10, 'string'),
            input: field(11, 'ValueInfoProto', 'repeated'),
            output: field(12, 'ValueInfoProto', 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', 'repeated'),
            output: field(2, 'string', 'repeated'),
            name: field(3, 'string'),
            opType: field(4, 'string'),
            attribute: field(5, 'AttributeProto', 'repeated'),
            domain: field(7, 'string'),
          },
        },
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            s: field(4, 'bytes'),
            t: field(5, 'TensorProto'),
            floats: field(7, 'float', 'repeated'),
            ints: field(8, 'int64', 'repeated'),
            type: field(20, 'int32'),
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, 'int64', 'repeated'),
            dataType: field(2, 'int32'),
            name: field(8, 'string'),
            rawData: field(9, 'bytes'),
          },
        },
        ValueInfoProto: { fields: { name: field(1, 'string'), type: field(2, 'TypeProto') } },
        TypeProto: { fields: { tensorType: field(1, 'TypeProtoTensor') } },
        TypeProtoTensor: { fields: { elemType: field(1, 'int32'), shape: field(2, 'TensorShapeProto') } },
        TensorShapeProto: { fields: { dim: field(1, 'TensorShapeDimension', 'repeated') } },
        TensorShapeDimension: { fields: { dimValue: field(1, 'int64'), dimParam: field(2, 'string') } },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;
function modelMessage(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

const utf8 = new TextEncoder();

function tensorMessage(t: TensorProto) {
  return { dims: t.dims, dataType: t.dataType, name: t.name, rawData: t.rawData };
}

function attributeMessage(name: string, v: AttributeValue) {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.TENSOR, t: tensorMessage(v) };
}

function valueInfoMessage(v: ValueInfo) {
  return {
    name: v.name,
    type: { tensorType: { elemType: v.elemType, shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** The bytes of an .onnx file. */
export function encodeModel(model: ModelProto): Uint8Array {
  const g = model.graph;
  const message = {
    irVersion: IR_VERSION,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    ...(model.docString ? { docString: model.docString } : {}),
    opsetImport: [{ domain: '', version: model.opset }],
    metadataProps: Object.entries(model.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name,
        opType: n.opType,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attributeMessage(k, v)),
      })),
      initializer: g.initializers.map(tensorMessage),
      input: g.inputs.map(valueInfoMessage),
      output: g.outputs.map(valueInfoMessage),
    },
  };
  const type = modelMessage();
  return type.encode(type.fromObject(message)).finish();
}

/** Reads back what encodeModel wrote (tests, and checking a bundle's model file). */
export function decodeModel(bytes: Uint8Array): { irVersion: number; opset: number; producerName: string; inputs: string[]; outputs: string[]; initializers: { name: string; dims: number[]; dataType: number; bytes: number }[]; nodes: number; metadata: Record<string, string> } {
  const type = modelMessage();
  const m = type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as {
    irVersion: number;
    producerName: string;
    opsetImport: { domain: string; version: number }[];
    metadataProps: { key: string; value: string }[];
    graph: { node: unknown[]; input: { name: string }[]; output: { name: string }[]; initializer: { name: string; dims: number[]; dataType: number; rawData: Uint8Array }[] };
  };
  return {
    irVersion: m.irVersion,
    opset: m.opsetImport.find((o) => o.domain === '')?.version ?? 0,
    producerName: m.producerName,
    inputs: m.graph.input.map((i) => i.name),
    outputs: m.graph.output.map((o) => o.name),
    initializers: m.graph.initializer.map((t) => ({ name: t.name, dims: t.dims, dataType: t.dataType, bytes: t.rawData.length })),
    nodes: m.graph.node.length,
    metadata: Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value])),
  };
}
