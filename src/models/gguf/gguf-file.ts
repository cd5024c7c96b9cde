// Reads a GGUF file (llama.cpp's model format, version 2 and 3): metadata key–values, tensor infos and
// the tensor data region, without copying the data.
//
// Layout: magic "GGUF", version u32, tensor count u64, metadata count u64, the metadata, the tensor infos
// (name, dims with ne[0] the fastest-varying, ggml type, offset into the data region), then the data
// region at the next multiple of `general.alignment` (32 by default). All little-endian.

import { readFile } from 'node:fs/promises';
import { SiftError } from '../../errors.js';
import { GGML_TYPES, type GgmlTypeName, ggmlTypeName, tensorByteSize } from './ggml-types.js';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml dims: dims[0] varies fastest (a PyTorch [out, in] weight has dims [in, out]). */
  dims: number[];
  type: GgmlTypeName;
  /** Byte offset of the data, from the start of the file. */
  offset: number;
  byteLength: number;
  elements: number;
}

export interface GgufFile {
  file: string;
  version: number;
  metadata: ReadonlyMap<string, GgufValue>;
  tensors: ReadonlyMap<string, GgufTensorInfo>;
  /** The whole file; tensor bytes are views into it. */
  bytes: Uint8Array;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

/** Reads and parses a GGUF file; throws E_MODEL_LOAD naming the file on anything malformed. */
export async function readGguf(file: string): Promise<GgufFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'E_MODEL_FILE' : 'E_IO';
    throw new SiftError(code, `cannot read the GGUF file: ${(error as Error).message}`, { file });
  }
  return parseGguf(bytes, file);
}

/** Parses GGUF bytes already in memory. */
export function parseGguf(bytes: Uint8Array, file: string): GgufFile {
  const reader = new ByteReader(bytes, file);
  if (bytes.byteLength < 24 || reader.u32() !== MAGIC) {
    throw new SiftError('E_MODEL_LOAD', 'not a GGUF file (bad magic number)', { file });
  }
  const version = reader.u32();
  if (version !== 2 && version !== 3) {
    throw new SiftError('E_MODEL_LOAD', `GGUF version ${version} is not supported (2 and 3 are)`, { file });
  }
  const tensorCount = reader.count('tensor count');
  const metadataCount = reader.count('metadata count');
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < metadataCount; i++) {
    const key = reader.string();
    metadata.set(key, reader.value(reader.u32()));
  }
  const infos: Omit<GgufTensorInfo, 'offset'>[] = [];
  const relativeOffsets: number[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = reader.string();
    const rank = reader.u32();
    if (rank > 4) throw new SiftError('E_MODEL_LOAD', `tensor "${name}" has ${rank} dims`, { file });
    const dims = Array.from({ length: rank }, () => reader.count(`dims of ${name}`));
    const typeId = reader.u32();
    const type = ggmlTypeName(typeId);
    if (type === undefined) {
      throw new SiftError('E_MODEL_LOAD', `tensor "${name}" has unknown ggml type ${typeId}`, { file });
    }
    const elements = dims.reduce((a, b) => a * b, 1);
    if ((dims[0] ?? 0) % GGML_TYPES[type].blockSize !== 0) {
      throw new SiftError('E_MODEL_LOAD', `tensor "${name}" rows do not fill whole ${type} blocks`, { file });
    }
    relativeOffsets.push(reader.count(`offset of ${name}`));
    infos.push({ name, dims, type, elements, byteLength: tensorByteSize(type, elements) });
  }
  const alignment = Number(metadata.get('general.alignment') ?? 32);
  const dataStart = Math.ceil(reader.position / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  infos.forEach((info, i) => {
    const offset = dataStart + (relativeOffsets[i] ?? 0);
    if (offset + info.byteLength > bytes.byteLength) {
      throw new SiftError(
        'E_MODEL_LOAD',
        `tensor "${info.name}" runs past the end of the file (truncated?)`,
        {
          file,
        },
      );
    }
    tensors.set(info.name, { ...info, offset });
  });
  return { file, version, metadata, tensors, bytes };
}

/** The raw bytes of one tensor (a view, not a copy). */
export function tensorBytes(gguf: GgufFile, info: GgufTensorInfo): Uint8Array {
  return gguf.bytes.subarray(info.offset, info.offset + info.byteLength);
}

/** A metadata value of the expected kind, or E_MODEL_CONFIG naming the key. */
export function metaNumber(gguf: GgufFile, key: string, fallback?: number): number {
  const value = gguf.metadata.get(key);
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new SiftError('E_MODEL_CONFIG', `GGUF metadata "${key}" is missing or not a number`, {
    file: gguf.file,
    field: key,
  });
}

export function metaString(gguf: GgufFile, key: string, fallback?: string): string {
  const value = gguf.metadata.get(key);
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string') return value;
  throw new SiftError('E_MODEL_CONFIG', `GGUF metadata "${key}" is missing or not a string`, {
    file: gguf.file,
    field: key,
  });
}

export function metaArray(gguf: GgufFile, key: string): GgufValue[] | undefined {
  const value = gguf.metadata.get(key);
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  throw new SiftError('E_MODEL_CONFIG', `GGUF metadata "${key}" is not an array`, {
    file: gguf.file,
    field: key,
  });
}

class ByteReader {
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8');
  position = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): number {
    const at = this.position;
    if (at + n > this.bytes.byteLength) {
      throw new SiftError('E_MODEL_LOAD', `GGUF header is truncated at byte ${at}`, { file: this.file });
    }
    this.position += n;
    return at;
  }

  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  /** A u64 that must fit a JavaScript integer (counts, lengths, offsets). */
  count(what: string): number {
    const value = this.view.getBigUint64(this.need(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SiftError('E_MODEL_LOAD', `GGUF ${what} is implausibly large (${value})`, {
        file: this.file,
      });
    }
    return Number(value);
  }

  string(): string {
    const length = this.count('string length');
    const at = this.need(length);
    return this.decoder.decode(this.bytes.subarray(at, at + length));
  }

  value(type: number): GgufValue {
    const v = this.view;
    switch (type) {
      case 0:
        return v.getUint8(this.need(1));
      case 1:
        return v.getInt8(this.need(1));
      case 2:
        return v.getUint16(this.need(2), true);
      case 3:
        return v.getInt16(this.need(2), true);
      case 4:
        return v.getUint32(this.need(4), true);
      case 5:
        return v.getInt32(this.need(4), true);
      case 6:
        return v.getFloat32(this.need(4), true);
      case 7:
        return v.getUint8(this.need(1)) !== 0;
      case 8:
        return this.string();
      case 9: {
        const itemType = this.u32();
        const length = this.count('array length');
        const items: GgufValue[] = new Array(length);
        for (let i = 0; i < length; i++) items[i] = this.value(itemType);
        return items;
      }
      case 10:
        return v.getBigUint64(this.need(8), true);
      case 11:
        return v.getBigInt64(this.need(8), true);
      case 12:
        return v.getFloat64(this.need(8), true);
      default:
        throw new SiftError('E_MODEL_LOAD', `GGUF metadata has unknown value type ${type}`, {
          file: this.file,
        });
    }
  }
}
