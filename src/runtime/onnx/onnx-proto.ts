// Serialises the subset of onnx.proto that sift writes: models, graphs, nodes, attributes, tensors, value infos.
//
// Field numbers are those of onnx/onnx.proto (proto2), e.g. ModelProto.graph = 7, TensorProto.raw_data = 9.
// Repeated scalars are written unpacked, as proto2 does by default; parsers accept either form.

import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

export type ElementType = 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export const elementTypeCode: Record<ElementType, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
  int64: DataType.INT64,
  int32: DataType.INT32,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  bool: DataType.BOOL,
};

/** A dimension: a fixed size, or a symbolic name ("batch", "sequence") shared by inputs and outputs. */
export type Dim = number | string;

export interface TensorProtoSpec {
  name: string;
  type: ElementType;
  dims: readonly number[];
  /** Little-endian element bytes, exactly product(dims) × element size. */
  raw: Uint8Array;
  /** Where the bytes live instead, when they are kept out of the protobuf (ONNX external data). */
  external?: { location: string; offset: number };
}

export type AttributeValue =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; value: TensorProtoSpec };

export interface NodeProtoSpec {
  name: string;
  opType: string;
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: ReadonlyMap<string, AttributeValue>;
}

export interface ValueInfoSpec {
  name: string;
  type: ElementType;
  dims: readonly Dim[];
}

export interface GraphProtoSpec {
  name: string;
  nodes: readonly NodeProtoSpec[];
  initializers: readonly TensorProtoSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
}

export interface ModelProtoSpec {
  irVersion: number;
  /** Operator sets by domain; '' is the default ONNX domain. */
  opsets: ReadonlyMap<string, number>;
  producerName: string;
  producerVersion: string;
  graph: GraphProtoSpec;
  metadata?: ReadonlyMap<string, string>;
}

// AttributeProto.AttributeType values.
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

export function encodeTensor(tensor: TensorProtoSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of tensor.dims) w.int(1, d);
  w.int(2, elementTypeCode[tensor.type]);
  w.string(8, tensor.name);
  if (tensor.external) {
    // TensorProto.external_data (13, StringStringEntryProto key = 1, value = 2), data_location = EXTERNAL (14).
    const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
    w.message(13, entry('location', tensor.external.location));
    w.message(13, entry('offset', String(tensor.external.offset)));
    w.message(13, entry('length', String(tensor.raw.byteLength)));
    w.int(14, 1);
  } else {
    w.bytes(9, tensor.raw);
  }
  return w;
}

function encodeAttribute(name: string, attr: AttributeValue): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, name);
  switch (attr.kind) {
    case 'float':
      w.float(2, attr.value).int(20, ATTR_FLOAT);
      break;
    case 'int':
      w.int(3, attr.value).int(20, ATTR_INT);
      break;
    case 'string':
      w.string(4, attr.value).int(20, ATTR_STRING);
      break;
    case 'tensor':
      w.message(5, encodeTensor(attr.value)).int(20, ATTR_TENSOR);
      break;
    case 'floats':
      for (const v of attr.value) w.float(7, v);
      w.int(20, ATTR_FLOATS);
      break;
    case 'ints':
      for (const v of attr.value) w.int(8, v);
      w.int(20, ATTR_INTS);
      break;
  }
  return w;
}

function encodeNode(node: NodeProtoSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, attr] of node.attributes) w.message(5, encodeAttribute(name, attr));
  if (node.domain !== '') w.string(7, node.domain);
  return w;
}

function encodeValueInfo(info: ValueInfoSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of info.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, elementTypeCode[info.type]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

function encodeGraph(graph: GraphProtoSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, encodeNode(node));
  w.string(2, graph.name);
  for (const init of graph.initializers) w.message(5, encodeTensor(init));
  for (const input of graph.inputs) w.message(11, encodeValueInfo(input));
  for (const output of graph.outputs) w.message(12, encodeValueInfo(output));
  return w;
}

/** The bytes of a ModelProto, ready for `InferenceSession.create` or a `.onnx` file. */
export function encodeModel(model: ModelProtoSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.message(7, encodeGraph(model.graph));
  for (const [domain, version] of model.opsets) {
    const opset = new ProtoWriter();
    if (domain !== '') opset.string(1, domain);
    opset.int(2, version);
    w.message(8, opset);
  }
  for (const [key, value] of model.metadata ?? []) {
    w.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return w.toBytes();
}
