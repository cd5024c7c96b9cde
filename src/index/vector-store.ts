// The flat vector store: one embedding row per document ordinal, searched exhaustively by ExactKnn. (Rows,
// codes and the file format are in vector-block.ts, int8-codes.ts and vector-file-format.ts; what is left
// over 400 lines is the store's own lifecycle: append, tombstone, persist, reopen.)
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
//   vector (default) or per dimension, in tiles of `tileRows` rows of 4-dimension groups (int8-codes.ts,
//   `codeIndex`). Format version 1 stored codes dimension-major; its codes are discarded on open and
//   remade from the float32 master.
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
// On disk it is a container of `vec.*` sections (vector-file-format.ts), so the same sections can sit in a
// shared index container or in a file of their own (`save` / `open`, format "sift-vectors"). Blocks and
// their float32/float16 rows are in vector-block.ts, the int8 codes in int8-codes.ts.

import { SiftError } from '../errors.js';
import { type OpenedContainer, readContainer, type Sections, writeContainer } from './container.js';
import { codeWidthOf, dimensionScales, quantizeRow, type ScalesKind } from './int8-codes.js';
import {
  type BlockShape,
  blockCapacity,
  dotRow,
  growBlock,
  newBlock,
  readRow,
  type VectorBlock,
  type VectorDtype,
  writeRow,
} from './vector-block.js';
import {
  READABLE_VECTOR_VERSIONS,
  readVectorBlocks,
  readVectorMeta,
  VECTOR_FORMAT,
  VECTOR_FORMAT_VERSION,
  type VectorMeta,
  type VectorStoreExpectation,
  vectorSections,
} from './vector-file-format.js';

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
    this.codeWidth = codeWidthOf(dimension);
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
    return readRow(block, row, this.dimension, out);
  }

  /** Exact dot product of row `ord` with `query[offset .. offset+dimension)`, from the master rows. */
  dot(ord: number, query: Float32Array, offset = 0): number {
    const { block, row } = this.locate(ord);
    return dotRow(block, row, this.dimension, query, offset);
  }

  /** int8: makes codes for every row that has none yet (fixing per-dimension scales on first use). */
  ensureQuantized(): void {
    if (this.dtype !== 'int8') return;
    if (this.scalesKind === 'dimension' && this.dimScales === undefined) {
      if (this.count === 0) return;
      this.dimScales = dimensionScales(this.blockList, this.dimension);
    }
    const target = {
      dimension: this.dimension,
      codeWidth: this.codeWidth,
      tileRows: this.tileRows,
      dimScales: this.scalesKind === 'dimension' ? this.dimScales : undefined,
    };
    for (const block of this.blockList) {
      if (block.quantized === block.rows) continue;
      for (let row = block.quantized; row < block.rows; row++) {
        quantizeRow(block.data as Float32Array, block.codes!, block.rowScales, row, target);
      }
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
    const container = await readContainer(path, VECTOR_FORMAT, READABLE_VECTOR_VERSIONS);
    return VectorStore.fromContainer(container, expected, path);
  }

  /** Rebuilds a store from its sections; refuses a different dimension or model, or damaged sections. */
  static fromContainer(
    container: OpenedContainer,
    expected: VectorStoreExpectation = {},
    file?: string,
  ): VectorStore {
    const meta = readVectorMeta(container, expected, file);
    const store = new VectorStore(meta.dimension, {
      modelId: meta.modelId,
      dtype: meta.dtype,
      scales: meta.scales ?? 'vector',
      normalize: meta.normalized,
      blockRows: meta.blockRows,
      tileRows: meta.tileRows,
    });
    const stored = readVectorBlocks(container, meta, store.codeWidth, file);
    store.blockList.push(...stored.blocks);
    store.dimScales = stored.dimScales;
    store.count = meta.count;
    store.deletedBits = stored.deleted;
    store.deletedCount = stored.deletedCount;
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
      block = newBlock(this.count, Math.min(this.blockRows, INITIAL_ROWS), this.shape());
      this.blockList.push(block);
    }
    const capacity = blockCapacity(block, this.dimension);
    if (block.rows === capacity) growBlock(block, Math.min(this.blockRows, capacity * 2), this.shape());
    return block;
  }

  private shape(): BlockShape {
    return {
      dimension: this.dimension,
      dtype: this.dtype,
      tileRows: this.tileRows,
      codeWidth: this.codeWidth,
      rowScales: this.scalesKind === 'vector',
    };
  }

  /** Appends `source[offset .. offset+dimension)` (float32), normalising and rounding as configured. */
  private append(source: Float32Array, offset: number): number {
    const block = this.tailBlock();
    writeRow(block, block.rows, source, offset, this.dimension, this.normalized);
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

  private sections(withDeleted: boolean): Sections {
    const meta: VectorMeta = this.meta();
    if (!withDeleted) meta.deleted = 0;
    return vectorSections({
      meta,
      blocks: this.blockList,
      codeWidth: this.codeWidth,
      dimScales: this.dimScales,
      deleted: withDeleted ? this.deletedBits : undefined,
    });
  }
}
