// Exact (exhaustive) k-nearest-neighbour search over a VectorStore: every live row is scored.
//
// float32 and int8 stores are scanned by sift's native kernel (native/knn.cc via runtime/native-knn.ts)
// when it was built at install: scores are compared with each query's k-th best while still in registers,
// so the score matrix is never written out. Without the addon, and for float16 stores, the scan runs as
// ONNX Runtime graphs (see knn/knn-graphs.ts), one run per block of rows (float32: per
// chunk of `float32Chunk` rows, float16: per `float16Chunk` rows): a matrix product of the query batch
// against the rows (MLAS sgemm, or u8×s8 MatMulInteger for int8 codes) and a TopK, on intraOpThreads
// threads. Corpus tensors are zero-copy views of the store's arrays, made once per block and remade only
// when the block changed (appends to the last block, deletions), so full blocks stay resident and rows
// appended since the last search are picked up by re-wrapping the last block. Each run yields its best
// candidates per query; a heap merges them across runs (ties to the lower ordinal). Note that
// onnxruntime-node runs a session on the calling (main) thread: a search holds the event loop for one run
// at a time, yielding between runs. The native scan is synchronous (its own threads, joined per block), so
// it holds the calling thread for the whole search; the HTTP service runs searches in its engine worker.
//
// Deleted rows, tile padding and the `allowed` filter are applied inside the scan as an additive mask
// (0 or −∞) before TopK, so they never take a candidate slot (for int8 the mask rides on the offset that
// undoes the +128 query shift). A filter that leaves only a few rows is instead answered by scoring exactly
// those rows in JavaScript, as are tiny stores.
//
// Final scores are always exact dot products recomputed from the store's master rows (float32, or the
// half values of a float16 store). For int8 the scan ranks by the quantised scores and the best `rescore`
// candidates per query (default 4·k) are rescored this way, so the returned order is exact among them.

import { availableParallelism } from 'node:os';
import { SiftError } from '../errors.js';
import type { VectorBlock, VectorStore } from '../index/vector-store.js';
import {
  loadNativeKnn,
  type NativeKnn,
  type NativeScanResult,
  nativeKnnStatus,
} from '../runtime/native-knn.js';
import { createSession, type OrtFeeds, type OrtTensor, type Session, tensor } from '../runtime/ort.js';
import { type KnnGraphKind, knnGraph } from './knn/knn-graphs.js';
import { type ScoredOrdinal, TopKCollector } from './top-k.js';

export interface KnnSearchOptions {
  /**
   * Metadata filter as a bitmap by ordinal, one byte per ordinal: nonzero = may be returned. Ordinals past
   * its end are excluded. Applied during the scan, so the k results are the best allowed rows.
   */
  allowed?: Uint8Array;
  /** int8: how many candidates per query to rescore exactly from the float32 rows (default 4·k, min k). */
  rescore?: number;
}

export interface ExactKnnOptions {
  /** Threads for the matrix products. Default: every core this process may use. */
  intraOpThreads?: number;
  /** Queries scored together in one run (bounds memory: batch × block rows scores). Default 64. */
  queryBatch?: number;
  /** float32 stores: rows per run (row-major rows split freely). Default 65,536. */
  float32Chunk?: number;
  /** float16 stores: rows per run, small enough for the float32 cast to stay in cache. Default 4,096. */
  float16Chunk?: number;
  /** At most this many candidate rows (after filtering) are scored in JavaScript instead. Default 2,048. */
  scanInJsBelow?: number;
  /**
   * Which scan runs float32 and int8 stores: 'auto' (default) = the native kernel when it was built, else
   * ONNX Runtime; 'native' requires the kernel (E_NATIVE_UNAVAILABLE otherwise); 'ort' = ONNX Runtime.
   */
  kernel?: 'auto' | 'native' | 'ort';
}

interface BlockTensors {
  version: number;
  rows: number;
  /** int8: one corpus tensor; float32/float16: one per chunk of rows. */
  corpus: OrtTensor[];
  rowScales?: OrtTensor;
  /** float: deleted rows as 0/−∞, or undefined when nothing is masked. int8: the offset input O (the
   *  −128·Σcodes shift correction, −∞ for deleted rows and tile padding); always present. */
  mask?: Float32Array;
}

