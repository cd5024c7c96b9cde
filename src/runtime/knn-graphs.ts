// The ONNX graphs the exact-kNN engine runs where the native kernel is absent (and for float16 stores),
// built with sift's ONNX GraphBuilder (onnx/), and the scan that runs them (OrtKnnScan), so that retrieval
// never builds ONNX graphs, sessions or tensors itself.

import { attr, GraphBuilder } from './onnx/graph-builder.js';
import { elementTypeCode } from './onnx/onnx-proto.js';
import { createSession, type OrtFeeds, type OrtTensor, type Session, tensor } from './ort.js';

/**
 * Which corpus rows a graph scans:
 * - float32: C [n, d] float32 rows (also an int8 store's float32 master); scores = Q·Cᵀ (Gemm, transB),
 *   MLAS sgemm on every thread.
 * - float16: C [n, d] half rows, cast to float32 in the graph, then as float32. Fed in small chunks so the
 *   cast copy stays in cache.
 */
export type KnnGraphKind = 'float32' | 'float16';

/**
 * A graph computing, for m queries against one chunk of rows, the best K (score, row) pairs per query.
 * Outputs "values" [m, K] float32 (best first; −∞ for masked rows) and "indices" [m, K] int64 (row in the
 * chunk; ties go to the lower row, as ONNX TopK specifies). Inputs: Q [m, d] float32 queries, C the rows,
 * B (masked graphs: 0 or −∞ per row, added before TopK) and K (int64 [1]).
 */
export function knnGraph(kind: KnnGraphKind, dimension: number, masked: boolean): Uint8Array {
  const g = new GraphBuilder({ name: `sift-knn-${kind}${masked ? '-masked' : ''}` });
  g.input('Q', 'float32', ['m', dimension]);
  let corpus = g.input('C', kind, ['n', dimension]);
  if (kind === 'float16')
    corpus = g.node('Cast', [corpus], ['C32'], { to: attr.int(elementTypeCode.float32) });
  let scores = g.node('Gemm', ['Q', corpus], ['S'], { transB: attr.int(1) });
  if (masked) scores = g.node('Add', [scores, g.input('B', 'float32', ['n'])], ['SB']);
  g.input('K', 'int64', [1]);
  g.nodeOutputs('TopK', [scores, 'K'], ['values', 'indices'], {
    axis: attr.int(-1),
    largest: attr.int(1),
    sorted: attr.int(1),
  });
  g.output('values', 'float32', ['m', 'k']);
  g.output('indices', 'int64', ['m', 'k']);
  return g.toBytes();
}

/** One chunk of corpus rows, ready to be scanned many times (zero-copy over the caller's array). */
export class KnnRows {
  readonly #tensor: OrtTensor;
  constructor(rows: Float32Array | Uint16Array, count: number, dimension: number) {
    this.#tensor =
      rows instanceof Uint16Array
        ? tensor('float16', rows, [count, dimension])
        : tensor('float32', rows, [count, dimension]);
  }
  /** @internal the scan's own view */
  static tensorOf(rows: KnnRows): OrtTensor {
    return rows.#tensor;
  }
}

/** Per query, the best K (score, row-in-chunk) pairs, best first; `width` entries per query. */
export interface KnnChunkTop {
  values: Float32Array;
  indices: BigInt64Array;
  width: number;
}

/**
 * The exact-kNN scan on ONNX Runtime (the graphs above, masked and unmasked, sessions made on first use):
 * what retrieval runs where the native kernel is absent, without touching ONNX Runtime itself.
 */
export class OrtKnnScan {
  private readonly sessions = new Map<boolean, Promise<Session>>();

  constructor(
    private readonly kind: KnnGraphKind,
    private readonly dimension: number,
    private readonly threads: number,
  ) {}

  /**
   * The best `k` rows of `rows` for each of the `m` queries; `mask` (0 or −∞ per row) keeps rows out. A
   * masked row can still appear at −∞ when fewer than k rows are allowed: callers stop there.
   */
  async topK(
    queries: Float32Array,
    m: number,
    rows: KnnRows,
    k: number,
    mask?: Float32Array,
  ): Promise<KnnChunkTop> {
    const session = await this.session(mask !== undefined);
    const feeds: OrtFeeds = {
      Q: tensor('float32', queries, [m, this.dimension]),
      C: KnnRows.tensorOf(rows),
      K: tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    };
    if (mask) feeds['B'] = tensor('float32', mask, [mask.length]);
    const out = await session.run(feeds);
    return {
      values: out['values']!.data as Float32Array,
      indices: out['indices']!.data as BigInt64Array,
      width: out['values']!.dims[1]!,
    };
  }

  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) await (await session).release();
  }

  private session(masked: boolean): Promise<Session> {
    let session = this.sessions.get(masked);
    if (session === undefined) {
      const key = `${this.kind}:${masked}`;
      session = createSession(knnGraph(this.kind, this.dimension, masked), {
        intraOpThreads: this.threads,
        name: `sift-knn-${key}`,
      });
      this.sessions.set(masked, session);
    }
    return session;
  }
}
