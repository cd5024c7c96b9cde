// Prunes a cross-encoder folder into a new folder: reads the Hugging Face checkpoint into the training
// engine, tokenises the calibration pairs as the ranker will see them, prunes (prune-bert.ts), and writes
// a standard checkpoint (sliced tensors; config.json with the new intermediate_size, num_hidden_layers and
// Hugging Face's pruned_heads) that sift's cross-encoder ranker and transformers both load.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../models/index.js';
import {
  CrossEncoderModel,
  type EncodedPair,
  type Parameter,
  type TokenBatch,
  tokenBatch,
  writeModelFolder,
} from '../train/index.js';
import { Mulberry32 } from '../util/index.js';
import { type BertPruneResult, type BertPruneSpec, pruneBertEncoder } from './prune-bert.js';

/** A (query, document) pair the pruned model should keep scoring well: its activations are the fit's data. */
export interface CalibrationPair {
  query: string;
  title: string;
  text: string;
}

export interface PruneFolderOptions extends BertPruneSpec {
  /** The cross-encoder to prune (a Hugging Face folder with a classifier or sift's similarity head). */
  modelDir: string;
  /** Where the pruned folder is written (created; files in it are replaced). */
  outDir: string;
  calibration: readonly CalibrationPair[];
  /** Longest pair in tokens, as the ranker serves it. Default 256. */
  maxLength?: number;
  /** Pairs per forward batch. Default 16. */
  batchSize?: number;
  onBlock?: (done: number, total: number) => void;
}

export interface ParameterCounts {
  total: number;
  /** Without the embedding tables (what pruning can shrink and what dominates compute). */
  nonEmbedding: number;
}

export interface PruneFolderResult extends BertPruneResult {
  before: ParameterCounts;
  after: ParameterCounts;
  layersBefore: number;
  layersAfter: number;
  calibrationPairs: number;
  calibrationTokens: number;
}

export async function pruneCrossEncoderFolder(options: PruneFolderOptions): Promise<PruneFolderResult> {
  const { config, text: configText } = await readBertConfig(options.modelDir);
  const weights = bertWeights(await readSafetensors(join(options.modelDir, 'model.safetensors')), config);
  if (!weights.classifier && !weights.similarity) {
    throw new SiftError(
      'E_PRUNE',
      'this model has no pair head (classifier or similarity), so it is not a cross-encoder; prune a trained ranker (sift train)',
      { file: join(options.modelDir, 'model.safetensors') },
    );
  }
  // The head comes from the weights (pruning leaves it as it is); the rng is unused.
  const model = CrossEncoderModel.fromWeights(weights, config, {
    labels: weights.classifier?.outFeatures ?? 1,
    rng: new Mulberry32(0),
  });
  const before = parameterCounts(model.parameters());
  const layersBefore = model.encoder.layers.length;
  const batches = await calibrationBatches(options);
  const result = pruneBertEncoder(model.encoder, batches, options, options.onBlock);
  await writeModelFolder(options.outDir, {
    params: model.parameters(),
    config: prunedConfig(configText, model, result),
    tokenizerDir: options.modelDir,
  });
  return {
    ...result,
    before,
    after: parameterCounts(model.parameters()),
    layersBefore,
    layersAfter: model.encoder.layers.length,
    calibrationPairs: options.calibration.length,
    calibrationTokens: batches.reduce((sum, b) => sum + b.lengths.reduce((s, l) => s + l, 0), 0),
  };
}

/** The calibration pairs tokenised as the ranker does (query whole, document cut), in length-sorted batches. */
async function calibrationBatches(options: PruneFolderOptions): Promise<TokenBatch[]> {
  const maxLength = options.maxLength ?? 256;
  const tokenizer = await loadTokenizer(options.modelDir, { maxLength });
  const encoded = tokenizer.encodePairs(
    options.calibration.map((p) => p.query),
    options.calibration.map((p) => (p.title.trim() === '' ? p.text : `${p.title}\n${p.text}`)),
    { maxLength, truncation: 'only_second' },
  );
  const pairs: EncodedPair[] = encoded.ids.map((ids, i) => ({
    ids: Int32Array.from(ids),
    typeIds: Int32Array.from(encoded.typeIds[i]!),
  }));
  const order = pairs.map((_, i) => i).sort((a, b) => pairs[a]!.ids.length - pairs[b]!.ids.length || a - b);
  const size = options.batchSize ?? 16;
  const batches: TokenBatch[] = [];
  for (let start = 0; start < order.length; start += size) {
    batches.push(tokenBatch(pairs, order.slice(start, start + size)));
  }
  return batches;
}

/**
 * config.json of the pruned model. Every kept layer loses the same share, so intermediate_size stays one
 * number; num_attention_heads keeps its value (transformers derives head_dim from it) and the removed
 * heads are listed in pruned_heads, which transformers applies on load.
 */
function prunedConfig(text: string, model: CrossEncoderModel, result: BertPruneResult): string {
  const c = JSON.parse(text) as Record<string, unknown>;
  const layers = model.encoder.layers;
  c['num_hidden_layers'] = layers.length;
  const widths = new Set(layers.map((l) => l.parts.intermediate.outFeatures));
  if (widths.size === 1) c['intermediate_size'] = [...widths][0];
  if (Object.keys(result.prunedHeads).length > 0) c['pruned_heads'] = result.prunedHeads;
  return `${JSON.stringify(c, null, 2)}\n`;
}

export function parameterCounts(params: readonly Parameter[]): ParameterCounts {
  let total = 0;
  let embedding = 0;
  for (const p of params) {
    const n = p.data.length;
    total += n;
    // BERT's embedding tables, and a decoder's token embedding (its output projection too when tied).
    if (p.name.includes('.embeddings.') || p.name === 'model.embed_tokens.weight') embedding += n;
  }
  return { total, nonEmbedding: total - embedding };
}
