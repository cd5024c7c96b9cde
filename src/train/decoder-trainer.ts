// Trains a decoder-only yes/no ranker (the paper's SLM form: a Llama or Qwen2 language model whose score is
// z_yes − z_no at the prompt's last token) on (query, document, target) examples with the shared loop of
// pair-trainer.ts. This file is the decoder family's part: pairs become the exact token sequences the
// ranker scores (the caller's `promptTokens`, from rank/'s DecoderRanker, so training and serving read the
// same prompt), the model starts from a GGUF file dequantised to float32 or from a decoder folder, and
// checkpoints are Hugging Face folders (LlamaForCausalLM / Qwen2ForCausalLM names, config.json,
// tokenizer.json rebuilt from the GGUF's vocabulary) that sift's decoder runtime and transformers load.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { decoderConfigJson, decoderTokenizerFiles, readDecoderSource } from '../models/index.js';
import { writeFileAtomic } from '../util/index.js';
import { YesNoDecoder } from './decoder-model.js';
import type { TrainingExample } from './examples.js';
import { type PairTrainOptions, type TrainResult, trainPairScorer } from './pair-trainer.js';

export interface DecoderTrainOptions extends PairTrainOptions {
  /** The model to start from: a GGUF file (dequantised to float32) or a decoder folder. */
  base: string;
  /** A pair's token ids as the ranker reads them: the prompt's prefix with the query, then the document's part. */
  promptTokens: (example: TrainingExample) => readonly number[];
  /** Token ids of the two answer labels. */
  labelTokens: { yes: number; no: number };
}

export function trainDecoderRanker(options: DecoderTrainOptions): Promise<TrainResult> {
  if (options.labels !== undefined && options.labels !== 1)
    throw new SiftError('E_BAD_ARGUMENT', 'a yes/no decoder has one score per pair: labels must be 1', {
      field: 'labels',
    });
  if (options.dropout)
    throw new SiftError(
      'E_BAD_ARGUMENT',
      'the decoder family trains without dropout (Llama and Qwen2 have none)',
      {
        field: 'dropout',
      },
    );
  return trainPairScorer(options, async () => {
    const source = await readDecoderSource(options.base);
    // The checkpoints' tokenizer files, written once per run folder from the base's vocabulary.
    const tokenizerDir = join(options.outDir, 'tokenizer');
    await mkdir(tokenizerDir, { recursive: true });
    for (const [file, text] of Object.entries(decoderTokenizerFiles(source.tokenizer, options.base))) {
      const existing = await readFile(join(tokenizerDir, file), 'utf8').catch(() => undefined);
      if (existing !== text) await writeFileAtomic(join(tokenizerDir, file), text);
    }
    return {
      modelKey: options.base,
      config: decoderConfigJson(source.config, source.intermediate, source.tokenizer),
      tokenizerDir,
      encode: (examples) =>
        examples.map((example) => {
          const ids = Int32Array.from(options.promptTokens(example));
          if (ids.length === 0)
            throw new SiftError(
              'E_TRAIN_DATA',
              `query ${example.queryId}, document ${example.docId}: an empty prompt`,
              {
                field: 'promptTokens',
              },
            );
          return { ids, typeIds: new Int32Array(ids.length) };
        }),
      build: async (resumeFrom) => {
        const weights = resumeFrom ? (await readDecoderSource(resumeFrom)).weights : source.weights;
        return YesNoDecoder.fromWeights(weights, source.config, options.labelTokens);
      },
    };
  });
}
