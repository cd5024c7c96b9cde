// The ranking stage's public face: second-stage scorers over a first stage's candidates.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import {
  installedTrainedIds,
  installedTrainedKind,
  installedTrainedModel,
  loadDecoderFolder,
  readTrainedModel,
  TRAINABLE_MODELS,
  type TrainedModelCard,
} from '../models/index.js';
import { loadCrossEncoder } from './cross-encoder-ranker.js';
import { DecoderRanker } from './decoder-ranker.js';
import { EmbeddingTokenRanker } from './embedding-token-ranker.js';
import { ITEM_ADAPTER_FILE, readItemAdapter } from './item-adapter.js';
import { type OpenRankerOptions, openDecoderRanker } from './open-ranker.js';
import { readPromptTemplate } from './prompt-template.js';
import { promptTemplatePath, rankerIds, rankerSpec } from './registry.js';
import type { Ranker } from './types.js';

export { type CachedScores, type ScoreMisses, scoreThroughCache } from './cached-scores.js';
export { type CrossEncoderOptions, CrossEncoderRanker, loadCrossEncoder } from './cross-encoder-ranker.js';
export { DecoderRanker, type DecoderRankerOptions, type RankerStats } from './decoder-ranker.js';
export { EmbeddingTokenRanker } from './embedding-token-ranker.js';
export {
  adaptItemVector,
  ITEM_ADAPTER_FILE,
  ITEM_ADAPTER_TENSORS,
  type ItemAdapterWeights,
  readItemAdapter,
  silu,
} from './item-adapter.js';
export { decoderRankerWeights, type OpenRankerOptions } from './open-ranker.js';
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
export {
  type RerankedHit,
  type RerankOptions,
  type RerankOutcome,
  rerank,
  rerankedOrder,
} from './rerank.js';
export { ScoreCache } from './score-cache.js';
export type { RankCandidate, Ranker } from './types.js';

/**
 * Ranker ids sift knows: its decoder rankers ("default" names the recommended one; each also has an
 * ":int8" variant), then the cross-encoders and the decoder rankers trained here (`sift train`).
 */
export function listRankers(): string[] {
  return [
    ...rankerIds(),
    ...installedTrainedIds(undefined, 'cross-encoder'),
    ...installedTrainedIds(undefined, 'decoder-ranker'),
  ];
}

/**
 * The folder of a trained cross-encoder `ref` names (installed under $SIFT_HOME/models/trained), or
 * undefined when `ref` is no trained model's id. A model sift's presets train that is not there yet is
 * E_MODEL_NOT_TRAINED, with the command that trains it.
 */
function trainedRanker(ref: string): string | undefined {
  const folder = installedTrainedModel(ref);
  const kind = folder ? installedTrainedKind(ref) : TRAINABLE_MODELS[ref]?.kind;
  if (kind === 'bi-encoder') {
    throw new SiftError(
      'E_MODEL_KIND',
      `"${ref}" is a trained bi-encoder, an embedder: use it with --embedder, not as a ranker`,
      { field: 'rerank' },
    );
  }
  if (folder) return folder;
  const trainable = TRAINABLE_MODELS[ref];
  if (trainable) {
    throw new SiftError(
      'E_MODEL_NOT_TRAINED',
      `the ranker "${ref}" is trained by sift itself and is not trained here yet: run \`sift train --preset ${trainable.preset}\``,
      { field: 'rerank' },
    );
  }
  return undefined;
}

/**
 * "<ref>:int8", "<ref>:bf16" or "<ref>:fp32" split into the reference and its precision; none without a
 * suffix (loadCrossEncoder's default: bf16 on the native encoder where it runs, else float32).
 */
function splitVariant(ref: string): { base: string; dtype?: 'fp32' | 'int8' | 'bf16' } {
  const match = /^(.+):(int8|fp32|bf16)$/.exec(ref);
  return match ? { base: match[1]!, dtype: match[2] as 'fp32' | 'int8' | 'bf16' } : { base: ref };
}

/** Whether `ref` is a folder holding a Hugging Face cross-encoder (config.json + model.safetensors). */
function isCrossEncoderFolder(ref: string): boolean {
  return existsSync(join(ref, 'config.json')) && existsSync(join(ref, 'model.safetensors'));
}

