// The int8 codes of a vector store: symmetric quantisation (zero point 0), its scales, and the tile layout.
//
// Codes are stored in tiles of `tileRows` rows; within a tile, in groups of four dimensions, each group
// holding every row's four codes side by side ([tile][dimension/4][row-in-tile][4], the dimension padded to
// a multiple of 4 with zero codes; see `codeIndex`). One 32-byte load is then 8 rows × 4 dimensions, exactly
// what AVX2's u8×s8 multiply-add (and VNNI's dot product) consumes, so the native kernel needs no shuffles.

/** int8 scales: one per stored vector, or one per dimension shared by all vectors. */
export type ScalesKind = 'vector' | 'dimension';

/**
 * Where the int8 code of (row, dimension j) sits in a block's code array: tile ⌊row/tileRows⌋, then the
 * group of four dimensions j/4, then the row within the tile, then j mod 4. `codeWidth` is the dimension
 * rounded up to a multiple of 4 (the padding codes are 0).
 */
export function codeIndex(codeWidth: number, tileRows: number, row: number, j: number): number {
  const tile = Math.floor(row / tileRows);
  return tile * codeWidth * tileRows + (j >> 2) * 4 * tileRows + (row - tile * tileRows) * 4 + (j & 3);
}

/** Codes per row: the dimension rounded up to a multiple of 4 (the group `codeIndex` lays out). */
export function codeWidthOf(dimension: number): number {
  return roundUp(dimension, 4);
}

/** `n` rounded up to a multiple of `multiple` (rows to whole tiles, dimensions to whole groups). */
export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** Per-dimension scales (max |value| / 127, 1 for an all-zero dimension) of float32 rows held in blocks. */
export function dimensionScales(
  blocks: readonly { rows: number; data: Float32Array | Uint16Array }[],
  dimension: number,
): Float32Array {
  const d = dimension;
  const maxAbs = new Float32Array(d);
  for (const block of blocks) {
    const data = block.data as Float32Array;
    for (let i = 0; i < block.rows * d; i += d) {
      for (let j = 0; j < d; j++) {
        const v = Math.abs(data[i + j]!);
        if (v > maxAbs[j]!) maxAbs[j] = v;
      }
    }
  }
  return maxAbs.map((m) => (m > 0 ? m / 127 : 1));
}

/** Where one row's codes go, and how it is scaled. */
export interface CodeTarget {
  dimension: number;
  codeWidth: number;
  tileRows: number;
  /** Per-dimension scales; undefined for per-vector scales, which are computed here into `rowScales`. */
  dimScales: Float32Array | undefined;
}

/**
 * Quantises row `row` of the float32 rows `data` into `codes` (at `codeIndex`); with per-vector scales the
 * row's scale (max |value| / 127) is written to `rowScales[row]`. Codes saturate at ±127.
 */
export function quantizeRow(
  data: Float32Array,
  codes: Int8Array,
  rowScales: Float32Array | undefined,
  row: number,
  target: CodeTarget,
): void {
  const d = target.dimension;
  const base = row * d;
  const scales = target.dimScales;
  let rowScale = 1;
  if (scales === undefined) {
    let maxAbs = 0;
    for (let j = 0; j < d; j++) maxAbs = Math.max(maxAbs, Math.abs(data[base + j]!));
    rowScale = maxAbs > 0 ? maxAbs / 127 : 1;
    rowScales![row] = rowScale;
  }
  for (let j = 0; j < d; j++) {
    const code = clampCode(Math.round(data[base + j]! / (scales ? scales[j]! : rowScale)));
    codes[codeIndex(target.codeWidth, target.tileRows, row, j)] = code;
  }
}

function clampCode(v: number): number {
  return Math.min(127, Math.max(-127, v));
}
