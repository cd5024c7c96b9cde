// Opens a registry decoder by id: pulls it into SIFT_HOME when missing, then loads its GGUF file.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { type DecoderDtype, type DecoderModel, loadDecoder } from './decoder/decoder-model.js';
import { ensureModel } from './pull.js';
import { modelSpec } from './registry.js';

export interface OpenDecoderOptions {
  home?: string;
  dtype?: DecoderDtype;
  head?: 'next-token' | 'sequence';
  threads?: number;
  quiet?: boolean;
}

export async function openDecoder(id: string, options: OpenDecoderOptions = {}): Promise<DecoderModel> {
  const spec = modelSpec(id);
  if (spec.kind !== 'decoder' || spec.architecture.format !== 'gguf') {
    throw new SiftError('E_MODEL_KIND', `"${id}" is a ${spec.kind}, not a GGUF decoder`, {
      field: 'model',
    });
  }
  const dir = await ensureModel(id, {
    ...(options.home ? { home: options.home } : {}),
    quiet: options.quiet ?? false,
  });
  const dtype = options.dtype ?? 'fp32';
  return loadDecoder(join(dir, spec.architecture.weights), {
    id: dtype === 'int8' ? `${id}:int8` : id,
    dtype,
    ...(options.head ? { head: options.head } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
}