export class ExactKnn {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly cache = new WeakMap<VectorBlock, BlockTensors>();
  private readonly threads: number;
  private readonly queryBatch: number;
  private readonly rowChunk: number;
  private readonly scanInJsBelow: number;
  private readonly native: NativeKnn | undefined;
  /** Per block: its live rows as bytes (undefined = all live), remade when the block changed. */
  private readonly liveCache = new WeakMap<VectorBlock, { version: number; live: Uint8Array | undefined }>();

  constructor(
    readonly store: VectorStore,
    options: ExactKnnOptions = {},
  ) {
    this.threads = options.intraOpThreads ?? availableParallelism();
    this.queryBatch = options.queryBatch ?? 64;
    this.rowChunk =
      store.dtype === 'float16' ? (options.float16Chunk ?? 4096) : (options.float32Chunk ?? 65_536);
    this.scanInJsBelow = options.scanInJsBelow ?? 2048;
    const kernel = options.kernel ?? 'auto';
    this.native = kernel === 'ort' || store.dtype === 'float16' ? undefined : loadNativeKnn();
    if (kernel === 'native' && this.native === undefined) {
      throw new SiftError(
        'E_NATIVE_UNAVAILABLE',
        store.dtype === 'float16'
          ? 'the native kNN kernel scans float32 and int8 stores, not float16'
          : `the native kNN kernel is not available: ${nativeKnnStatus().reason}`,
      );
    }
  }

  /** Which scan serves this store: 'native' or 'ort'. */
  get kernel(): 'native' | 'ort' {
    return this.native ? 'native' : 'ort';
  }

  /**
   * The k best live rows for each of `numQueries` queries laid out row after row in `queries`, best first,
   * scored by dot product (= cosine for normalised vectors); ties go to the lower ordinal.
   */
  async search(
    queries: Float32Array,
    numQueries: number,
    k: number,
    options: KnnSearchOptions = {},
  ): Promise<ScoredOrdinal[][]> {
    const d = this.store.dimension;
    if (!Number.isInteger(numQueries) || numQueries < 0) {
      throw new SiftError('E_BAD_ARGUMENT', `query count must be an integer >= 0, got ${numQueries}`);
    }
    if (queries.length !== numQueries * d) {
      throw new SiftError(
        'E_VECTOR_DIMENSION',
        `${numQueries} queries of dimension ${d} need ${numQueries * d} values, got ${queries.length} (store for model ${this.store.modelId})`,
        { expected: numQueries * d, actual: queries.length },
      );
    }
    if (!Number.isInteger(k) || k < 0)
      throw new SiftError('E_BAD_ARGUMENT', `k must be an integer >= 0, got ${k}`);
    const rescore = options.rescore ?? 4 * k;
    if (!Number.isInteger(rescore) || rescore < 0) {
      throw new SiftError('E_BAD_ARGUMENT', `rescore must be an integer >= 0, got ${rescore}`);
    }
    if (k === 0 || this.store.liveCount === 0) return Array.from({ length: numQueries }, () => []);
    const candidates = this.store.dtype === 'int8' ? Math.max(k, rescore) : k;

    const { allowed } = options;
    if (allowed !== undefined) {
      const rows = this.allowedLiveRows(allowed, this.scanInJsBelow + 1);
      if (rows.length <= this.scanInJsBelow) return this.scanRows(rows, queries, numQueries, k);
    } else if (this.store.liveCount <= this.scanInJsBelow && this.store.size <= 4 * this.scanInJsBelow) {
      return this.scanRows(this.allowedLiveRows(undefined, Number.POSITIVE_INFINITY), queries, numQueries, k);
    }

    this.store.ensureQuantized();
    const results: ScoredOrdinal[][] = [];
    for (let first = 0; first < numQueries; first += this.queryBatch) {
      const m = Math.min(this.queryBatch, numQueries - first);
      const batch = queries.subarray(first * d, (first + m) * d);
      const collectors = Array.from({ length: m }, () => new TopKCollector(candidates));
      if (this.native) this.scanBlocksNative(this.native, batch, m, candidates, allowed, collectors);
      else await this.scanBlocks(batch, m, candidates, allowed, collectors);
      for (let i = 0; i < m; i++) {
        // Exact scores for the survivors, from the master rows; the final order follows them.
        const exact = new TopKCollector(k);
        for (const { ord } of collectors[i]!.results()) exact.offer(ord, this.store.dot(ord, batch, i * d));
        results.push(exact.results());
      }
    }
    return results;
  }

