// The second stage of `retrieve → rank`: re-scores the first stage's top N with a ranker.
//
// The reranked top N come first, ordered by the ranker's score; the rest of the first-stage list follows
// in its own order, so metrics at any depth (Recall@100 of a 1,000-deep run) stay defined. Every hit
// keeps both stages' scores, for the API's per-stage view.

import type { Hit } from '../retrieve/index.js';
import { scoreThroughCache } from './cached-scores.js';
import type { ScoreCache } from './score-cache.js';
import type { RankCandidate, Ranker } from './types.js';

export interface RerankOptions {
  /** How many first-stage hits the ranker scores. Default 100. */
  topN?: number;
  /** Scores kept across calls (by ranker, query and content); none by default. */
  cache?: ScoreCache;
}

export interface RerankedHit extends Hit {
  stages: { first: number; rank?: number };
}

export interface RerankOutcome {
  hits: RerankedHit[];
  /** Milliseconds spent in the ranker. */
  rankMs: number;
  /** Of the top N: how many came from the cache and how many the ranker scored. */
  cached: number;
  fresh: number;
}

/**
 * The order a reranked list takes, shared by every caller (CLI, evaluation, the server): the candidates
 * the ranker scored, by score (ties keep first-stage order), then every other hit in first-stage order.
 * `scores[i]` belongs to `hits[i]`; undefined means not scored (beyond the depth, or out of budget).
 */
export function rerankedOrder<H>(
  hits: readonly H[],
  scores: ReadonlyArray<number | undefined>,
): Array<{ hit: H; score: number | undefined }> {
  const scored = hits
    .map((hit, rank) => ({ hit, score: scores[rank], rank }))
    .filter((entry): entry is { hit: H; score: number; rank: number } => entry.score !== undefined)
    .sort((a, b) => b.score - a.score || a.rank - b.rank);
  const unscored = hits.filter((_, rank) => scores[rank] === undefined);
  return [
    ...scored.map(({ hit, score }) => ({ hit, score: score as number | undefined })),
    ...unscored.map((hit) => ({ hit, score: undefined })),
  ];
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
  const { scores, cached, fresh } = await scoreThroughCache(
    options.cache,
    ranker.id,
    query,
    head.map(candidateOf),
    (misses) => ranker.score(query, misses),
  );
  const rankMs = performance.now() - started;
  const order = rerankedOrder(
    hits,
    hits.map((_, i) => (i < topN ? (scores[i] ?? 0) : undefined)),
  );
  const reranked: RerankedHit[] = order
    .filter((entry) => entry.score !== undefined)
    .map(({ hit, score }) => ({ ...hit, score: score!, stages: { first: hit.score, rank: score! } }));
  // The tail sits below every reranked score: shift first-stage scores under the head's minimum.
  const floor = reranked.length > 0 ? Math.min(...reranked.map((h) => h.score)) : 0;
  const tail = order
    .filter((entry) => entry.score === undefined)
    .map(({ hit }, i) => ({ ...hit, score: floor - 1 - i, stages: { first: hit.score } }));
  return { hits: [...reranked, ...tail], rankMs, cached, fresh };
}
