// The ONNX graphs the exact-kNN engine runs where the native kernel is absent (and for float16 stores),
// built with the model builder's GraphBuilder (src/models/onnx/).

import { attr, GraphBuilder } from '../../models/onnx/graph-builder.js';
import { elementTypeCode } from '../../models/onnx/onnx-proto.js';

// --- the exact-kNN graphs ---------------------------------------------------------------------------

/**
 * Which corpus representation a graph scans:
 * - float32: C [n, d] float32 rows; scores = Q·Cᵀ (Gemm, transB) — MLAS sgemm, both threads.
 * - float16: C [n, d] half rows, cast to float32 in the graph, then as float32. Fed in small chunks so the
 *   cast copy stays in cache.
 * - int8-vector / int8-dimension: C [tiles, d, tileRows] int8 codes (dimension-major tiles), Q [m, d] uint8
 *   (int8 codes + 128); MatMulInteger (MLAS u8×s8) gives [tiles, m, tileRows] int32, per-vector scales
 *   R [tiles, 1, tileRows] multiply it (int8-vector; per-dimension scales are folded into Q), and the
 *   offset O [tiles, 1, tileRows] removes the +128 shift and masks rows (the int8 graphs have no B input).
 */
export type KnnGraphKind = 'float32' | 'float16' | 'int8-vector' | 'int8-dimension';

/**
 * A graph computing, for m queries against one corpus block, the best K (score, row) pairs per query.
 * Outputs "values" [m, K] float32 (best first; −∞ for masked rows) and "indices" [m, K] int64 (row in block;
 * ties go to the lower row, as ONNX TopK specifies). Inputs: Q (queries), C (corpus block), R (int8-vector
 * row scales), O (int8: shift correction and mask), B (masked float graphs: 0 or −∞ per row), K (int64 [1]).
 */
export function knnGraph(kind: KnnGraphKind, dimension: number, masked: boolean): Uint8Array {
  const g = new GraphBuilder({ name: `sift-knn-${kind}${masked ? '-masked' : ''}` });
  let scores: string;
  if (kind === 'float32' || kind === 'float16') {
    g.input('Q', 'float32', ['m', dimension]);
    let corpus = g.input('C', kind, ['n', dimension]);
    if (kind === 'float16')
      corpus = g.node('Cast', [corpus], ['C32'], { to: attr.int(elementTypeCode.float32) });
    scores = g.node('Gemm', ['Q', corpus], ['S'], { transB: attr.int(1) });
    if (masked) scores = g.node('Add', [scores, g.input('B', 'float32', ['n'])], ['SB']);
  } else {
    // Queries arrive as uint8 = int8 code + 128 and the kernel runs without a zero point (MLAS's zero-point
    // path re-sums the corpus codes on every call, ~2.5× slower for one query). The shift is undone by the
    // offset O = −128·Σ codes(row) (·row scale), which also carries the mask (−∞).
    g.input('Q', 'uint8', ['m', dimension]);
    g.input('C', 'int8', ['t', dimension, 'r']);
    scores = g.node('MatMulInteger', ['Q', 'C'], ['SI']);
    scores = g.node('Cast', [scores], ['SF'], { to: attr.int(elementTypeCode.float32) });
    if (kind === 'int8-vector')
      scores = g.node('Mul', [scores, g.input('R', 'float32', ['t', 1, 'r'])], ['SR']);
    scores = g.node('Add', [scores, g.input('O', 'float32', ['t', 1, 'r'])], ['SO']);
    // [t, m, r] → [m, t, r] → [m, t·r]: one row of scores per query, in row order.
    scores = g.node('Transpose', [scores], ['ST'], { perm: attr.ints([1, 0, 2]) });
    scores = g.node('Reshape', [scores, g.int64s([0, -1])], ['SM']);
  }
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
