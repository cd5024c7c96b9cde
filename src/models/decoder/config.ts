// The shape of a decoder-only language model (Llama family: SmolLM, Llama; and Qwen2), read from GGUF metadata.
//
// Qwen2 is a Llama-family block with biases on the query, key and value projections; its GGUF keys are
// the same names under `qwen2.` instead of `llama.`.

import { SiftError } from '../../errors.js';
import { type GgufFile, metaArray, metaNumber, metaString } from '../gguf/gguf-file.js';

export interface DecoderConfig {
  architecture: DecoderArchitecture;
  layers: number;
  hidden: number;
  heads: number;
  /** Key/value heads (grouped-query attention when fewer than `heads`). */
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  ropeTheta: number;
  rmsEpsilon: number;
  /** Whether the output projection is the token embedding (no separate output.weight). */
  tiedEmbeddings: boolean;
}

const SUPPORTED = ['llama', 'qwen2'] as const;

export type DecoderArchitecture = (typeof SUPPORTED)[number];

/** Reads the decoder's shape from GGUF metadata; E_MODEL_CONFIG names the key that is missing or wrong. */
export function decoderConfigFromGguf(gguf: GgufFile): DecoderConfig {
  const architecture = metaString(gguf, 'general.architecture');
  if (!isSupported(architecture)) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `GGUF architecture "${architecture}" is not supported (supported: ${SUPPORTED.join(', ')})`,
      { file: gguf.file, field: 'general.architecture' },
    );
  }
  const key = (name: string) => `${architecture}.${name}`;
  const hidden = metaNumber(gguf, key('embedding_length'));
  const heads = metaNumber(gguf, key('attention.head_count'));
  const kvHeads = metaNumber(gguf, key('attention.head_count_kv'), heads);
  const headDim = metaNumber(gguf, key('attention.key_length'), hidden / heads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0 || heads % kvHeads !== 0) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `inconsistent attention shape: ${heads} heads, ${kvHeads} kv heads, head dim ${headDim}`,
      { file: gguf.file, field: key('attention.head_count') },
    );
  }
  const tokens = metaArray(gguf, 'tokenizer.ggml.tokens');
  const vocabSize = metaNumber(gguf, key('vocab_size'), tokens?.length ?? 0);
  if (vocabSize <= 0) {
    throw new SiftError('E_MODEL_CONFIG', 'the vocabulary size is unknown', {
      file: gguf.file,
      field: 'vocab_size',
    });
  }
  return {
    architecture,
    layers: metaNumber(gguf, key('block_count')),
    hidden,
    heads,
    kvHeads,
    headDim,
    vocabSize,
    contextLength: metaNumber(gguf, key('context_length'), 2048),
    ropeTheta: metaNumber(gguf, key('rope.freq_base'), 10000),
    rmsEpsilon: metaNumber(gguf, key('attention.layer_norm_rms_epsilon'), 1e-5),
    tiedEmbeddings: !gguf.tensors.has('output.weight'),
  };
}

function isSupported(architecture: string): architecture is DecoderArchitecture {
  return (SUPPORTED as readonly string[]).includes(architecture);
}
