// The ranking stage's public face: second-stage scorers over a first stage's candidates.

import { type OpenRankerOptions, openDecoderRanker } from './open-ranker.js';
import { rankerIds } from './registry.js';
import type { Ranker } from './types.js';

export { DecoderRanker, type DecoderRankerOptions, type RankerStats } from './decoder-ranker.js';
export type { OpenRankerOptions } from './open-ranker.js';
export {
  type PromptTemplate,
  parsePromptTemplate,
  readPromptTemplate,
  renderPrefix,
} from './prompt-template.js';
export { DEFAULT_RANKER, promptTemplatePath, type RankerSpec, rankerIds, rankerSpec } from './registry.js';
export { type RerankedHit, type RerankOptions, rerank } from './rerank.js';
export { ScoreCache } from './score-cache.js';
export type { RankCandidate, Ranker } from './types.js';

/** Ranker ids sift knows ("default" names the recommended one; each id also has an ":int8" variant). */
export function listRankers(): string[] {
  return rankerIds();
}

/** Opens a ranker by id ("default" names the one sift recommends); E_RANKER_UNKNOWN for unknown ids. */
export async function openRanker(id: string, options: OpenRankerOptions = {}): Promise<Ranker> {
  return openDecoderRanker(id, options);
}
