// The flat vector store: one embedding row per document ordinal, searched exhaustively by ExactKnn.
//
// Row i is document ordinal i; rows are appended in ordinal order and deleted by tombstone. Rows live in
// blocks of `blockRows` (65,536 by default): a full block never moves again, so the search engine keeps
// zero-copy tensors over it, and only the last, growing block is re-wrapped after appends.
//
// dtypes — what is kept, in memory and on disk:
// - float32: the rows, row-major. Exact. Row-major suits exact rescoring, one-query scans (each row one
//   sequential read: sift's native kernel streams it at ~80% of the machine's read bandwidth) and batches
//   (register-blocked dot products over L2-sized row tiles).
// - int8: the float32 rows (the master copy) PLUS int8 codes, symmetric (zero point 0) with a scale per
//   vector (default) or per dimension. Codes are stored in tiles of `tileRows` rows; within a tile, in
//   groups of four dimensions, each group holding every row's four codes side by side
//   ([tile][dimension/4][row-in-tile][4], the dimension padded to a multiple of 4 with zero codes; see
//   `codeIndex`). One 32-byte load is then 8 rows × 4 dimensions, exactly what AVX2's u8×s8 multiply-add
//   (and VNNI's dot product) consumes, so the native kernel needs no shuffles. Format version 1 stored
//   codes dimension-major; its codes are discarded on open and remade from the float32 master.
//   Search scans the codes, then rescores the best candidates exactly from the float32 master, so int8 is
//   a speed option (4× fewer bytes to stream), costing 25% more memory than float32 (plus 8 bytes a row for
//   scale and code sum), not a memory saving.
// - float16: the rows rounded to IEEE half precision, row-major, and nothing else: half the memory and disk
//   of float32. Scores are computed in float32 arithmetic from the half values; there is no more exact copy
//   to rescore from.
// Codes are computed lazily (before a search or a write), so `add` stays cheap; per-dimension scales are
// fixed from the rows present the first time codes are made, and later rows outside that range saturate
// (rescoring keeps the final order exact for the candidates it sees). A compacting write (toSections with
// deletions) fixes fresh per-dimension scales from the rows it writes.
//
// On disk it is a container (see container.ts) of `vec.*` sections; `vec.meta` holds the JSON metadata
// ({dimension, dtype, count, modelId, normalized, scales, blockRows, tileRows}), so the same sections can sit
// in a shared index container or in a file of their own (`save` / `open`, format "sift-vectors").

import { SiftError } from '../errors.js';
import { floatToHalf, HALF_TABLE, halfToFloat } from '../util/index.js';
import { bytesOf, type OpenedContainer, readContainer, type Sections, writeContainer } from './container.js';

export const VECTOR_FORMAT = 'sift-vectors';
export const VECTOR_FORMAT_VERSION = 2;
/** Versions `open` reads: 1 differs only in its int8 code layout (remade on open). */
const READABLE_VERSIONS = [1, 2];

export type VectorDtype = 'float32' | 'float16' | 'int8';
/** int8 scales: one per stored vector, or one per dimension shared by all vectors. */
export type ScalesKind = 'vector' | 'dimension';

export interface VectorStoreOptions {
  /** The embedding model the rows come from; a store opened for another model is refused. */
  modelId: string;
  dtype?: VectorDtype;
  /** int8 only: per-vector (default) or per-dimension scales. */
  scales?: ScalesKind;
  /** L2-normalise every row on add, so that dot product = cosine similarity. */
  normalize?: boolean;
  /** Rows per block (a multiple of tileRows). Default 65,536. */
  blockRows?: number;
  /**
   * int8 only: rows per code tile (a power of two dividing blockRows). Default 32: the native kernel's strip
   * (4 loads of 8 rows per group of 4 dimensions), so a strip is one contiguous run. Stores written with
   * other tile sizes stay readable and searchable (the kernel's scalar path serves tiles under 32 rows).
   */
  tileRows?: number;
}

export interface VectorStoreExpectation {
  dimension?: number;
  modelId?: string;
}

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

const DEFAULT_BLOCK_ROWS = 65_536;
const DEFAULT_TILE_ROWS = 32;
const INITIAL_ROWS = 256;

export class VectorStore {
  readonly dimension: number;
  readonly modelId: string;
  readonly dtype: VectorDtype;
  readonly scalesKind: ScalesKind | null;
  readonly normalized: boolean;
  readonly blockRows: number;
  readonly tileRows: number;
  /** int8: codes per row, the dimension rounded up to a multiple of 4 (see `codeIndex`). */
  readonly codeWidth: number;
  /** True when rows changed since the store was created, opened or last written. */
  dirty = false;

