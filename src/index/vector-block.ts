// Blocks of vector rows: allocating and growing them, and rows in and out of float32 or float16 storage.
//
// A block holds up to `blockRows` consecutive ordinals. Its arrays start small and double as rows arrive;
// a full block never moves again (the search engine keeps zero-copy tensors over it). float16 rows are
// IEEE half-precision bits, decoded to float32 for every score.

import { floatToHalf, HALF_TABLE, halfToFloat } from '../util/index.js';
import { roundUp } from './int8-codes.js';

export type VectorDtype = 'float32' | 'float16' | 'int8';

/** One block of rows, as the search engine sees it. Arrays may be longer than the filled part. */
export interface VectorBlock {
  /** Ordinal of the block's first row. */
  readonly start: number;
  /** Filled rows. */
  rows: number;
  /** Row-major rows: Float32Array (float32, int8) or float16 bits (float16); capacity·dimension long. */
  data: Float32Array | Uint16Array;
  /** int8: codes in tiles of 4-dimension groups (see `codeIndex`), capacity·codeWidth long. */
  codes?: Int8Array;
  /** int8 with per-vector scales: one scale per row, zero-padded to whole tiles. */
  rowScales?: Float32Array;
  /** int8: rows that have codes. */
  quantized: number;
  /** Deleted rows in this block. */
  dead: number;
  /** Bumped on every change, so cached tensors and masks know to refresh. */
  version: number;
}

/** What a block's arrays are sized from. */
export interface BlockShape {
  dimension: number;
  dtype: VectorDtype;
  /** int8: rows per code tile; code arrays cover whole tiles. */
  tileRows: number;
  /** int8: codes per row. */
  codeWidth: number;
  /** int8: one scale per row (rather than per dimension). */
  rowScales: boolean;
}

/** An empty block starting at ordinal `start`, with room for `capacity` rows. */
export function newBlock(start: number, capacity: number, shape: BlockShape): VectorBlock {
  const d = shape.dimension;
  const block: VectorBlock = {
    start,
    rows: 0,
    data: shape.dtype === 'float16' ? new Uint16Array(capacity * d) : new Float32Array(capacity * d),
    quantized: 0,
    dead: 0,
    version: 0,
  };
  if (shape.dtype === 'int8') {
    block.codes = new Int8Array(roundUp(capacity, shape.tileRows) * shape.codeWidth);
    if (shape.rowScales) block.rowScales = new Float32Array(roundUp(capacity, shape.tileRows));
  }
  return block;
}

/** Rows the block has room for. */
export function blockCapacity(block: VectorBlock, dimension: number): number {
  return block.data.length / dimension;
}

/** Reallocates the block's arrays for `capacity` rows, keeping what they hold. */
export function growBlock(block: VectorBlock, capacity: number, shape: BlockShape): void {
  const d = shape.dimension;
  const data =
    block.data instanceof Float32Array ? new Float32Array(capacity * d) : new Uint16Array(capacity * d);
  data.set(block.data.subarray(0, block.rows * d));
  block.data = data;
  if (block.codes) {
    const codes = new Int8Array(roundUp(capacity, shape.tileRows) * shape.codeWidth);
    codes.set(block.codes.subarray(0, Math.min(block.codes.length, codes.length)));
    block.codes = codes;
  }
  if (block.rowScales) {
    const scales = new Float32Array(roundUp(capacity, shape.tileRows));
    scales.set(block.rowScales.subarray(0, Math.min(block.rowScales.length, scales.length)));
    block.rowScales = scales;
  }
}

/**
 * Writes `source[offset .. offset+dimension)` (float32) as row `row` of the block, L2-normalised first when
 * `normalize` (a zero vector is kept as it is) and rounded to half precision in a float16 block.
 */
export function writeRow(
  block: VectorBlock,
  row: number,
  source: Float32Array,
  offset: number,
  dimension: number,
  normalize: boolean,
): void {
  const d = dimension;
  const base = row * d;
  let norm = 1;
  if (normalize) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += source[offset + j]! * source[offset + j]!;
    norm = sum > 0 ? Math.sqrt(sum) : 1;
  }
  if (block.data instanceof Float32Array) {
    const data = block.data;
    if (norm === 1) data.set(source.subarray(offset, offset + d), base);
    else for (let j = 0; j < d; j++) data[base + j] = source[offset + j]! / norm;
  } else {
    const data = block.data;
    for (let j = 0; j < d; j++) data[base + j] = floatToHalf(source[offset + j]! / norm);
  }
}

/** Row `row` of the block as float32 (decoded from half precision in a float16 block), into `out`. */
export function readRow(block: VectorBlock, row: number, dimension: number, out: Float32Array): Float32Array {
  const d = dimension;
  if (block.data instanceof Float32Array) out.set(block.data.subarray(row * d, row * d + d));
  else for (let j = 0; j < d; j++) out[j] = halfToFloat(block.data[row * d + j]!);
  return out;
}

/** Dot product of row `row` with `query[offset .. offset+dimension)`, in float32 arithmetic. */
export function dotRow(
  block: VectorBlock,
  row: number,
  dimension: number,
  query: Float32Array,
  offset: number,
): number {
  const d = dimension;
  const base = row * d;
  let sum = 0;
  if (block.data instanceof Float32Array) {
    const data = block.data;
    for (let j = 0; j < d; j++) sum += data[base + j]! * query[offset + j]!;
  } else {
    const data = block.data;
    for (let j = 0; j < d; j++) sum += HALF_TABLE[data[base + j]!]! * query[offset + j]!;
  }
  return sum;
}
