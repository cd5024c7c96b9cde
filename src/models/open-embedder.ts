// Opens a registry embedder by id: pulls it into SIFT_HOME when missing, then loads it with the
// settings its registry entry pins (pooling, normalisation, max length, ONNX outputs).

import { SiftError } from '../errors.js';
import { type Embedder, type EmbedderDtype, loadEmbedder } from './embedder.js';
import { modelDir } from './model-files.js';
import { ensureModel } from './pull.js';
import { DEFAULT_EMBEDDER, modelSpec } from './registry.js';

export interface OpenEmbedderOptions {
  /** SIFT_HOME; default from the environment. */
  home?: string;
  /** For safetensors models: build float32 (default) or int8 (dynamically quantised) MatMuls. */
  dtype?: EmbedderDtype;
  threads?: number;
  quiet?: boolean;
}

/** The embedder id plus an optional `:int8` suffix, e.g. "all-minilm-l6-v2:int8". */
export function parseEmbedderRef(ref: string = DEFAULT_EMBEDDER): { id: string; dtype: EmbedderDtype } {
  const [id = DEFAULT_EMBEDDER, suffix] = ref.split(':');
  if (suffix !== undefined && suffix !== 'int8' && suffix !== 'fp32') {
    throw new SiftError('E_BAD_ARGUMENT', `embedder variant must be :int8 or :fp32, got "${ref}"`, {
      field: 'embedder',
    });
  }
  return { id, dtype: (suffix as EmbedderDtype | undefined) ?? 'fp32' };
}

export async function openEmbedder(
  ref: string = DEFAULT_EMBEDDER,
  options: OpenEmbedderOptions = {},
): Promise<Embedder> {
  const { id, dtype } = parseEmbedderRef(ref);
  const spec = modelSpec(id);
  if (spec.kind !== 'embedder') {
    throw new SiftError('E_BAD_ARGUMENT', `"${id}" is a ${spec.kind}, not an embedder`, {
      field: 'embedder',
    });
  }
  const dir = await ensureModel(id, {
    ...(options.home ? { home: options.home } : {}),
    quiet: options.quiet ?? false,
  });
  const arch = spec.architecture;
  const common = {
    id: dtype === 'int8' && arch.format === 'safetensors' ? `${id}:int8` : id,
    maxLength: arch.maxLength,
    pooling: arch.pooling,
    normalize: arch.normalize,
    dtype: options.dtype ?? dtype,
    ...(options.threads ? { threads: options.threads } : {}),
  };
  if (arch.format === 'safetensors') return loadEmbedder(dir, common);
  if (!arch.onnx) {
    throw new SiftError('E_MODEL_CONFIG', `registry entry for ${id} lacks its ONNX inputs/outputs`, {
      file: modelDir(id),
    });
  }
  return loadEmbedder(dir, {
    ...common,
    onnx: { file: arch.weights, output: arch.onnx.tokenOutput, pooling: arch.pooling },
  });
}
