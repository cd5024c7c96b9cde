// The ranking stage's public face: second-stage scorers over a first stage's candidates.

import { SiftError } from '../errors.js';
import type { Ranker } from './types.js';

export type { RankCandidate, Ranker } from './types.js';

/** Ranker ids sift knows (filled in as rankers land). */
export function listRankers(): string[] {
  return [];
}

/** Opens a ranker by id ("default" names the one sift recommends). */
export async function openRanker(id: string): Promise<Ranker> {
  throw new SiftError(
    'E_RANKER_UNKNOWN',
    `unknown ranker "${id}" (available: ${listRankers().join(', ') || 'none'})`,
    {
      field: 'rerank',
    },
  );
}
