// The on-disk form of a vector store: `vec.*` sections in a container (see container.ts).
//
// `vec.meta` holds the JSON metadata ({dimension, dtype, count, modelId, normalized, scales, blockRows,
// tileRows, deleted}); then, per block b, `vec.data.b` (the rows: float32, or float16 bits), and for int8
// `vec.codes.b` (whole tiles of codes, see int8-codes.ts) and, with per-vector scales, `vec.scales.b` (the
// filled rows' scales); `vec.dimScales` holds per-dimension scales and `vec.deleted` a byte per ordinal
// when tombstones are kept. The same sections sit in a shared index container or in a file of their own
// (format "sift-vectors"). Version 1 differs only in its int8 code layout (dimension-major); its codes are
// not read, and the store remakes them from the float32 master.

import { SiftError } from '../errors.js';
import { bytesOf, type OpenedContainer, type Sections } from './container.js';
import { roundUp, type ScalesKind } from './int8-codes.js';
import type { VectorBlock, VectorDtype } from './vector-block.js';

export const VECTOR_FORMAT = 'sift-vectors';
export const VECTOR_FORMAT_VERSION = 2;
/** Versions a store opens: 1 differs only in its int8 code layout (remade on open). */
export const READABLE_VECTOR_VERSIONS = [1, 2];

export interface VectorMeta {
  dimension: number;
  dtype: VectorDtype;
  count: number;
  modelId: string;
  normalized: boolean;
  scales: ScalesKind | null;
  blockRows: number;
  tileRows: number;
  deleted: number;
}

export interface VectorStoreExpectation {
  dimension?: number;
  modelId?: string;
}

/** What a store writes: its metadata, blocks, per-dimension scales and (to keep tombstones) its bitmap. */
export interface VectorSectionsSource {
  meta: VectorMeta;
  blocks: readonly VectorBlock[];
  codeWidth: number;
  dimScales: Float32Array | undefined;
  /** The deletion bitmap, `meta.count` bytes of it written; undefined when the rows are compacted. */
  deleted: Uint8Array | undefined;
}

/** The `vec.*` sections of a store. */
export function vectorSections(source: VectorSectionsSource): Sections {
  const { meta, codeWidth } = source;
  const d = meta.dimension;
  const sections: Sections = new Map([['vec.meta', new TextEncoder().encode(JSON.stringify(meta))]]);
  if (source.dimScales) sections.set('vec.dimScales', bytesOf(source.dimScales));
  source.blocks.forEach((block, b) => {
    sections.set(`vec.data.${b}`, bytesOf(block.data.subarray(0, block.rows * d)));
    if (block.codes) {
      sections.set(
        `vec.codes.${b}`,
        bytesOf(block.codes.subarray(0, roundUp(block.rows, meta.tileRows) * codeWidth)),
      );
    }
    if (block.rowScales) sections.set(`vec.scales.${b}`, bytesOf(block.rowScales.subarray(0, block.rows)));
  });
  if (source.deleted) sections.set('vec.deleted', source.deleted.subarray(0, meta.count));
  return sections;
}

/** Reads and checks `vec.meta`; refuses another dimension or model than `expected` names. */
export function readVectorMeta(
  container: OpenedContainer,
  expected: VectorStoreExpectation,
  file: string | undefined,
): VectorMeta {
  const where = file === undefined ? {} : { file };
  const corrupt = corruption(where);
  if (!container.has('vec.meta')) throw corrupt('section "vec.meta" is missing');
  let meta: VectorMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(container.section('vec.meta'))) as VectorMeta;
  } catch (error) {
    throw new SiftError('E_INDEX_CORRUPT', 'vector store: metadata is not valid JSON', where, {
      cause: error,
    });
  }
  validateMeta(meta, corrupt);
  if (expected.dimension !== undefined && expected.dimension !== meta.dimension) {
    throw new SiftError(
      'E_VECTOR_DIMENSION',
      `stored vectors have dimension ${meta.dimension} (model ${meta.modelId}), expected ${expected.dimension}; re-embed the collection`,
      { ...where, expected: expected.dimension, actual: meta.dimension },
    );
  }
  if (expected.modelId !== undefined && expected.modelId !== meta.modelId) {
    throw new SiftError(
      'E_VECTOR_DIMENSION',
      `stored vectors come from model "${meta.modelId}", not "${expected.modelId}"; their spaces are not comparable, re-embed the collection`,
      { ...where, expected: expected.modelId, actual: meta.modelId },
    );
  }
  return meta;
}

/** The rows a store holds, as read from its sections. */
export interface StoredVectors {
  blocks: VectorBlock[];
  dimScales: Float32Array | undefined;
  /** One byte per ordinal (1 = deleted), with room to grow. */
  deleted: Uint8Array<ArrayBuffer>;
  deletedCount: number;
}