  /** Releases the ONNX Runtime sessions (the store is untouched). */
  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) await (await session).release();
  }

  // --- the native scan ------------------------------------------------------------------------------

  private scanBlocksNative(
    native: NativeKnn,
    batch: Float32Array,
    m: number,
    candidates: number,
    allowed: Uint8Array | undefined,
    collectors: TopKCollector[],
  ): void {
    const d = this.store.dimension;
    const int8 = this.store.dtype === 'int8';
    const queries = int8 ? this.int16Queries(batch, m) : batch;
    for (const block of this.store.blocks()) {
      if (block.rows === 0 || block.dead === block.rows) continue;
      let live = this.liveRows(block);
      if (allowed !== undefined) {
        live = filterLive(block, allowed, live);
        if (live === undefined) continue; // nothing allowed in this block
      }
      const common = {
        m,
        n: block.rows,
        live: live ?? null,
        base: block.start,
        k: Math.min(candidates, block.rows),
        threads: Math.max(1, Math.min(this.threads, Math.ceil(block.rows / 1024))),
      };
      const result = int8
        ? native.scanInt8(
            queries as Int16Array,
            d,
            block.codes!,
            block.rowScales ?? null,
            this.store.tileRows,
            common,
          )
        : native.scanFloat32(queries as Float32Array, d, block.data as Float32Array, common);
      offerNative(result, m, common.threads, collectors);
    }
  }

  /** The block's live rows as bytes, or undefined when none is deleted. */
  private liveRows(block: VectorBlock): Uint8Array | undefined {
    const cached = this.liveCache.get(block);
    if (cached !== undefined && cached.version === block.version) return cached.live;
    let live: Uint8Array | undefined;
    if (block.dead > 0) {
      const deleted = this.store.deletedBitmap();
      live = new Uint8Array(block.rows);
      for (let r = 0; r < block.rows; r++) live[r] = deleted[block.start + r] === 0 ? 1 : 0;
    }
    this.liveCache.set(block, { version: block.version, live });
    return live;
  }

  /** int8: each query as int8-range codes of its own symmetric scale (per-dimension scales folded in),
   *  widened to int16 for the kernel. The query's scale is dropped: it does not change its ranking. */
  private int16Queries(batch: Float32Array, m: number): Int16Array {
    const d = this.store.dimension;
    const out = new Int16Array(m * d);
    const scaled = this.scaledQueries(batch, m);
    for (let q = 0; q < m; q++) {
      const { values, scale } = scaled[q]!;
      for (let j = 0; j < d; j++) out[q * d + j] = Math.round(values[j]! / scale);
    }
    return out;
  }

  // --- the ORT scan ----------------------------------------------------------------------------------

  private graphKind(): KnnGraphKind {
    if (this.store.dtype === 'int8')
      return this.store.scalesKind === 'dimension' ? 'int8-dimension' : 'int8-vector';
    return this.store.dtype;
  }

  private session(masked: boolean): Promise<Session> {
    const kind = this.graphKind();
    const key = `${kind}:${masked}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = createSession(knnGraph(kind, this.store.dimension, masked), {
        intraOpThreads: this.threads,
        name: `sift-knn-${key}`,
      });
      this.sessions.set(key, session);
    }
    return session;
  }

  private async scanBlocks(
    batch: Float32Array,
    m: number,
    candidates: number,
    allowed: Uint8Array | undefined,
    collectors: TopKCollector[],
  ): Promise<void> {
    const int8 = this.store.dtype === 'int8';
    const queryTensor = int8
      ? tensor('uint8', this.quantizeQueries(batch, m), [m, this.store.dimension])
      : tensor('float32', batch, [m, this.store.dimension]);
    for (const block of this.store.blocks()) {
      if (block.rows === 0 || block.dead === block.rows) continue;
      const tensors = this.blockTensors(block);
      let mask = tensors.mask;
      if (allowed !== undefined) {
        mask = this.filterMask(block, allowed, tensors.mask);
        if (mask === undefined) continue; // nothing allowed in this block
      }
      const session = await this.session(!int8 && mask !== undefined);
      if (!int8) {
        const chunk = this.rowChunk;
        for (let c = 0; c < tensors.corpus.length; c++) {
          const rows = Math.min(chunk, block.rows - c * chunk);
          const feeds: OrtFeeds = { Q: queryTensor, C: tensors.corpus[c]! };
          if (mask) feeds['B'] = tensor('float32', mask.subarray(c * chunk, c * chunk + rows), [rows]);
          await this.runAndCollect(
            session,
            feeds,
            Math.min(candidates, rows),
            block.start + c * chunk,
            collectors,
          );
        }
        continue;
      }
      const feeds: OrtFeeds = { Q: queryTensor, C: tensors.corpus[0]! };
      if (tensors.rowScales) feeds['R'] = tensors.rowScales;
      const tile = this.store.tileRows;
      const tiles = Math.ceil(block.rows / tile);
      const width = tiles * tile;
      feeds['O'] = tensor('float32', mask!.subarray(0, width), [tiles, 1, tile]);
      await this.runAndCollect(session, feeds, Math.min(candidates, width), block.start, collectors);
    }
  }

  private async runAndCollect(
    session: Session,
    feeds: OrtFeeds,
    k: number,
    start: number,
    collectors: TopKCollector[],
  ): Promise<void> {
    feeds['K'] = tensor('int64', BigInt64Array.of(BigInt(k)), [1]);
    const out = await session.run(feeds);
    const values = out['values']!.data as Float32Array;
    const indices = out['indices']!.data as BigInt64Array;
    const width = out['values']!.dims[1]!;
    collectors.forEach((collector, q) => {
      for (let j = q * width; j < (q + 1) * width; j++) {
        const score = values[j]!;
        if (score === Number.NEGATIVE_INFINITY || Number.isNaN(score)) break; // sorted: the rest are masked
        if (score < collector.threshold) break;
        collector.offer(start + Number(indices[j]!), score);
      }
    });
  }

  /** Zero-copy tensors over a block (remade when the block changed), and its deletion/padding mask. */
  private blockTensors(block: VectorBlock): BlockTensors {
    const cached = this.cache.get(block);
    if (cached !== undefined && cached.version === block.version) return cached;
    const d = this.store.dimension;
    const rows = block.rows;
    const entry: BlockTensors = { version: block.version, rows, corpus: [] };
    if (this.store.dtype === 'float32') {
      const data = block.data as Float32Array;
      for (let from = 0; from < rows; from += this.rowChunk) {
        const n = Math.min(this.rowChunk, rows - from);
        entry.corpus.push(tensor('float32', data.subarray(from * d, (from + n) * d), [n, d]));
      }
    } else if (this.store.dtype === 'float16') {
      const data = block.data as Uint16Array;
      for (let from = 0; from < rows; from += this.rowChunk) {
        const n = Math.min(this.rowChunk, rows - from);
        entry.corpus.push(tensor('float16', data.subarray(from * d, (from + n) * d), [n, d]));
      }
    } else {
      const tile = this.store.tileRows;
      const tiles = Math.ceil(rows / tile);
      entry.corpus.push(tensor('int8', block.codes!.subarray(0, tiles * tile * d), [tiles, d, tile]));
      if (block.rowScales) {
        entry.rowScales = tensor('float32', block.rowScales.subarray(0, tiles * tile), [tiles, 1, tile]);
      }
    }
    const deleted = this.store.deletedBitmap();
    if (this.store.dtype === 'int8') {
      const width = Math.ceil(rows / this.store.tileRows) * this.store.tileRows;
      const offset = new Float32Array(width).fill(Number.NEGATIVE_INFINITY);
      const sums = block.codeSums!;
      const scales = block.rowScales;
      for (let r = 0; r < rows; r++) {
        if (deleted[block.start + r] === 0) offset[r] = -128 * sums[r]! * (scales ? scales[r]! : 1);
      }
      entry.mask = offset;
    } else if (block.dead > 0) {
      const mask = new Float32Array(rows);
      for (let r = 0; r < rows; r++) if (deleted[block.start + r] !== 0) mask[r] = Number.NEGATIVE_INFINITY;
      entry.mask = mask;
    }
    this.cache.set(block, entry);
    return entry;
  }

  /** The block's mask combined with the filter; undefined when the filter allows no live row here. */
  private filterMask(
    block: VectorBlock,
    allowed: Uint8Array,
    base: Float32Array | undefined,
  ): Float32Array | undefined {
    const width = base?.length ?? block.rows;
    const mask = base ? Float32Array.from(base) : new Float32Array(width);
    let any = false;
    const end = Math.min(block.rows, Math.max(0, allowed.length - block.start));
    for (let r = 0; r < end; r++) {
      if (allowed[block.start + r] === 0) mask[r] = Number.NEGATIVE_INFINITY;
      else if (mask[r] !== Number.NEGATIVE_INFINITY) any = true;
    }
    mask.fill(Number.NEGATIVE_INFINITY, end, block.rows);
    return any ? mask : undefined;
  }

  /** int8: each query as int8 codes of its own symmetric scale, shifted by +128 to uint8. Its scale is
   *  dropped: it is the same for every row, so the query's ranking does not change. */
  private quantizeQueries(batch: Float32Array, m: number): Uint8Array {
    const d = this.store.dimension;
    const out = new Uint8Array(m * d);
    const scaled = this.scaledQueries(batch, m);
    for (let q = 0; q < m; q++) {
      const { values, scale } = scaled[q]!;
      for (let j = 0; j < d; j++) out[q * d + j] = Math.round(values[j]! / scale) + 128;
    }
    return out;
  }

  /** Each query with per-dimension scales folded in (Σ code_j·s_j·q_j = Σ code_j·(s_j·q_j)), and the
   *  symmetric int8 scale that maps its largest magnitude to 127. */
  private scaledQueries(batch: Float32Array, m: number): { values: Float32Array; scale: number }[] {
    const d = this.store.dimension;
    const dimScales = this.store.dimensionScales();
    return Array.from({ length: m }, (_, q) => {
      const values = new Float32Array(d);
      let maxAbs = 0;
      for (let j = 0; j < d; j++) {
        const v = batch[q * d + j]! * (dimScales ? dimScales[j]! : 1);
        values[j] = v;
        if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      }
      return { values, scale: maxAbs > 0 ? maxAbs / 127 : 1 };
    });
  }

  // --- the JavaScript scan (tiny stores, selective filters) -------------------------------------------

  /** Live (and allowed) ordinals, stopping once more than `limit` are found. */
  private allowedLiveRows(allowed: Uint8Array | undefined, limit: number): number[] {
    const rows: number[] = [];
    const deleted = this.store.deletedBitmap();
    const end = allowed ? Math.min(allowed.length, this.store.size) : this.store.size;
    for (let ord = 0; ord < end && rows.length < limit; ord++) {
      if (deleted[ord] === 0 && (allowed === undefined || allowed[ord] !== 0)) rows.push(ord);
    }
    return rows;
  }

  private scanRows(
    rows: readonly number[],
    queries: Float32Array,
    numQueries: number,
    k: number,
  ): ScoredOrdinal[][] {
    const d = this.store.dimension;
    const results: ScoredOrdinal[][] = [];
    for (let q = 0; q < numQueries; q++) {
      const collector = new TopKCollector(k);
      for (const ord of rows) collector.offer(ord, this.store.dot(ord, queries, q * d));
      results.push(collector.results());
    }
    return results;
  }
}

/** The block's live rows narrowed by the filter; undefined when the filter allows no live row here. */
function filterLive(
  block: VectorBlock,
  allowed: Uint8Array,
  base: Uint8Array | undefined,
): Uint8Array | undefined {
  const live = new Uint8Array(block.rows);
  const end = Math.min(block.rows, Math.max(0, allowed.length - block.start));
  let any = false;
  for (let r = 0; r < end; r++) {
    if (allowed[block.start + r] !== 0 && (base === undefined || base[r] !== 0)) {
      live[r] = 1;
      any = true;
    }
  }
  return any ? live : undefined;
}

/** Offers every thread's kept candidates to the per-query collectors (they break ties by ordinal). */
function offerNative(
  result: NativeScanResult,
  m: number,
  threads: number,
  collectors: TopKCollector[],
): void {
  const k = result.slotsPerQuery;
  for (let t = 0; t < threads; t++) {
    for (let q = 0; q < m; q++) {
      const collector = collectors[q]!;
      const at = (t * m + q) * k;
      for (let i = at; i < at + k; i++) {
        const ord = result.ords[i]!;
        if (ord < 0) continue;
        const score = result.scores[i]!;
        if (score >= collector.threshold) collector.offer(ord, score);
      }
    }
  }
}
