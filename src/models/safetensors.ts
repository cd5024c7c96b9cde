// Reads .safetensors files: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.
//
// Format (https://github.com/huggingface/safetensors): header = {name: {dtype, shape, data_offsets:
// [begin, end]}, __metadata__?: {string: string}}, offsets relative to the first byte after the header.
// Every offset is checked against the file size so a truncated download fails here, naming the tensor,
// instead of as garbage weights later.

import { readFile } from 'node:fs/promises';
import { SiftError } from '../errors.js';
import { bfloat16ToFloat32, float16ToFloat32 } from '../util/index.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** The typed-array view of each dtype: F16 and BF16 keep their 16-bit patterns (see `float32()`). */
export type TensorView =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export interface Tensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: TensorView;
}

export interface FloatTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

const dtypeWidth: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Refuse headers above 100 MB, as the reference implementation does: a larger one means a corrupt file. */
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsFile {
  /** Tensor names in header order. */
  readonly names: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  private readonly infos: Map<string, TensorInfo>;

  constructor(
    /** The file's path, for error messages. */
    readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly dataStart: number,
    infos: readonly TensorInfo[],
    metadata: Record<string, string>,
  ) {
    this.infos = new Map(infos.map((info) => [info.name, info]));
    this.names = infos.map((info) => info.name);
    this.metadata = metadata;
  }

  has(name: string): boolean {
    return this.infos.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.infos.get(name);
    if (!info)
      throw new SiftError('E_MODEL_LOAD', `tensor "${name}" is not in the file`, {
        file: this.file,
        tensor: name,
      });
    return info;
  }

  /** The tensor as a view of the file's bytes (copied only when its offset is not aligned to its element size). */
  tensor(name: string): Tensor {
    const info = this.info(name);
    const start = this.dataStart + info.begin;
    const length = info.end - info.begin;
    const width = dtypeWidth[info.dtype];
    let buffer = this.bytes.buffer;
    let offset = this.bytes.byteOffset + start;
    if (offset % width !== 0) {
      buffer = this.bytes.slice(start, start + length).buffer;
      offset = 0;
    }
    const count = length / width;
    const data = viewOf(info.dtype, buffer, offset, count);
    return { name, dtype: info.dtype, shape: info.shape, data };
  }

  /** A float tensor as float32: F32 is a view, F16/BF16/F64 are converted (bf16 = the high half of an f32). */
  float32(name: string): FloatTensor {
    const t = this.tensor(name);
    const { shape } = t;
    switch (t.dtype) {
      case 'F32':
        return { name, shape, data: t.data as Float32Array };
      case 'BF16':
        return { name, shape, data: bfloat16ToFloat32(t.data as Uint16Array) };
      case 'F16':
        return { name, shape, data: float16ToFloat32(t.data as Uint16Array) };
      case 'F64':
        return { name, shape, data: Float32Array.from(t.data as Float64Array) };
      default:
        throw new SiftError('E_MODEL_LOAD', `tensor "${name}" has dtype ${t.dtype}, not a float type`, {
          file: this.file,
          tensor: name,
        });
    }
  }
}

/** Reads and validates a .safetensors file; missing file → E_MODEL_FILE, malformed → E_MODEL_LOAD. */
export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new SiftError('E_MODEL_FILE', 'the weights file does not exist', { file }, { cause: error });
    throw new SiftError(
      'E_MODEL_LOAD',
      `cannot read the weights file: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  return parseSafetensors(bytes, file);
}

/** Parses safetensors bytes already in memory; `file` names them in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const fail = (detail: string, tensor?: string): never => {
    throw new SiftError(
      'E_MODEL_LOAD',
      `not a valid safetensors file: ${detail}`,
      tensor ? { file, tensor } : { file },
    );
  };
  if (bytes.byteLength < 8) fail(`only ${bytes.byteLength} bytes, shorter than the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    fail(`header length ${headerLength} exceeds the file size ${bytes.byteLength}`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    fail(`header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('header is not a JSON object');
  const dataLength = bytes.byteLength - dataStart;
  const infos: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry, fail);
      continue;
    }
    infos.push(parseEntry(name, entry, dataLength, fail));
  }
  return new SafetensorsFile(file, bytes, dataStart, infos, metadata);
}

function parseMetadata(entry: unknown, fail: (detail: string) => never): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    fail('__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof value !== 'string') fail(`__metadata__.${key} is not a string`);
    out[key] = value as string;
  }
  return out;
}

function parseEntry(
  name: string,
  entry: unknown,
  dataLength: number,
  fail: (detail: string, tensor?: string) => never,
): TensorInfo {
  if (typeof entry !== 'object' || entry === null) fail(`entry for "${name}" is not an object`, name);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in dtypeWidth))
    fail(`tensor "${name}" has unsupported dtype ${String(dtype)}`, name);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor "${name}" has an invalid shape`, name);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    fail(`tensor "${name}" has invalid data_offsets`, name);
  }
  const [begin, end] = offsets as [number, number];
  const width = dtypeWidth[dtype as SafetensorsDtype];
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end < begin || end - begin !== count * width) {
    fail(
      `tensor "${name}": data_offsets [${begin}, ${end}] do not hold shape [${(shape as number[]).join(',')}] of ${dtype}`,
      name,
    );
  }
  if (end > dataLength) {
    fail(
      `tensor "${name}" ends at byte ${end} of the data but the file holds only ${dataLength} (truncated?)`,
      name,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

function viewOf(dtype: SafetensorsDtype, buffer: ArrayBufferLike, offset: number, count: number): TensorView {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer, offset, count);
    case 'F32':
      return new Float32Array(buffer, offset, count);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer, offset, count);
    case 'I64':
      return new BigInt64Array(buffer, offset, count);
    case 'I32':
      return new Int32Array(buffer, offset, count);
    case 'I16':
      return new Int16Array(buffer, offset, count);
    case 'I8':
      return new Int8Array(buffer, offset, count);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer, offset, count);
  }
}

/** Serialises float32/int64 tensors as safetensors bytes (for tests and for saving derived weights). */
export function encodeSafetensors(
  tensors: readonly { name: string; shape: readonly number[]; data: Float32Array | BigInt64Array }[],
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.data instanceof Float32Array ? 'F32' : 'I64';
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to a multiple of 8 so every tensor view is aligned, as the reference writer does.
  const headerBytes = new Uint8Array(json.byteLength + ((8 - (json.byteLength % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
