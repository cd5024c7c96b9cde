// Trains a BERT cross-encoder (BertForSequenceClassification, one logit by default) on (query, document,
// target) examples with the shared loop of pair-trainer.ts: batches, losses, schedule, dev evaluation and
// checkpoints that resume exactly (a kill -9 resumes to the same weights). This file is the BERT family's
// part: pairs tokenised as [CLS] query [SEP] title + text [SEP], the model from a BERT folder with a new
// head where the folder has none, and the checkpoints' config.json.

import { join } from 'node:path';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../models/index.js';
import { Mulberry32 } from '../util/index.js';
import type { EncodedPair } from './batches.js';
import { type CrossEncoderHead, CrossEncoderModel, pairHeadOf } from './bert-model.js';
import type { TrainingExample } from './examples.js';
import {
  type PairTrainOptions,
  type PointwiseLoss,
  type TrainLoss,
  type TrainResult,
  trainPairScorer,
} from './pair-trainer.js';

export type { PointwiseLoss, TrainLoss, TrainResult };

export interface CrossEncoderTrainOptions extends PairTrainOptions {
  /** The model to start from: a BERT folder (config.json, model.safetensors, tokenizer.json). */
  modelDir: string;
  /**
   * The head to put on an encoder that has none (a checkpoint's own head is kept). Default
   * 'classifier' (HF's sequence classifier); 'similarity' for a sentence embedder's base, whose
   * mean-pooled states already rank (CrossEncoderModel.fromWeights).
   */
  head?: CrossEncoderHead;
}

export function trainCrossEncoder(options: CrossEncoderTrainOptions): Promise<TrainResult> {
  return trainPairScorer(options, async (o) => {
    const { config, text: configText } = await readBertConfig(options.modelDir);
    const tokenizer = await loadTokenizer(options.modelDir, { maxLength: o.maxLength });
    // The head the checkpoint already has wins over the option (a trained model trained further); its
    // tensor names say which, so the weights are not converted here (build does that once).
    const start = await readSafetensors(join(options.modelDir, 'model.safetensors'));
    const head = pairHeadOf(
      { classifier: start.has('classifier.weight'), similarity: start.has('similarity.scale') },
      options.head,
    );
    return {
      modelKey: head === 'classifier' ? options.modelDir : `${options.modelDir} (${head} head)`,
      config: head === 'classifier' ? classifierConfig(configText, o.labels) : similarityConfig(configText),
      tokenizerDir: options.modelDir,
      encode: (examples: readonly TrainingExample[]): EncodedPair[] => {
        const batch = tokenizer.encodePairs(
          examples.map((e) => e.query),
          examples.map((e) => (e.title.trim() === '' ? e.text : `${e.title}\n${e.text}`)),
          { maxLength: o.maxLength, truncation: 'only_second' },
        );
        return batch.ids.map((ids, i) => ({
          ids: Int32Array.from(ids),
          typeIds: Int32Array.from(batch.typeIds[i]!),
        }));
      },
      build: async (resumeFrom, dropoutRng) => {
        const weightsDir = resumeFrom ?? options.modelDir;
        const weights = bertWeights(await readSafetensors(join(weightsDir, 'model.safetensors')), config);
        return CrossEncoderModel.fromWeights(
          weights,
          config,
          { labels: o.labels, rng: new Mulberry32(o.seed), head },
          { dropout: o.dropout, rng: dropoutRng },
        );
      },
    };
  });
}

/**
 * config.json for a similarity-head model: the encoder as a plain BertModel (what transformers loads; the
 * head's two scalars, `similarity.*`, are sift's and named in `sift_pair_head`).
 */
function similarityConfig(text: string): string {
  const c = JSON.parse(text) as Record<string, unknown>;
  c['architectures'] = ['BertModel'];
  c['sift_pair_head'] = 'similarity';
  return `${JSON.stringify(c, null, 2)}\n`;
}

/** config.json for the trained model: the starting config as BertForSequenceClassification. */
function classifierConfig(text: string, labels: number): string {
  const c = JSON.parse(text) as Record<string, unknown>;
  c['architectures'] = ['BertForSequenceClassification'];
  c['id2label'] = Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `LABEL_${i}`]));
  c['label2id'] = Object.fromEntries(Array.from({ length: labels }, (_, i) => [`LABEL_${i}`, i]));
  c['problem_type'] = labels === 1 ? 'regression' : 'single_label_classification';
  return `${JSON.stringify(c, null, 2)}\n`;
}
