// Exact (exhaustive) k-nearest-neighbour search over a VectorStore: every live row is scored. (Over 400
// lines: the native path, the ONNX Runtime fallback and the per-query k-th-best merge share one scan plan.)
//
// float32 and int8 stores are scanned by sift's native kernel (native/knn.cc via runtime/native-knn.ts)
// when it was built at install: scores are compared with each query's k-th best while still in registers,
// so the score matrix is never written out; int8 stores are scanned through their codes. Without the addon,
// and for float16 stores, the scan runs as ONNX Runtime graphs (runtime/knn-graphs.ts) over the float rows
// (an int8 store's float32 master, so exactly), one run per chunk of rows (`float32Chunk`, or
// `float16Chunk` for half rows): a matrix product of the query batch against the rows (MLAS sgemm) and a
// TopK, on intraOpThreads threads. Corpus tensors are zero-copy views of the store's arrays, made once per
// block and remade only when the block changed (appends to the last block, deletions). Each run or block
// yields its best candidates per query; a heap merges them (ties to the lower ordinal). onnxruntime-node
// runs a session on the calling thread, yielding between runs; the native scan is synchronous (its own
// threads, joined per block) and holds the calling thread for the whole search; the HTTP service runs
// searches in its engine worker.
//
// Deleted rows and the `allowed` filter are applied inside the scan (the native kernel skips rows whose
// live byte is 0; the graphs add 0 or −∞ before TopK), so they never take a candidate slot. A filter that
// leaves only a few rows is instead answered by scoring exactly those rows in JavaScript, as are tiny stores.
//
// Final scores are always exact dot products recomputed from the store's master rows (float32, or the
// half values of a float16 store). For int8 the native scan ranks by the quantised scores and the best
// `rescore` candidates per query (default 4·k) are rescored this way, so the returned order is exact among
// them.

import { availableParallelism } from 'node:os';
import { SiftError } from '../errors.js';
import type { VectorBlock, VectorStore } from '../index/index.js';
import {
  type KnnChunkTop,
  KnnRows,
  type KnnVariant,
  loadNativeKnn,
  type NativeKnn,
  type NativeScanResult,
  nativeKnnStatus,
  OrtKnnScan,
} from '../runtime/index.js';
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
   * Which scan runs float32 and int8 stores: 'auto' (default) = the native kernel when it was built and
   * runs a SIMD path for this store's shape, else ONNX Runtime; 'native' requires the kernel
   * (E_NATIVE_UNAVAILABLE otherwise), even its scalar loops; 'ort' = ONNX Runtime.
   */
  kernel?: 'auto' | 'native' | 'ort';
}

/** Zero-copy views of one block's float rows for the ORT scan, one per chunk of rows. */
interface BlockChunks {
  version: number;
  corpus: KnnRows[];
}

/** Which rows of a block may be returned: bytes (1 = yes) or undefined when every row may. */
interface LiveRows {
  version: number;
  live: Uint8Array | undefined;
  /** The same as an additive mask (0 or −∞) for the graphs, made on first use. */
  mask?: Float32Array;
}

export class ExactKnn {
  private ortScan: OrtKnnScan | undefined;
  private readonly cache = new WeakMap<VectorBlock, BlockChunks>();
  private readonly threads: number;
  private readonly queryBatch: number;
  private readonly rowChunk: number;
  private readonly scanInJsBelow: number;
  private readonly native: NativeKnn | undefined;
  /** Per block: its live rows, remade when the block changed. */
  private readonly liveCache = new WeakMap<VectorBlock, LiveRows>();

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
    const native = kernel === 'ort' || store.dtype === 'float16' ? undefined : loadNativeKnn();
    // 'auto' never picks the scalar loops (no AVX2, or a shape no SIMD path takes): MLAS's sgemm, which
    // the ORT scan runs, is vectorised on every x86-64 CPU and beat them 2× at batch 1 and 24× at batch 32
    // (bench/knn-variants.ts; DESIGN.md), while every SIMD variant beat the ORT scan per CPU-second.
    const scalar = native !== undefined && this.nativePath(native) === 'scalar';
    this.native = kernel === 'auto' && scalar ? undefined : native;
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

  /** The native kernel's path for this store ('avx512-vnni', 'avx512f', 'avx2-fma', 'scalar'), or 'ort'. */
  get kernelPath(): KnnVariant | 'ort' {
    return this.native ? this.nativePath(this.native) : 'ort';
  }