/**
 * The id `openRanker(ref)` will report, without opening anything: "default" resolves to the recommended
 * ranker, "<id>:fp32" and "<id>:bf16" to "<id>" (their scores agree to bfloat16 rounding); E_RANKER_UNKNOWN
 * for unknown ids.
 */
export function resolveRanker(ref: string): string {
  if (isCrossEncoderFolder(ref)) return ref;
  if (trainedRanker(ref)) return ref;
  const variant = splitVariant(ref);
  if (variant.base !== ref && (isCrossEncoderFolder(variant.base) || trainedRanker(variant.base))) {
    return variant.dtype === 'int8' ? `${variant.base}:int8` : variant.base;
  }
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
  // A trained cross-encoder or a folder, optionally as "<ref>:int8" (int8 encoder MatMuls), ":bf16" or ":fp32".
  const variant = splitVariant(id);
  const folder = isCrossEncoderFolder(variant.base) ? variant.base : undefined;
  const trained = folder ? undefined : trainedRanker(variant.base);
  if (folder || trained) {
    // A trained model is served at the length it was trained at (its card's settings), not BERT's 512.
    const card = trained ? await readTrainedModel(variant.base) : undefined;
    if (trained && card?.kind === 'decoder-ranker')
      return openTrainedDecoder(trained, card, variant, options);
    const settings = card?.['settings'] as { maxLength?: unknown } | undefined;
    const maxLength = typeof settings?.maxLength === 'number' ? settings.maxLength : undefined;
    return loadCrossEncoder((folder ?? trained)!, {
      id: variant.dtype === 'int8' ? `${variant.base}:int8` : variant.base,
      ...(variant.dtype ? { dtype: variant.dtype } : {}),
      ...(maxLength ? { maxLength } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
    });
  }
  return openDecoderRanker(id, options);
}

/** A trained yes/no decoder: its folder on sift's decoder runtime, prompted as its card says it was trained. */
async function openTrainedDecoder(
  folder: string,
  card: TrainedModelCard,
  variant: { base: string; dtype?: 'fp32' | 'int8' | 'bf16' },
  options: OpenRankerOptions,
): Promise<Ranker> {
  const served = card['ranker'] as
    | { template?: unknown; labels?: { yes?: unknown; no?: unknown }; maxDocumentTokens?: unknown }
    | undefined;
  const yes = served?.labels?.yes;
  const no = served?.labels?.no;
  if (typeof served?.template !== 'string' || typeof yes !== 'string' || typeof no !== 'string') {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `the card of "${variant.base}" does not say how its ranker is prompted`,
      {
        file: join(folder, 'sift-model.json'),
        field: 'ranker',
      },
    );
  }
  if (variant.dtype === 'bf16')
    throw new SiftError('E_MODEL_VARIANT', `decoder rankers run in float32 or int8, not bf16`, {
      field: 'rerank',
    });
  const dtype = variant.dtype === 'int8' ? 'int8' : 'fp32';
  const id = dtype === 'int8' ? `${variant.base}:int8` : variant.base;
  // An embedding-token ranker (`sift compress embed-tokens`) is the same decoder reading items as vectors.
  const embedded = card['embeddingTokens'] as { embedder?: unknown } | undefined;
  if (embedded && typeof embedded.embedder !== 'string')
    throw new SiftError('E_MODEL_CONFIG', `the card of "${variant.base}" names no item embedder`, {
      file: join(folder, 'sift-model.json'),
      field: 'embeddingTokens.embedder',
    });
  const model = await loadDecoderFolder(folder, {
    id,
    dtype,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(embedded ? { vectorInputs: true } : {}),
  });
  try {
    const template = await readPromptTemplate(promptTemplatePath(served.template));
    const text = new DecoderRanker(model, {
      id,
      template,
      labels: { yes, no },
      ...(typeof served.maxDocumentTokens === 'number'
        ? { maxDocumentTokens: served.maxDocumentTokens }
        : {}),
      ...options.tuning,
    });
    if (!embedded) return text;
    const adapter = await readItemAdapter(join(folder, ITEM_ADAPTER_FILE));
    return new EmbeddingTokenRanker(text, adapter, embedded.embedder as string);
  } catch (error) {
    await model.release();
    throw error;
  }
}
