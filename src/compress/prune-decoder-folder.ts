// Prunes a trained yes/no decoder folder into a new folder: reads the checkpoint into the training engine,
// turns the calibration pairs into the prompts the ranker scores (the caller's `promptTokens`), prunes
// (prune-decoder.ts), and writes a standard LlamaForCausalLM / Qwen2ForCausalLM folder with the new
// num_hidden_layers and intermediate_size, which sift's decoder runtime and transformers both load.

import { decoderConfigJson, readDecoderSource } from '../models/index.js';
import {
  type EncodedPair,
  type TokenBatch,
  tokenBatch,
  writeModelFolder,
  YesNoDecoder,
} from '../train/index.js';
import type { PruneSpec } from './consumer-fit.js';
import { pruneDecoder } from './prune-decoder.js';
import { type CalibrationPair, type PruneFolderResult, parameterCounts } from './prune-model.js';

export interface PruneDecoderFolderOptions extends PruneSpec {
  /** The trained decoder folder (config.json, model.safetensors, tokenizer.json). */
  modelDir: string;
  outDir: string;
  calibration: readonly CalibrationPair[];
  /** A pair's token ids as the ranker reads them. */
  promptTokens: (pair: CalibrationPair) => readonly number[];
  labelTokens: { yes: number; no: number };
  /** Prompts per forward batch. Default 8. */
  batchSize?: number;
  onBlock?: (done: number, total: number) => void;
}

export async function pruneDecoderFolder(options: PruneDecoderFolderOptions): Promise<PruneFolderResult> {
  const source = await readDecoderSource(options.modelDir);
  const model = YesNoDecoder.fromWeights(source.weights, source.config, options.labelTokens);
  const before = parameterCounts(model.parameters());
  const layersBefore = model.layers.length;
  const batches = calibrationBatches(options);
  const result = pruneDecoder(model, batches, options, options.onBlock);
  const intermediate = model.layers[0]!.parts.gate.outFeatures;
  await writeModelFolder(options.outDir, {
    params: model.parameters(),
    config: decoderConfigJson(
      { ...source.config, layers: model.layers.length },
      intermediate,
      source.tokenizer,
    ),
    tokenizerDir: options.modelDir,
  });
  return {
    ...result,
    prunedHeads: {},
    before,
    after: parameterCounts(model.parameters()),
    layersBefore,
    layersAfter: model.layers.length,
    calibrationPairs: options.calibration.length,
    calibrationTokens: batches.reduce((sum, b) => sum + b.lengths.reduce((s, l) => s + l, 0), 0),
  };
}

/** The calibration prompts in length-sorted batches. */
function calibrationBatches(options: PruneDecoderFolderOptions): TokenBatch[] {
  const pairs: EncodedPair[] = options.calibration.map((pair) => {
    const ids = Int32Array.from(options.promptTokens(pair));
    return { ids, typeIds: new Int32Array(ids.length) };
  });
  const order = pairs.map((_, i) => i).sort((a, b) => pairs[a]!.ids.length - pairs[b]!.ids.length || a - b);
  const size = options.batchSize ?? 8;
  const batches: TokenBatch[] = [];
  for (let start = 0; start < order.length; start += size)
    batches.push(tokenBatch(pairs, order.slice(start, start + size)));
  return batches;
}
