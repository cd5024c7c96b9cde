// Dev-split evaluation during training: score every dev pair with the model (no dropout), then the mean
// pointwise loss and nDCG@10 of each query's pairs ranked by score (sift's trec_eval-conformant metrics,
// the pairs' grades as the qrels).

import { evaluateRun, type Run } from '../eval/index.js';
import type { Qrels } from '../ingest/index.js';
import { type EncodedPair, tokenBatch } from './batches.js';
import type { TokenBatch } from './embeddings.js';
import type { TrainingExample } from './examples.js';

export interface DevResult {
  ndcg10: number;
  loss: number;
}

export function evaluateDev(
  model: { forward(tokens: TokenBatch): Float32Array },
  examples: readonly TrainingExample[],
  pairs: readonly EncodedPair[],
  lossOf: (logits: Float32Array, rows: readonly number[]) => number,
  batchSize: number,
  options: {
    /** The loss needs each query's candidates together (listwise): computed once, over all pairs in query order. */
    wholeQueries?: boolean;
  } = {},
): DevResult {
  const order = pairs.map((_, i) => i).sort((a, b) => pairs[a]!.ids.length - pairs[b]!.ids.length);
  const scores = new Float32Array(pairs.length);
  let lossSum = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize);
    const logits = model.forward(tokenBatch(pairs, rows));
    const labels = logits.length / rows.length;
    rows.forEach((r, b) => {
      // One logit: the score; several (grade classes): the expected grade under softmax.
      scores[r] = labels === 1 ? logits[b]! : expectedGrade(logits.subarray(b * labels, (b + 1) * labels));
    });
    if (!options.wholeQueries) lossSum += lossOf(logits, rows) * rows.length;
  }
  if (options.wholeQueries) {
    const byQuery = examples
      .map((_, i) => i)
      .sort((a, b) => compareKeys(examples[a]!.queryId, examples[b]!.queryId) || a - b);
    lossSum =
      lossOf(
        Float32Array.from(byQuery, (r) => scores[r]!),
        byQuery,
      ) * pairs.length;
  }
  const run: Run = new Map();
  const qrels: Qrels = new Map();
  examples.forEach((e, i) => {
    if (!run.has(e.queryId)) run.set(e.queryId, []);
    run.get(e.queryId)!.push({ docId: e.docId, score: scores[i]! });
    if (!qrels.has(e.queryId)) qrels.set(e.queryId, new Map());
    qrels.get(e.queryId)!.set(e.docId, e.grade);
  });
  const result = evaluateRun(run, qrels, { metrics: ['ndcg@10'] });
  return { ndcg10: result.metrics['ndcg@10'] ?? 0, loss: lossSum / Math.max(1, pairs.length) };
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function expectedGrade(logits: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  let weighted = 0;
  logits.forEach((l, g) => {
    const e = Math.exp(l - max);
    sum += e;
    weighted += g * e;
  });
  return weighted / sum;
}
