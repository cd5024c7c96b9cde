// The ONNX graphs the exact-kNN engine runs where the native kernel is absent (and for float16 stores),
// built with sift's ONNX GraphBuilder (onnx/), so that retrieval never builds ONNX graphs itself.

import { attr, GraphBuilder } from './onnx/graph-builder.js';
import { elementTypeCode } from './onnx/onnx-proto.js';

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
