// Scoring through one score cache: the step every retrieve→rank path shares (the CLI, evaluation, and
// the server's /v1/search and /v1/rank). Rankers themselves keep no cache; the path that owns the
// candidates owns the cache, so one lookup happens per candidate and the hit rate is reported in one place.

import { ScoreCache } from './score-cache.js';
import type { RankCandidate } from './types.js';

/** Scores for the candidates it is given, in order; it may return fewer (a prefix) when out of budget. */
export type ScoreMisses = (candidates: RankCandidate[]) => Promise<ArrayLike<number>>;

export interface CachedScores {
  /** One per candidate; undefined where the scorer stopped before it (a latency budget). */
  scores: Array<number | undefined>;
  /** Candidates answered from the cache. */
  cached: number;
  /** Candidates the scorer was asked for (cache misses). */
  missed: number;
  /** Misses the scorer scored. */
  fresh: number;
}

/**
 * Looks every candidate up in `cache` (keyed by ranker, query and content, so an edited document
 * misses), sends the misses to `score` in their order, and stores what comes back.
 */
export async function scoreThroughCache(
  cache: ScoreCache | undefined,
  rankerId: string,
  query: string,
  candidates: readonly RankCandidate[],
  score: ScoreMisses,
): Promise<CachedScores> {
  const keys = candidates.map((c) => (cache ? ScoreCache.key(rankerId, query, c.title, c.text) : ''));
  const scores: Array<number | undefined> = keys.map((key) => cache?.get(key));
  const misses = candidates.filter((_, i) => scores[i] === undefined);
  const cached = candidates.length - misses.length;
  if (misses.length === 0) return { scores, cached, missed: 0, fresh: 0 };
  const scored = await score(misses);
  const fresh = Math.min(scored.length, misses.length);
  let at = 0;
  scores.forEach((value, i) => {
    if (value !== undefined) return;
    if (at < fresh) {
      const s = scored[at] as number;
      scores[i] = s;
      cache?.set(keys[i] as string, s);
    }
    at++;
  });
  return { scores, cached, missed: misses.length, fresh };
}
