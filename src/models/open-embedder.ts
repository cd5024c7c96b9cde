// Opens a registry embedder by id: pulls it into SIFT_HOME when missing, then loads it with the
// settings its registry entry pins (pooling, normalisation, max length, ONNX outputs).

import { realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { SiftError } from '../errors.js';
import { nativeEncoderByDefault } from '../runtime/index.js';
import { type Embedder, type EmbedderDtype, loadEmbedder } from './embedder.js';
import { modelDir } from './model-files.js';
import { ensureModel } from './pull.js';
import { DEFAULT_EMBEDDER, modelSpec } from './registry.js';
import { installedTrainedKind, readTrainedModel, TRAINABLE_MODELS, trainedModelDir } from './trained.js';

export interface OpenEmbedderOptions {
  /** SIFT_HOME; default from the environment. */
  home?: string;
  /** For safetensors models: override the reference's precision (see parseEmbedderRef). */
  dtype?: EmbedderDtype;
  threads?: number;
  quiet?: boolean;
}

/**
 * The embedder id, an optional Matryoshka width `@D` and an optional `:fp32`, `:bf16` or `:int8` suffix,
 * e.g. "all-minilm-l6-v2:int8" or "nomic-embed-text-v1.5@256". Without a suffix the precision is 'auto':
 * bfloat16 products on the native encoder where the CPU has AMX and the model allows it, else float32 (see
 * openEmbedder). A bf16 embedder keeps the plain id: its vectors agree with float32's to cosine ≥ 0.9999,
 * so either can search an index the other built; int8's do not, and carry ':int8'.
 */
export function parseEmbedderRef(ref: string = DEFAULT_EMBEDDER): {
  id: string;
  dtype: EmbedderDtype | 'auto';
  dimension?: number;
} {
  const [base = DEFAULT_EMBEDDER, suffix] = ref.split(':');
  if (suffix !== undefined && suffix !== 'int8' && suffix !== 'fp32' && suffix !== 'bf16') {
    throw new SiftError('E_MODEL_VARIANT', `embedder variant must be :int8, :bf16 or :fp32, got "${ref}"`, {
      field: 'embedder',
    });
  }
  const [id = DEFAULT_EMBEDDER, width] = base.split('@');
  const dtype = (suffix as EmbedderDtype | undefined) ?? 'auto';
  if (width === undefined) return { id, dtype };
  const dimension = Number(width);
  if (!/^[1-9][0-9]*$/.test(width)) {
    throw new SiftError(
      'E_MODEL_VARIANT',
      `embedder width after "@" must be a positive integer, got "${ref}"`,
      {
        field: 'embedder',
      },
    );
  }
  return { id, dtype, dimension };
}

export async function openEmbedder(
  ref: string = DEFAULT_EMBEDDER,
  options: OpenEmbedderOptions = {},
): Promise<Embedder> {
  const parsed = parseEmbedderRef(ref);
  const { id, dimension } = parsed;
  const dtype = options.dtype ?? resolvePrecision(parsed.dtype);
  const trained = await openTrainedEmbedder(id, dtype, dimension, options);
  if (trained) return trained;
  const spec = modelSpec(id);
  if (spec.kind !== 'embedder') {
    throw new SiftError('E_MODEL_KIND', `"${id}" is a ${spec.kind}, not an embedder`, {
      field: 'embedder',
    });
  }
  const dir = await ensureModel(id, {
    ...(options.home ? { home: options.home } : {}),
    quiet: options.quiet ?? false,
  });
  const arch = spec.architecture;
  // A Matryoshka width is part of the encoder's id, so its vectors are stored apart from the full ones.
  const width = dimension === undefined || dimension === arch.dimension ? undefined : dimension;
  if (width !== undefined && !arch.dimensions?.includes(width)) {
    throw new SiftError(
      'E_MODEL_VARIANT',
      arch.dimensions
        ? `${id} keeps widths ${arch.dimensions.join(', ')}, not ${width}`
        : `${id} is not a Matryoshka model: its only width is ${arch.dimension}`,
      { field: 'embedder' },
    );
  }
  const common = {
    id: `${id}${width === undefined ? '' : `@${width}`}${dtype === 'int8' && arch.format === 'safetensors' ? ':int8' : ''}`,
    maxLength: arch.maxLength,
    pooling: arch.pooling,
    normalize: arch.normalize,
    dtype,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(arch.prefixes ? { prefixes: arch.prefixes } : {}),
  };
  if (arch.format === 'safetensors') return loadEmbedder(dir, common);
  if (arch.format === 'gguf') {
    if (dtype === 'int8' || (dtype === 'bf16' && parsed.dtype === 'bf16')) {
      throw new SiftError(
        'E_MODEL_VARIANT',
        `${id} has no ${dtype} variant (its GGUF graph is built in float32)`,
        {
          field: 'embedder',
        },
      );
    }
    return loadEmbedder(dir, {
      ...common,
      gguf: { file: arch.weights, ...(width ? { dimension: width } : {}) },
    });
  }
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

/**
 * 'auto' is bfloat16 on the native encoder where it runs on AMX (models it cannot run fall back to float32,
 * see loadEmbedder), float32 elsewhere: the fastest precision whose vectors stay within cosine 0.9999 of
 * float32's, so the default never gets slower and never changes what a search finds in practice.
 */
function resolvePrecision(dtype: EmbedderDtype | 'auto'): EmbedderDtype {
  if (dtype !== 'auto') return dtype;
  return nativeEncoderByDefault() ? 'bf16' : 'fp32';
}

/**
 * A bi-encoder sift trained (`sift train --preset bi-encoder`), loaded with its base model's settings
 * (mean pooling, normalised, the card's training length); undefined when `id` names no trained bi-encoder.
 * Its encoder id carries the install's stamp, so vectors embedded by an earlier training of the same id
 * are never mistaken for this one's.
 */
async function openTrainedEmbedder(
  id: string,
  dtype: EmbedderDtype,
  dimension: number | undefined,
  options: OpenEmbedderOptions,
): Promise<Embedder | undefined> {
  const kind = installedTrainedKind(id, options.home);
  const trainable = TRAINABLE_MODELS[id];
  if (kind === undefined && trainable?.kind === 'bi-encoder') {
    throw new SiftError(
      'E_MODEL_NOT_TRAINED',
      `the embedder "${id}" is trained by sift itself and is not trained here yet: run \`sift train --preset ${trainable.preset}\``,
      { field: 'embedder' },
    );
  }
  if (kind === undefined) return undefined;
  if (kind !== 'bi-encoder') {
    throw new SiftError('E_MODEL_KIND', `"${id}" is a trained ${kind}, not an embedder`, {
      field: 'embedder',
    });
  }
  const card = await readTrainedModel(id, options.home);
  const baseSpec = modelSpec(card!.base);
  if (baseSpec.kind !== 'embedder') {
    throw new SiftError('E_MODEL_CONFIG', `${id} was trained from ${card!.base}, which is no embedder`, {
      file: trainedModelDir(id, options.home),
    });
  }
  const base = baseSpec.architecture;
  if (dimension !== undefined && dimension !== base.dimension) {
    throw new SiftError('E_MODEL_VARIANT', `${id} has one width, ${base.dimension}`, { field: 'embedder' });
  }
  const settings = card!['settings'] as { maxLength?: unknown } | undefined;
  const folder = trainedModelDir(id, options.home);
  const stamp = basename(await realpath(folder))
    .split('@')
    .pop();
  return loadEmbedder(folder, {
    id: `${id}#${stamp}${dtype === 'int8' ? ':int8' : ''}`,
    maxLength: typeof settings?.maxLength === 'number' ? settings.maxLength : base.maxLength,
    pooling: base.pooling,
    normalize: base.normalize,
    dtype,
    ...(options.threads ? { threads: options.threads } : {}),
  });
}
