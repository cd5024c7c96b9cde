// `retrieve (top K) → rank (top N) → results`: one query through a first stage and an optional ranker,
// with each stage's scores and timings.

import type { SiftIndex } from '../index/index.js';
import { type RankCandidate, type Ranker, rerank } from '../rank/index.js';
import type { FilterSpec, FusedHit, Retriever } from '../retrieve/index.js';
import { candidateVectors } from './candidate-vectors.js';

export interface RankedSearchRequest {
  query: string;
  k: number;
  filter?: FilterSpec;
  /** First-stage hits the ranker re-scores (K ≥ N ≥ k). Default 100. */
  rerankDepth?: number;
}

export interface RankedHit {
  id: string;
  /** The local ordinal (absent when the first stage is a remote backend). */
  ord?: number;
  score: number;
  /** Scores per stage: the first stage's (per retriever for hybrid) and the ranker's. */
  stages: Record<string, number>;
}

export interface RankedSearchResult {
  hits: RankedHit[];
  timings: { retrieveMs: number; rankMs?: number };
}

/** Runs one query through `retriever`, then `ranker` over its top `rerankDepth` when given. */
export async function rankedSearch(
  index: SiftIndex,
  retriever: Retriever,
  ranker: Ranker | undefined,
  request: RankedSearchRequest,
): Promise<RankedSearchResult> {
  const depth = ranker ? Math.max(request.k, request.rerankDepth ?? 100) : request.k;
  const started = performance.now();
  const hits = await retriever.search({
    query: request.query,
    k: depth,
    ...(request.filter ? { filter: request.filter } : {}),
  });
  const retrieveMs = performance.now() - started;
  const firstStages = (hit: (typeof hits)[number]): Record<string, number> =>
    (hit as Partial<FusedHit>).stages ?? { [retriever.name]: hit.score };
  if (!ranker) {
    return { hits: hits.map((hit) => ({ ...hit, stages: firstStages(hit) })), timings: { retrieveMs } };
  }
  const vectorOf = candidateVectors(index, ranker);
  const candidateOf = (hit: { id: string }): RankCandidate => {
    const doc = index.docs.getById(hit.id);
    const vector = vectorOf?.(hit.id);
    return { id: hit.id, title: doc?.title ?? '', text: doc?.text ?? '', ...(vector ? { vector } : {}) };
  };
  const byId = new Map(hits.map((hit) => [hit.id, hit]));
  const outcome = await rerank(request.query, hits, ranker, candidateOf, {
    topN: request.rerankDepth ?? 100,
  });
  const ranked = outcome.hits.slice(0, request.k).map((hit) => {
    const original = byId.get(hit.id);
    const stages = original ? firstStages(original) : {};
    if (hit.stages.rank !== undefined) stages[ranker.id] = hit.stages.rank;
    return { id: hit.id, ...(hit.ord !== undefined ? { ord: hit.ord } : {}), score: hit.score, stages };
  });
  return { hits: ranked, timings: { retrieveMs, rankMs: outcome.rankMs } };
}
