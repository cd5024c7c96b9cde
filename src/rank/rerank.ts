// The second stage of `retrieve → rank`: re-scores the first stage's top N with a ranker.
//
// The reranked top N come first, ordered by the ranker's score; the rest of the first-stage list follows
// in its own order, so metrics at any depth (Recall@100 of a 1,000-deep run) stay defined. Every hit
// keeps both stages' scores, for the API's per-stage view.

import type { Hit } from '../retrieve/index.js';
import type { RankCandidate, Ranker } from './types.js';

export interface RerankOptions {
  /** How many first-stage hits the ranker scores. Default 100. */
  topN?: number;
}

export interface RerankedHit extends Hit {
  stages: { first: number; rank?: number };
}

export interface RerankOutcome {
  hits: RerankedHit[];
  /** Milliseconds spent in the ranker. */
  rankMs: number;
}

export async function rerank(
  query: string,
  hits: readonly Hit[],
  ranker: Ranker,
  candidateOf: (hit: Hit) => RankCandidate,
  options: RerankOptions = {},
): Promise<RerankOutcome> {
  const topN = Math.min(options.topN ?? 100, hits.length);
  const head = hits.slice(0, topN);
  const started = performance.now();
  const scores = await ranker.score(query, head.map(candidateOf));
  const rankMs = performance.now() - started;
  const reranked: RerankedHit[] = head
    .map((hit, i) => ({ ...hit, score: scores[i] ?? 0, stages: { first: hit.score, rank: scores[i] ?? 0 } }))
    // Ties (equal probabilities) keep the first stage's order: sort is stable.
    .sort((a, b) => b.score - a.score);
  // The tail sits below every reranked score: shift first-stage scores under the head's minimum.
  const floor = reranked.length > 0 ? Math.min(...reranked.map((h) => h.score)) : 0;
  const tail = hits
    .slice(topN)
    .map((hit, i) => ({ ...hit, score: floor - 1 - i, stages: { first: hit.score } }));
  return { hits: [...reranked, ...tail], rankMs };
}