  private readonly blockList: VectorBlock[] = [];
  private count = 0;
  private deletedBits = new Uint8Array(1024);
  private deletedCount = 0;
  /** int8 per-dimension scales, fixed when codes are first made. */
  private dimScales: Float32Array | undefined;

  private constructor(dimension: number, options: VectorStoreOptions) {
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw new SiftError('E_BAD_ARGUMENT', `vector dimension must be a positive integer, got ${dimension}`);
    }
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'int8') {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `unknown vector dtype "${String(dtype)}" (float32, float16, int8)`,
      );
    }
    const blockRows = options.blockRows ?? DEFAULT_BLOCK_ROWS;
    let tileRows = options.tileRows ?? DEFAULT_TILE_ROWS;
    // Without an explicit tile size, take the largest power of two up to the default that divides blockRows.
    if (options.tileRows === undefined) while (tileRows > 1 && blockRows % tileRows !== 0) tileRows >>= 1;
    if (!Number.isInteger(tileRows) || tileRows <= 0 || (tileRows & (tileRows - 1)) !== 0) {
      throw new SiftError('E_BAD_ARGUMENT', `tileRows must be a power of two, got ${tileRows}`);
    }
    if (!Number.isInteger(blockRows) || blockRows <= 0 || blockRows % tileRows !== 0) {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `blockRows must be a positive multiple of tileRows (${tileRows})`,
      );
    }
    const scales = options.scales ?? 'vector';
    if (scales !== 'vector' && scales !== 'dimension') {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `unknown int8 scales kind "${String(scales)}" (vector, dimension)`,
      );
    }
    this.dimension = dimension;
    this.modelId = options.modelId;
    this.dtype = dtype;
    this.scalesKind = dtype === 'int8' ? scales : null;
    this.normalized = options.normalize ?? false;
    this.blockRows = blockRows;
    this.tileRows = tileRows;
    this.codeWidth = roundUp(dimension, 4);
  }

  static create(dimension: number, options: VectorStoreOptions): VectorStore {
    return new VectorStore(dimension, options);
  }

  /** Ordinals handed out so far, deleted ones included (IndexComponent's `rows`). */
  get size(): number {
    return this.count;
  }

  get rows(): number {
    return this.count;
  }

  get liveCount(): number {
    return this.count - this.deletedCount;
  }

  /** File name of this store as an index component, e.g. "vectors-all-minilm-l6-v2.sidx". */
  get fileName(): string {
    // ':' (a variant such as "all-minilm-l6-v2:int8") becomes '@' so it cannot collide with a '-' in another id.
    return `vectors-${this.modelId
      .toLowerCase()
      .replace(/:/g, '@')
      .replace(/[^a-z0-9@._-]+/g, '-')}.sidx`;
  }

  /** The blocks, in ordinal order (for ExactKnn; do not modify). */
  blocks(): readonly VectorBlock[] {
    return this.blockList;
  }

  /** Per-dimension int8 scales (undefined until codes are first made, or for other kinds). */
  dimensionScales(): Float32Array | undefined {
    return this.dimScales;
  }

  /** The deletion bitmap, one byte per ordinal (1 = deleted); may be longer than `size`. */
  deletedBitmap(): Uint8Array {
    return this.deletedBits;
  }

  /** Appends one vector and returns its ordinal. */
  add(vector: Float32Array): number {
    this.checkDimension(vector.length);
    return this.append(vector, 0);
  }

  /** Appends n vectors laid out row after row in `matrix`; returns the first one's ordinal. */
  addBatch(matrix: Float32Array, n: number): number {
    if (!Number.isInteger(n) || n < 0)
      throw new SiftError('E_BAD_ARGUMENT', `row count must be >= 0, got ${n}`);
    if (matrix.length !== n * this.dimension) {
      throw new SiftError(
        'E_VECTOR_DIMENSION',
        `a batch of ${n} vectors of dimension ${this.dimension} needs ${n * this.dimension} values, got ${matrix.length}`,
        { expected: n * this.dimension, actual: matrix.length },
      );
    }
    const first = this.count;
    for (let i = 0; i < n; i++) this.append(matrix, i * this.dimension);
    return first;
  }

  /** Tombstones a row; returns false when it was already deleted or never existed. */
  delete(ord: number): boolean {
    if (!this.isLive(ord)) return false;
    this.deletedBits[ord] = 1;
    this.deletedCount++;
    const block = this.blockList[Math.floor(ord / this.blockRows)]!;
    block.dead++;
    block.version++;
    this.dirty = true;
    return true;
  }

  /** IndexComponent's name for `delete`. */
  markDeleted(ord: number): void {
    this.delete(ord);
  }

  isLive(ord: number): boolean {
    return Number.isInteger(ord) && ord >= 0 && ord < this.count && this.deletedBits[ord] === 0;
  }

  /** The row of `ord` as float32 (decoded from half precision for float16 stores). */
  vector(ord: number, out = new Float32Array(this.dimension)): Float32Array {
    this.checkOrdinal(ord);
    const { block, row } = this.locate(ord);
    const d = this.dimension;
    if (block.data instanceof Float32Array) out.set(block.data.subarray(row * d, row * d + d));
    else for (let j = 0; j < d; j++) out[j] = halfToFloat(block.data[row * d + j]!);
    return out;
  }

  /** Exact dot product of row `ord` with `query[offset .. offset+dimension)`, from the master rows. */
  dot(ord: number, query: Float32Array, offset = 0): number {
    const { block, row } = this.locate(ord);
    const d = this.dimension;
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

  /** int8: makes codes for every row that has none yet (fixing per-dimension scales on first use). */
  ensureQuantized(): void {
    if (this.dtype !== 'int8') return;
    if (this.scalesKind === 'dimension' && this.dimScales === undefined) {
      if (this.count === 0) return;
      this.dimScales = this.computeDimensionScales();
    }
    for (const block of this.blockList) {
      if (block.quantized === block.rows) continue;
      for (let row = block.quantized; row < block.rows; row++) this.quantizeRow(block, row);
      block.quantized = block.rows;
      block.version++;
    }
  }

  meta(): VectorMeta {
    return {
      dimension: this.dimension,
      dtype: this.dtype,
      count: this.count,
      modelId: this.modelId,
      normalized: this.normalized,
      scales: this.scalesKind,
      blockRows: this.blockRows,
      tileRows: this.tileRows,
      deleted: this.deletedCount,
    };
  }

  /**
   * Serialises the rows of the `live` ordinals, renumbered 0..live.length-1 in that order (the compaction
   * an index commit applies). Ordinals at or past `size` are skipped (rows not embedded yet).
   */
  toSections(live: Uint32Array): Sections {
    let n = live.length;
    while (n > 0 && live[n - 1]! >= this.count) n--;
    let identity = n === this.count;
    for (let i = 0; identity && i < n; i++) identity = live[i] === i;
    if (identity && this.deletedCount === 0) {
      this.ensureQuantized();
      return this.sections(false);
    }
    const compact = new VectorStore(this.dimension, this.options());
    for (let i = 0; i < n; i++) {
      const ord = live[i]!;
      if (ord >= this.count) continue;
      const { block, row } = this.locate(ord);
      compact.appendRaw(block.data, row * this.dimension);
    }
    compact.ensureQuantized();
    return compact.sections(false);
  }

  /** IndexComponent: writes the live rows, compacted, to a file of their own. */
  async write(path: string, live: Uint32Array): Promise<void> {
    const sections = this.toSections(live);
    const meta = JSON.parse(new TextDecoder().decode(sections.get('vec.meta')!)) as VectorMeta;
    await writeContainer(path, VECTOR_FORMAT, VECTOR_FORMAT_VERSION, { ...meta }, sections);
    this.dirty = false;
  }

  /** Writes every row, tombstones included, to `path` (atomically); ordinals are kept as they are. */
  async save(path: string): Promise<void> {
    this.ensureQuantized();
    await writeContainer(path, VECTOR_FORMAT, VECTOR_FORMAT_VERSION, { ...this.meta() }, this.sections(true));
    this.dirty = false;
  }

  static async open(path: string, expected: VectorStoreExpectation = {}): Promise<VectorStore> {
    const container = await readContainer(path, VECTOR_FORMAT, READABLE_VERSIONS);
    return VectorStore.fromContainer(container, expected, path);
  }

  /** Rebuilds a store from its sections; refuses a different dimension or model, or damaged sections. */
  static fromContainer(
    container: OpenedContainer,
    expected: VectorStoreExpectation = {},
    file?: string,
  ): VectorStore {
    const where = file === undefined ? {} : { file };
    const corrupt = (detail: string) => new SiftError('E_INDEX_CORRUPT', `vector store: ${detail}`, where);
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
    const store = new VectorStore(meta.dimension, {
      modelId: meta.modelId,
      dtype: meta.dtype,
      scales: meta.scales ?? 'vector',
      normalize: meta.normalized,
      blockRows: meta.blockRows,
      tileRows: meta.tileRows,
    });
    const d = meta.dimension;
    const section = (name: string, bytes: number): Uint8Array => {
      if (!container.has(name)) throw corrupt(`section "${name}" is missing`);
      const view = container.section(name);
      if (view.byteLength !== bytes) {
        throw corrupt(`section "${name}" is ${view.byteLength} bytes, expected ${bytes}`);
      }
      return view;
    };
    if (meta.dtype === 'int8' && meta.scales === 'dimension' && meta.count > 0) {
      store.dimScales = float32View(section('vec.dimScales', d * 4));
    }
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
          const codes = section(`vec.codes.${b}`, tiles * meta.tileRows * store.codeWidth);
          block.codes = new Int8Array(codes.buffer, codes.byteOffset, codes.byteLength);
          block.quantized = rows;
        } else {
          // Version 1's dimension-major codes: remade from the master rows (and the stored per-dimension
          // scales), which gives the codes a version 2 file would hold.
          block.codes = new Int8Array(tiles * meta.tileRows * store.codeWidth);
        }
        if (meta.scales === 'vector') {
          // Scales are stored for the filled rows only; the search wants whole tiles (zeros past the end).
          const scales = float32View(section(`vec.scales.${b}`, rows * 4));
          block.rowScales = rows % meta.tileRows === 0 ? scales : padded(scales, tiles * meta.tileRows);
        }
      }
      store.blockList.push(block);
    }
    store.count = meta.count;
    store.deletedBits = new Uint8Array(Math.max(1024, meta.count * 2));
    if (container.has('vec.deleted')) {
      const deleted = section('vec.deleted', meta.count);
      for (let ord = 0; ord < meta.count; ord++) {
        if (deleted[ord] === 0) continue;
        store.deletedBits[ord] = 1;
        store.deletedCount++;
        store.blockList[Math.floor(ord / meta.blockRows)]!.dead++;
      }
    }
    if (store.deletedCount !== meta.deleted) {
      throw corrupt(`metadata says ${meta.deleted} rows are deleted, the bitmap marks ${store.deletedCount}`);
    }
    return store;
  }

  // --- internals -------------------------------------------------------------------------------------

  private options(): VectorStoreOptions {
    return {
      modelId: this.modelId,
      dtype: this.dtype,
      scales: this.scalesKind ?? 'vector',
      normalize: this.normalized,
      blockRows: this.blockRows,
      tileRows: this.tileRows,
    };
  }

  private checkDimension(length: number): void {
    if (length !== this.dimension) {
      throw new SiftError(
        'E_VECTOR_DIMENSION',
        `vector has dimension ${length}, expected ${this.dimension} (store for model ${this.modelId})`,
        { expected: this.dimension, actual: length },
      );
    }
  }

  private checkOrdinal(ord: number): void {
    if (!Number.isInteger(ord) || ord < 0 || ord >= this.count) {
      throw new SiftError('E_UNKNOWN_DOC', `no vector at ordinal ${ord} (store has ${this.count})`, { ord });
    }
  }

  private locate(ord: number): { block: VectorBlock; row: number } {
    const b = Math.floor(ord / this.blockRows);
    return { block: this.blockList[b]!, row: ord - b * this.blockRows };
  }

  /** The block the next row goes into, with room for it. */
  private tailBlock(): VectorBlock {
    let block = this.blockList[this.blockList.length - 1];
    if (block === undefined || block.rows === this.blockRows) {
      const capacity = Math.min(this.blockRows, INITIAL_ROWS);
      const d = this.dimension;
      block = {
        start: this.count,
        rows: 0,
        data: this.dtype === 'float16' ? new Uint16Array(capacity * d) : new Float32Array(capacity * d),
        quantized: 0,
        dead: 0,
        version: 0,
      };
      if (this.dtype === 'int8') {
        block.codes = new Int8Array(roundUp(capacity, this.tileRows) * this.codeWidth);
        if (this.scalesKind === 'vector')
          block.rowScales = new Float32Array(roundUp(capacity, this.tileRows));
      }
      this.blockList.push(block);
    }
    const capacity = block.data.length / this.dimension;
    if (block.rows === capacity) this.grow(block, Math.min(this.blockRows, capacity * 2));
    return block;
  }

  private grow(block: VectorBlock, capacity: number): void {
    const d = this.dimension;
    const data =
      block.data instanceof Float32Array ? new Float32Array(capacity * d) : new Uint16Array(capacity * d);
    data.set(block.data.subarray(0, block.rows * d));
    block.data = data;
    if (block.codes) {
      const codes = new Int8Array(roundUp(capacity, this.tileRows) * this.codeWidth);
      codes.set(block.codes.subarray(0, Math.min(block.codes.length, codes.length)));
      block.codes = codes;
    }
    if (block.rowScales) {
      const scales = new Float32Array(roundUp(capacity, this.tileRows));
      scales.set(block.rowScales.subarray(0, Math.min(block.rowScales.length, scales.length)));
      block.rowScales = scales;
    }
  }

  /** Appends `source[offset .. offset+dimension)` (float32), normalising and rounding as configured. */
  private append(source: Float32Array, offset: number): number {
    const d = this.dimension;
    const block = this.tailBlock();
    const base = block.rows * d;
    let norm = 1;
    if (this.normalized) {
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
    return this.commitRow(block);
  }

  /** Appends a row already in this store's storage type (used when compacting). */
  private appendRaw(source: Float32Array | Uint16Array, offset: number): void {
    const block = this.tailBlock();
    block.data.set(source.subarray(offset, offset + this.dimension) as never, block.rows * this.dimension);
    this.commitRow(block);
  }

  private commitRow(block: VectorBlock): number {
    const ord = this.count++;
    block.rows++;
    block.version++;
    if (ord >= this.deletedBits.length) {
      const grown = new Uint8Array(this.deletedBits.length * 2);
      grown.set(this.deletedBits);
      this.deletedBits = grown;
    }
    this.dirty = true;
    return ord;
  }

  private computeDimensionScales(): Float32Array {
    const d = this.dimension;
    const maxAbs = new Float32Array(d);
    for (const block of this.blockList) {
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

  private quantizeRow(block: VectorBlock, row: number): void {
    const d = this.dimension;
    const data = block.data as Float32Array;
    const codes = block.codes!;
    const base = row * d;
    let scales: Float32Array | undefined = this.dimScales;
    let rowScale = 1;
    if (this.scalesKind === 'vector') {
      let maxAbs = 0;
      for (let j = 0; j < d; j++) maxAbs = Math.max(maxAbs, Math.abs(data[base + j]!));
      rowScale = maxAbs > 0 ? maxAbs / 127 : 1;
      block.rowScales![row] = rowScale;
      scales = undefined;
    }
    for (let j = 0; j < d; j++) {
      const code = clampCode(Math.round(data[base + j]! / (scales ? scales[j]! : rowScale)));
      codes[codeIndex(this.codeWidth, this.tileRows, row, j)] = code;
    }
  }

  private sections(withDeleted: boolean): Sections {
    const d = this.dimension;
    const meta = this.meta();
    if (!withDeleted) meta.deleted = 0;
    const sections: Sections = new Map([['vec.meta', new TextEncoder().encode(JSON.stringify(meta))]]);
    if (this.dimScales) sections.set('vec.dimScales', bytesOf(this.dimScales));
    this.blockList.forEach((block, b) => {
      sections.set(`vec.data.${b}`, bytesOf(block.data.subarray(0, block.rows * d)));
      if (block.codes) {
        sections.set(
          `vec.codes.${b}`,
          bytesOf(block.codes.subarray(0, roundUp(block.rows, this.tileRows) * this.codeWidth)),
        );
      }
      if (block.rowScales) sections.set(`vec.scales.${b}`, bytesOf(block.rowScales.subarray(0, block.rows)));
    });
    if (withDeleted) sections.set('vec.deleted', this.deletedBits.subarray(0, this.count));
    return sections;
  }
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

/**
 * Where the int8 code of (row, dimension j) sits in a block's code array: tile ⌊row/tileRows⌋, then the
 * group of four dimensions j/4, then the row within the tile, then j mod 4. `codeWidth` is the dimension
 * rounded up to a multiple of 4 (the padding codes are 0).
 */
export function codeIndex(codeWidth: number, tileRows: number, row: number, j: number): number {
  const tile = Math.floor(row / tileRows);
  return tile * codeWidth * tileRows + (j >> 2) * 4 * tileRows + (row - tile * tileRows) * 4 + (j & 3);
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

function clampCode(v: number): number {
  return Math.min(127, Math.max(-127, v));
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
