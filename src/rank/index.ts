// The ranking stage's public face: second-stage scorers over a first stage's candidates.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCrossEncoder } from './cross-encoder-ranker.js';
import { type OpenRankerOptions, openDecoderRanker } from './open-ranker.js';
import { rankerIds, rankerSpec } from './registry.js';
import type { Ranker } from './types.js';

export { type CrossEncoderOptions, CrossEncoderRanker, loadCrossEncoder } from './cross-encoder-ranker.js';
export { DecoderRanker, type DecoderRankerOptions, type RankerStats } from './decoder-ranker.js';
export type { OpenRankerOptions } from './open-ranker.js';
export {
  type PromptTemplate,
  parsePromptTemplate,
  readPromptTemplate,
  renderPrefix,
} from './prompt-template.js';
export {
  parseQueryLikelihoodTemplate,
  type QueryLikelihoodOptions,
  QueryLikelihoodRanker,
  readQueryLikelihoodTemplate,
} from './query-likelihood-ranker.js';
export { DEFAULT_RANKER, promptTemplatePath, type RankerSpec, rankerIds, rankerSpec } from './registry.js';
export { type RerankedHit, type RerankOptions, rerank } from './rerank.js';
export { ScoreCache } from './score-cache.js';
export type { RankCandidate, Ranker } from './types.js';

/** Ranker ids sift knows ("default" names the recommended one; each id also has an ":int8" variant). */
export function listRankers(): string[] {
  return rankerIds();
}

/** Whether `ref` is a folder holding a Hugging Face cross-encoder (config.json + model.safetensors). */
function isCrossEncoderFolder(ref: string): boolean {
  return existsSync(join(ref, 'config.json')) && existsSync(join(ref, 'model.safetensors'));
}

/**
 * The id `openRanker(ref)` will report, without opening anything: "default" resolves to the recommended
 * ranker, "<id>:fp32" to "<id>"; E_RANKER_UNKNOWN for unknown ids.
 */
export function resolveRanker(ref: string): string {
  if (isCrossEncoderFolder(ref)) return ref;
  const { spec, dtype } = rankerSpec(ref);
  return dtype === 'int8' ? `${spec.id}:int8` : spec.id;
}

/**
 * Opens a ranker by id ("default" names the one sift recommends), or a cross-encoder from a Hugging Face
 * folder path (config.json + model.safetensors + tokenizer.json); E_RANKER_UNKNOWN for unknown ids.
 */
export async function openRanker(id: string, options: OpenRankerOptions = {}): Promise<Ranker> {
  if (isCrossEncoderFolder(id)) {
    return loadCrossEncoder(id, { id, ...(options.threads ? { threads: options.threads } : {}) });
  }
  return openDecoderRanker(id, options);
}
