// Rank fusion: combines the ranked lists of several retrievers into one.
//
// Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): score(d) = Σ_lists 1 / (k + rank(d)),
// with rank starting at 1 and k = 60, the value the paper recommends and most systems use. It needs no
// score calibration, which is why it is the default: BM25 scores are unbounded and cosine scores are
// not, so adding them raw would let one list dominate.
// Weighted score fusion: each list's scores are min–max normalised to [0, 1] over the list, then
// combined as Σ weight_i · normalised_i (a document missing from a list contributes 0 there).

import type { Hit } from './retriever.js';

export interface RankedList {
  /** Which retriever made it, e.g. "bm25" or "dense"; becomes a key of the per-stage scores. */
  name: string;
  hits: readonly Hit[];
  /** Weight of this list in weighted fusion (ignored by RRF unless given). Default 1. */
  weight?: number;
}

export interface FusedHit extends Hit {
  /** Each input list's own score for this document, when the document was in that list. */
  stages: Record<string, number>;
}

export type FusionMethod = { method: 'rrf'; k?: number } | { method: 'weighted' };

export const DEFAULT_RRF_K = 60;

export function fuse(lists: readonly RankedList[], fusion: FusionMethod = { method: 'rrf' }): FusedHit[] {
  const fused = new Map<string, FusedHit>();
  for (const list of lists) {
    const weight = list.weight ?? 1;
    const contribution =
      fusion.method === 'rrf' ? rrfContributions(list.hits, fusion.k ?? DEFAULT_RRF_K) : minMax(list.hits);
    list.hits.forEach((hit, i) => {
      let entry = fused.get(hit.id);
      if (!entry) {
        entry = { id: hit.id, ...(hit.ord !== undefined ? { ord: hit.ord } : {}), score: 0, stages: {} };
        fused.set(hit.id, entry);
      }
      entry.score += weight * contribution[i]!;
      entry.stages[list.name] = hit.score;
    });
  }
  // Ties go by document id, which every backend knows (a remote one has no local ordinals), so local and
  // remote retrievers that return the same lists fuse them into the same order.
  return [...fused.values()].sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rrfContributions(hits: readonly Hit[], k: number): number[] {
  return hits.map((_, i) => 1 / (k + i + 1));
}

function minMax(hits: readonly Hit[]): number[] {
  if (hits.length === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const hit of hits) {
    min = Math.min(min, hit.score);
    max = Math.max(max, hit.score);
  }
  // A list whose scores are all equal carries no preference among its documents: each gets 1.
  return hits.map((hit) => (max > min ? (hit.score - min) / (max - min) : 1));
}
