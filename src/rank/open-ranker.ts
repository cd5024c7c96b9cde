// Opens a ranker by reference ("default", "<id>", "<id>:int8"): pulls its model when missing, loads it,
// and reads its prompt template.

import { openDecoder } from '../models/open-decoder.js';
import { DecoderRanker, type DecoderRankerOptions } from './decoder-ranker.js';
import { readPromptTemplate } from './prompt-template.js';
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
): Promise<DecoderRanker> {
  const { spec, dtype } = rankerSpec(ref);
  const template = await readPromptTemplate(promptTemplatePath(spec.template));
  const model = await openDecoder(spec.model, {
    dtype,
    ...(options.home ? { home: options.home } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    quiet: options.quiet ?? false,
  });
  try {
    return new DecoderRanker(model, {
      id: dtype === 'int8' ? `${spec.id}:int8` : spec.id,
      template,
      labels: spec.labels,
      ...options.tuning,
    });
  } catch (error) {
    await model.release();
    throw error;
  }
}
