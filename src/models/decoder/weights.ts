// A decoder's weights as float32 PyTorch-layout matrices, dequantised from a GGUF file.
//
// llama.cpp's converter permutes the rows of W_q and W_k so that its RoPE can rotate adjacent pairs
// (x[2i], x[2i+1]); Hugging Face rotates halves (x[i], x[i + d/2]). We undo the permutation here, so the
// graph builder sees the Hugging Face layout whatever file the weights came from. Its Qwen2 converter
// does not permute (llama.cpp runs qwen2 with NeoX rotary, which rotates halves as Hugging Face does), so
// qwen2 rows are taken as they are. Qwen2 also has biases on the query, key and value projections.
// Each layer's MLP width comes from its own weights, so structurally pruned checkpoints load unchanged.

import { SiftError } from '../../errors.js';
import { dequantize } from '../gguf/dequantize.js';
import { type GgufFile, type GgufTensorInfo, tensorBytes } from '../gguf/gguf-file.js';
import type { LinearWeights } from '../onnx/layers.js';
import type { DecoderConfig } from './config.js';

export interface DecoderLayerWeights {
  index: number;
  attentionNorm: Float32Array;
  query: LinearWeights;
  key: LinearWeights;
  value: LinearWeights;
  output: LinearWeights;
  mlpNorm: Float32Array;
  gate: LinearWeights;
  up: LinearWeights;
  down: LinearWeights;
}

export interface DecoderWeights {
  /** Token embedding, row-major [vocab, hidden]; also the output projection when tied. */
  embedding: Float32Array;
  layers: DecoderLayerWeights[];
  finalNorm: Float32Array;
  /** Separate output projection [vocab, hidden], when not tied. */
  outputProjection?: Float32Array;
}

/** Dequantises every tensor the decoder needs, checking each shape against the config. */
export function decoderWeightsFromGguf(gguf: GgufFile, config: DecoderConfig): DecoderWeights {
  const { hidden, heads, kvHeads, headDim, vocabSize } = config;
  const read = (
    name: string,
    dims: readonly (number | undefined)[],
  ): { data: Float32Array; dims: number[] } => {
    const info = gguf.tensors.get(name);
    if (!info)
      throw new SiftError('E_MODEL_LOAD', `the GGUF file has no tensor "${name}"`, { file: gguf.file });
    checkDims(gguf, info, dims);
    return { data: dequantize(info.type, tensorBytes(gguf, info), info.elements), dims: info.dims };
  };
  const vector = (name: string, length = hidden) => read(name, [length]).data;
  const matrix = (name: string, outFeatures: number | undefined, inFeatures: number): LinearWeights => {
    const { data, dims } = read(name, [inFeatures, outFeatures]);
    return { weight: data, inFeatures, outFeatures: dims[1] ?? 0 };
  };

  const layers: DecoderLayerWeights[] = [];
  for (let i = 0; i < config.layers; i++) {
    const p = `blk.${i}`;
    const query = matrix(`${p}.attn_q.weight`, heads * headDim, hidden);
    const key = matrix(`${p}.attn_k.weight`, kvHeads * headDim, hidden);
    const value = matrix(`${p}.attn_v.weight`, kvHeads * headDim, hidden);
    if (config.architecture === 'llama') {
      query.weight = unpermuteRotaryRows(query.weight, heads, headDim, hidden);
      key.weight = unpermuteRotaryRows(key.weight, kvHeads, headDim, hidden);
    } else {
      query.bias = vector(`${p}.attn_q.bias`, query.outFeatures);
      key.bias = vector(`${p}.attn_k.bias`, key.outFeatures);
      value.bias = vector(`${p}.attn_v.bias`, value.outFeatures);
    }
    const gate = matrix(`${p}.ffn_gate.weight`, undefined, hidden);
    layers.push({
      index: i,
      attentionNorm: vector(`${p}.attn_norm.weight`),
      query,
      key,
      value,
      output: matrix(`${p}.attn_output.weight`, hidden, heads * headDim),
      mlpNorm: vector(`${p}.ffn_norm.weight`),
      gate,
      up: matrix(`${p}.ffn_up.weight`, gate.outFeatures, hidden),
      down: matrix(`${p}.ffn_down.weight`, hidden, gate.outFeatures),
    });
  }
  const weights: DecoderWeights = {
    embedding: read('token_embd.weight', [hidden, vocabSize]).data,
    layers,
    finalNorm: vector('output_norm.weight'),
  };
  if (!config.tiedEmbeddings) weights.outputProjection = read('output.weight', [hidden, vocabSize]).data;
  return weights;
}

/**
 * Inverts llama.cpp's `permute(w, n_head)`: GGUF row h·d + 2i + j holds Hugging Face row h·d + j·d/2 + i,
 * for head h, pair i < d/2 and j ∈ {0, 1}. Rows are `width` values long.
 */
export function unpermuteRotaryRows(
  w: Float32Array,
  heads: number,
  headDim: number,
  width: number,
): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + 2 * i + j) * width;
        const to = (h * headDim + j * half + i) * width;
        out.set(w.subarray(from, from + width), to);
      }
    }
  }
  return out;
}

function checkDims(gguf: GgufFile, info: GgufTensorInfo, expected: readonly (number | undefined)[]): void {
  const ok =
    info.dims.length === expected.length && expected.every((d, i) => d === undefined || info.dims[i] === d);
  if (!ok) {
    throw new SiftError(
      'E_MODEL_LOAD',
      `tensor "${info.name}" has dims [${info.dims.join(', ')}], expected [${expected.map((d) => d ?? '?').join(', ')}]`,
      { file: gguf.file },
    );
  }
}