/**
 * Reads the blocks `meta` describes (zero-copy views where aligned). A version 1 file's int8 codes are
 * left empty (`quantized` 0), for the store to remake from the float32 rows.
 */
export function readVectorBlocks(
  container: OpenedContainer,
  meta: VectorMeta,
  codeWidth: number,
  file: string | undefined,
): StoredVectors {
  const corrupt = corruption(file === undefined ? {} : { file });
  const d = meta.dimension;
  const section = (name: string, bytes: number): Uint8Array => {
    if (!container.has(name)) throw corrupt(`section "${name}" is missing`);
    const view = container.section(name);
    if (view.byteLength !== bytes) {
      throw corrupt(`section "${name}" is ${view.byteLength} bytes, expected ${bytes}`);
    }
    return view;
  };
  let dimScales: Float32Array | undefined;
  if (meta.dtype === 'int8' && meta.scales === 'dimension' && meta.count > 0) {
    dimScales = float32View(section('vec.dimScales', d * 4));
  }
  const blocks: VectorBlock[] = [];
  const blockCount = Math.ceil(meta.count / meta.blockRows);
  for (let b = 0; b < blockCount; b++) {
    const rows = Math.min(meta.blockRows, meta.count - b * meta.blockRows);
    const bytesPerValue = meta.dtype === 'float16' ? 2 : 4;
    const dataBytes = section(`vec.data.${b}`, rows * d * bytesPerValue);
    const block: VectorBlock = {
      start: b * meta.blockRows,
      rows,
      data: meta.dtype === 'float16' ? uint16View(dataBytes) : float32View(dataBytes),
      quantized: 0,
      dead: 0,
      version: 0,
    };
    if (meta.dtype === 'int8') {
      const tiles = Math.ceil(rows / meta.tileRows);
      if (container.header.version >= 2) {
        const codes = section(`vec.codes.${b}`, tiles * meta.tileRows * codeWidth);
        block.codes = new Int8Array(codes.buffer, codes.byteOffset, codes.byteLength);
        block.quantized = rows;
      } else {
        // Version 1's dimension-major codes: remade from the master rows (and the stored per-dimension
        // scales), which gives the codes a version 2 file would hold.
        block.codes = new Int8Array(tiles * meta.tileRows * codeWidth);
      }
      if (meta.scales === 'vector') {
        // Scales are stored for the filled rows only; the search wants whole tiles (zeros past the end).
        const scales = float32View(section(`vec.scales.${b}`, rows * 4));
        block.rowScales = rows % meta.tileRows === 0 ? scales : padded(scales, tiles * meta.tileRows);
      }
    }
    blocks.push(block);
  }
  const deleted = new Uint8Array(Math.max(1024, meta.count * 2));
  let deletedCount = 0;
  if (container.has('vec.deleted')) {
    const stored = section('vec.deleted', meta.count);
    for (let ord = 0; ord < meta.count; ord++) {
      if (stored[ord] === 0) continue;
      deleted[ord] = 1;
      deletedCount++;
      blocks[Math.floor(ord / meta.blockRows)]!.dead++;
    }
  }
  if (deletedCount !== meta.deleted) {
    throw corrupt(`metadata says ${meta.deleted} rows are deleted, the bitmap marks ${deletedCount}`);
  }
  return { blocks, dimScales, deleted, deletedCount };
}

function corruption(where: { file?: string }): (detail: string) => SiftError {
  return (detail) => new SiftError('E_INDEX_CORRUPT', `vector store: ${detail}`, where);
}

function validateMeta(meta: VectorMeta, corrupt: (detail: string) => SiftError): void {
  const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (meta === null || typeof meta !== 'object') throw corrupt('metadata is not an object');
  if (!positiveInt(meta.dimension)) throw corrupt(`bad dimension ${String(meta.dimension)}`);
  if (!['float32', 'float16', 'int8'].includes(meta.dtype))
    throw corrupt(`unknown dtype ${String(meta.dtype)}`);
  if (!count(meta.count) || !count(meta.deleted)) throw corrupt('bad row or deletion count');
  if (typeof meta.modelId !== 'string') throw corrupt('model id is missing');
  if (!positiveInt(meta.blockRows) || !positiveInt(meta.tileRows) || meta.blockRows % meta.tileRows !== 0) {
    throw corrupt('bad block or tile size');
  }
  if (meta.dtype === 'int8' && meta.scales !== 'vector' && meta.scales !== 'dimension') {
    throw corrupt(`unknown int8 scales kind ${String(meta.scales)}`);
  }
}

function padded(values: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(values);
  return out;
}

function float32View(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(new Uint8Array(bytes).buffer);
}

function uint16View(bytes: Uint8Array): Uint16Array {
  if (bytes.byteOffset % 2 === 0)
    return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return new Uint16Array(new Uint8Array(bytes).buffer);
}
