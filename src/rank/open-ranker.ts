// Opens a ranker by reference ("default", "<id>", "<id>:int8"): pulls its model when missing, loads it,
// and reads its prompt template.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { ensureModel, modelSpec, openDecoder } from '../models/index.js';
import { DecoderRanker, type DecoderRankerOptions } from './decoder-ranker.js';
import { readPromptTemplate } from './prompt-template.js';
import { QueryLikelihoodRanker, readQueryLikelihoodTemplate } from './query-likelihood-ranker.js';
import { promptTemplatePath, rankerSpec } from './registry.js';

export interface OpenRankerOptions {
  home?: string;
  threads?: number;
  quiet?: boolean;
  /** Overrides of the ranker's batching, truncation and prefix sharing. */
  tuning?: Partial<Omit<DecoderRankerOptions, 'id' | 'template' | 'labels'>>;
}

export async function openDecoderRanker(
  ref: string,
  options: OpenRankerOptions = {},
): Promise<DecoderRanker | QueryLikelihoodRanker> {
  const { spec, dtype } = rankerSpec(ref);
  const id = dtype === 'int8' ? `${spec.id}:int8` : spec.id;
  const model = await openDecoder(spec.model, {
    dtype,
    ...(spec.kind === 'decoder-query-likelihood' ? { head: 'sequence' as const } : {}),
    ...(options.home ? { home: options.home } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    quiet: options.quiet ?? false,
  });
  try {
    if (spec.kind === 'decoder-query-likelihood') {
      const { prefix: _notShared, ...tuning } = options.tuning ?? {};
      const template = await readQueryLikelihoodTemplate(promptTemplatePath(spec.template));
      return new QueryLikelihoodRanker(model, { id, template, ...tuning });
    }
    const template = await readPromptTemplate(promptTemplatePath(spec.template));
    return new DecoderRanker(model, { id, template, labels: spec.labels, ...options.tuning });
  } catch (error) {
    await model.release();
    throw error;
  }
}

/**
 * The GGUF file behind a registry decoder ranker (pulled when missing): what a decoder ranker's training
 * starts from.
 */
export async function decoderRankerWeights(
  ref: string,
  options: { home?: string; quiet?: boolean } = {},
): Promise<string> {
  const { spec } = rankerSpec(ref);
  const model = modelSpec(spec.model);
  if (model.kind !== 'decoder' || model.architecture.format !== 'gguf')
    throw new SiftError('E_MODEL_KIND', `ranker "${ref}" does not run a GGUF decoder`, { field: 'rerank' });
  const dir = await ensureModel(spec.model, {
    ...(options.home ? { home: options.home } : {}),
    quiet: options.quiet ?? false,
  });
  return join(dir, model.architecture.weights);
}