  private nativePath(native: NativeKnn): KnnVariant {
    const int8 = this.store.dtype === 'int8';
    return native.pathFor(
      int8 ? 'int8' : 'float32',
      int8 ? this.store.codeWidth : this.store.dimension,
      this.store.tileRows,
    );
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
    const scan = this.ortScan;
    this.ortScan = undefined;
    await scan?.release();
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
    const queries = int8 ? this.queryCodes(batch, m) : batch;
    for (const block of this.store.blocks()) {
      if (block.rows === 0 || block.dead === block.rows) continue;
      const live = this.allowedRows(block, allowed);
      if (live === null) continue; // nothing allowed in this block
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
            queries as Int8Array,
            this.store.codeWidth,
            block.codes!,
            block.rowScales ?? null,
            this.store.tileRows,
            common,
          )
        : native.scanFloat32(queries as Float32Array, d, block.data as Float32Array, common);
      offerNative(result, m, common.threads, collectors);
    }
  }

  /** The block's rows that may be returned: undefined = all, null = none, else one byte per row. */
  private allowedRows(block: VectorBlock, allowed: Uint8Array | undefined): Uint8Array | undefined | null {
    const live = this.liveRows(block).live;
    if (allowed === undefined) return live;
    const rows = new Uint8Array(block.rows);
    const end = Math.min(block.rows, Math.max(0, allowed.length - block.start));
    let any = false;
    for (let r = 0; r < end; r++) {
      if (allowed[block.start + r] !== 0 && (live === undefined || live[r] !== 0)) {
        rows[r] = 1;
        any = true;
      }
    }
    return any ? rows : null;
  }

  /** The block's live (not deleted) rows, cached per block version. */
  private liveRows(block: VectorBlock): LiveRows {
    const cached = this.liveCache.get(block);
    if (cached !== undefined && cached.version === block.version) return cached;
    let live: Uint8Array | undefined;
    if (block.dead > 0) {
      const deleted = this.store.deletedBitmap();
      live = new Uint8Array(block.rows);
      for (let r = 0; r < block.rows; r++) live[r] = deleted[block.start + r] === 0 ? 1 : 0;
    }
    const entry: LiveRows = { version: block.version, live };
    this.liveCache.set(block, entry);
    return entry;
  }

  // --- the ORT scan ----------------------------------------------------------------------------------

  private scan(): OrtKnnScan {
    // int8 stores are scanned through their float32 master rows here.
    this.ortScan ??= new OrtKnnScan(
      this.store.dtype === 'float16' ? 'float16' : 'float32',
      this.store.dimension,
      this.threads,
    );
    return this.ortScan;
  }

  private async scanBlocks(
    batch: Float32Array,
    m: number,
    candidates: number,
    allowed: Uint8Array | undefined,
    collectors: TopKCollector[],
  ): Promise<void> {
    for (const block of this.store.blocks()) {
      if (block.rows === 0 || block.dead === block.rows) continue;
      let mask: Float32Array | undefined;
      if (allowed === undefined) {
        const live = this.liveRows(block);
        if (live.live) live.mask ??= additiveMask(live.live);
        mask = live.mask;
      } else {
        const rows = this.allowedRows(block, allowed);
        if (rows === null) continue; // nothing allowed in this block
        mask = rows && additiveMask(rows);
      }
      const corpus = this.blockChunks(block).corpus;
      const chunk = this.rowChunk;
      for (let c = 0; c < corpus.length; c++) {
        const rows = Math.min(chunk, block.rows - c * chunk);
        const top = await this.scan().topK(
          batch,
          m,
          corpus[c]!,
          Math.min(candidates, rows),
          mask?.subarray(c * chunk, c * chunk + rows),
        );
        collect(top, block.start + c * chunk, collectors);
      }
    }
  }

  /** Zero-copy views of a block's float rows (remade when the block changed). */
  private blockChunks(block: VectorBlock): BlockChunks {
    const cached = this.cache.get(block);
    if (cached !== undefined && cached.version === block.version) return cached;
    const d = this.store.dimension;
    const entry: BlockChunks = { version: block.version, corpus: [] };
    for (let from = 0; from < block.rows; from += this.rowChunk) {
      const n = Math.min(this.rowChunk, block.rows - from);
      const rows = block.data.subarray(from * d, (from + n) * d);
      entry.corpus.push(new KnnRows(rows, n, d));
    }
    this.cache.set(block, entry);
    return entry;
  }

  /**
   * int8: each query as int8 codes of its own symmetric scale, `codeWidth` long (zero padding). Per-dimension
   * scales fold into the query (Σ code_j·s_j·q_j = Σ code_j·(s_j·q_j)); the query's own scale is dropped: it
   * is the same for every row, so the query's ranking does not change.
   */
  private queryCodes(batch: Float32Array, m: number): Int8Array {
    const d = this.store.dimension;
    const width = this.store.codeWidth;
    const dimScales = this.store.dimensionScales();
    const out = new Int8Array(m * width);
    const scaled = new Float32Array(d);
    for (let q = 0; q < m; q++) {
      let maxAbs = 0;
      for (let j = 0; j < d; j++) {
        const v = batch[q * d + j]! * (dimScales ? dimScales[j]! : 1);
        scaled[j] = v;
        if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      }
      const scale = maxAbs > 0 ? maxAbs / 127 : 1;
      for (let j = 0; j < d; j++) out[q * width + j] = Math.round(scaled[j]! / scale);
    }
    return out;
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

/** Offers one chunk's best rows to the per-query collectors (sorted: stops at masked rows or the bar). */
function collect(top: KnnChunkTop, start: number, collectors: TopKCollector[]): void {
  const { values, indices, width } = top;
  collectors.forEach((collector, q) => {
    for (let j = q * width; j < (q + 1) * width; j++) {
      const score = values[j]!;
      if (score === Number.NEGATIVE_INFINITY || Number.isNaN(score)) break; // sorted: the rest are masked
      if (score < collector.threshold) break;
      collector.offer(start + Number(indices[j]!), score);
    }
  });
}

/** Live bytes as an additive mask for the graphs: 0 where a row may be returned, −∞ where not. */
function additiveMask(live: Uint8Array): Float32Array {
  const mask = new Float32Array(live.length);
  for (let r = 0; r < live.length; r++) if (live[r] === 0) mask[r] = Number.NEGATIVE_INFINITY;
  return mask;
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
