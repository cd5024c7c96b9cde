// Builds the ONNX graph of a nomic-bert encoder (nomic-embed-text) from its GGUF file.
//
// nomic-bert (Nussbaum et al. 2024, "Nomic Embed") keeps BERT's post-LN block but drops every bias, puts
// rotary position embeddings (Su et al. 2021, base 1000, rotate-half form) on queries and keys instead of
// a position table, and replaces the GELU MLP by SwiGLU (Shazeer 2020):
//   h = LN(x + Attn(x)·W_o),  x' = LN(h + (silu(h·W_gate) ⊙ h·W_up)·W_down),
//   Attn = softmax(rot(Q)·rot(K)ᵀ/√d + mask)·V, with Q, K, V from one fused product x·W_qkv.
// Tensor names are llama.cpp's (token_embd, blk.N.attn_qkv, ffn_up/gate/down, attn_output_norm,
// layer_output_norm); ggml's row-major [out, in] layout is PyTorch's, so weights are used as stored.
// Sentence vectors are the masked mean of the last hidden state, L2-normalised; a Matryoshka width below
// the full one follows the model card: layer-norm the mean (no affine), keep the leading dimensions, then
// normalise.

import { SiftError } from '../../errors.js';
import { attr, GraphBuilder } from '../../runtime/index.js';
import { dequantize } from '../gguf/dequantize.js';
import { type GgufFile, metaNumber, metaString, tensorBytes } from '../gguf/gguf-file.js';
import {
  attention,
  attentionMasks,
  type LinearWeights,
  l2Normalize,
  layerNorm,
  linear,
  meanPool,
  silu,
  skipLayerNorm,
  stackLinear,
} from '../onnx/layers.js';

/** Bumped whenever the graph this file builds changes, so cached graphs are rebuilt. */
export const NOMIC_GRAPH_VERSION = 1;

export interface NomicConfig {
  hidden: number;
  heads: number;
  headDim: number;
  layers: number;
  feedForward: number;
  layerNormEps: number;
  /** Rotary base θ (nomic-bert.rope.freq_base): 1000 for nomic-embed-text. */
  ropeBase: number;
  /** Tokens the model was trained on (nomic-bert.context_length). */
  contextLength: number;
}

export interface NomicGraphOptions {
  /** Longest input the graph accepts (rows of its rotary tables); at most the context length. */
  maxLength: number;
  /** L2-normalise `sentence_embedding` (always done when `dimension` truncates). */
  normalize: boolean;
  /** Matryoshka width: keep this many leading dimensions; default the hidden size. */
  dimension?: number;
}

/** nomic-bert's shape from GGUF metadata; E_MODEL_CONFIG for any other architecture or a causal one. */
export function nomicConfig(gguf: GgufFile): NomicConfig {
  const arch = metaString(gguf, 'general.architecture');
  if (arch !== 'nomic-bert') {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `GGUF architecture "${arch}" is not an encoder sift builds (only nomic-bert)`,
      { file: gguf.file, field: 'general.architecture' },
    );
  }
  if (gguf.metadata.get('nomic-bert.attention.causal') === true) {
    throw new SiftError('E_MODEL_CONFIG', 'a causal nomic-bert is not an embedder', {
      file: gguf.file,
      field: 'nomic-bert.attention.causal',
    });
  }
  const hidden = metaNumber(gguf, 'nomic-bert.embedding_length');
  const heads = metaNumber(gguf, 'nomic-bert.attention.head_count');
  if (hidden % heads !== 0 || (hidden / heads) % 2 !== 0) {
    throw new SiftError('E_MODEL_CONFIG', `hidden ${hidden} does not split into ${heads} even-width heads`, {
      file: gguf.file,
      field: 'nomic-bert.attention.head_count',
    });
  }
  return {
    hidden,
    heads,
    headDim: hidden / heads,
    layers: metaNumber(gguf, 'nomic-bert.block_count'),
    feedForward: metaNumber(gguf, 'nomic-bert.feed_forward_length'),
    layerNormEps: metaNumber(gguf, 'nomic-bert.attention.layer_norm_epsilon', 1e-12),
    ropeBase: metaNumber(gguf, 'nomic-bert.rope.freq_base', 10_000),
    contextLength: metaNumber(gguf, 'nomic-bert.context_length', 2048),
  };
}

/** Serialises the encoder as a ModelProto: inputs input_ids, attention_mask; output sentence_embedding. */
export function buildNomicEncoderGraph(
  gguf: GgufFile,
  config: NomicConfig,
  options: NomicGraphOptions,
): Uint8Array {
  const { hidden, heads, headDim, layerNormEps: eps } = config;
  const dimension = options.dimension ?? hidden;
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > hidden) {
    throw new SiftError('E_BAD_ARGUMENT', `dimension must be an integer in 1…${hidden}, not ${dimension}`, {
      field: 'dimension',
    });
  }
  if (options.maxLength > config.contextLength) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `maxLength ${options.maxLength} exceeds the model's ${config.contextLength} trained positions`,
      { field: 'maxLength' },
    );
  }
  const weights = new NomicWeights(gguf, config);
  const g = new GraphBuilder({ name: 'nomic-bert-encoder', opset: 17 });
  const dims = ['batch', 'sequence'];
  const ids = g.input('input_ids', 'int64', dims);
  const mask = g.input('attention_mask', 'int64', dims);

  let x = g.scoped('embeddings', () => {
    const words = g.initializer('embeddings.word_embeddings', weights.matrix('token_embd.weight', [hidden]), [
      weights.rows('token_embd.weight'),
      hidden,
    ]);
    // Every token has type 0, so the token-type table contributes its first row to every position.
    const types = weights.matrix('token_types.weight', [hidden]).subarray(0, hidden);
    const sum = g.node('Add', [
      g.node('Gather', [words, ids]),
      g.initializer('embeddings.type0', types, [hidden]),
    ]);
    return layerNorm(
      g,
      sum,
      weights.vector('token_embd_norm.weight'),
      weights.vector('token_embd_norm.bias'),
      eps,
      'embeddings.LayerNorm',
    );
  });

  const rotary = rotaryTables(g, ids, config, options.maxLength);
  const masks = attentionMasks(g, mask, 'ops');
  for (let i = 0; i < config.layers; i++) {
    const name = `encoder.layer.${i}`;
    const blk = (tensor: string) => `blk.${i}.${tensor}`;
    x = g.scoped(name, () => {
      const qkvWeights = weights.linear(blk('attn_qkv.weight'), hidden, 3 * hidden);
      // 1/√d folded into the query rows: rotation is linear, so scaling before or after it is the same.
      const scale = 1 / Math.sqrt(headDim);
      for (let k = 0; k < hidden * hidden; k++) qkvWeights.weight[k] = (qkvWeights.weight[k] ?? 0) * scale;
      const qkv = linear(g, x, qkvWeights, { name: `${name}.attention.qkv` });
      const [q, k, v] = g.nodeOutputs('Split', [qkv, g.int64s([hidden, hidden, hidden])], 3, {
        axis: attr.int(-1),
      }) as [string, string, string];
      const rq = applyRotary(g, q, rotary, heads, headDim);
      const rk = applyRotary(g, k, rotary, heads, headDim);
      const context = attention(g, rq, rk, v, { heads, headDim, kernel: 'ops', masks });
      const attended = linear(g, context, weights.linear(blk('attn_output.weight'), hidden, hidden), {
        name: `${name}.attention.output`,
      });
      const h = skipLayerNorm(
        g,
        attended,
        x,
        {
          gamma: weights.vector(blk('attn_output_norm.weight')),
          beta: weights.vector(blk('attn_output_norm.bias')),
        },
        eps,
        `${name}.attention.LayerNorm`,
      );
      // Up and gate in one product, split after.
      const width = config.feedForward;
      const upGate = stackLinear([
        weights.linear(blk('ffn_up.weight'), hidden, width),
        weights.linear(blk('ffn_gate.weight'), hidden, width),
      ]);
      const both = linear(g, h, upGate, { name: `${name}.mlp.up_gate`, omitBias: true });
      const [up, gate] = g.nodeOutputs('Split', [both, g.int64s([width, width])], 2, {
        axis: attr.int(-1),
      }) as [string, string];
      const inner = g.node('Mul', [silu(g, gate), up]);
      const out = linear(g, inner, weights.linear(blk('ffn_down.weight'), width, hidden), {
        name: `${name}.mlp.down`,
      });
      return skipLayerNorm(
        g,
        out,
        h,
        {
          gamma: weights.vector(blk('layer_output_norm.weight')),
          beta: weights.vector(blk('layer_output_norm.bias')),
        },
        eps,
        `${name}.output.LayerNorm`,
      );
    });
  }

  let pooled = meanPool(g, x, mask);
  if (dimension < hidden) {
    pooled = g.scoped('matryoshka', () => {
      const normed = layerNorm(
        g,
        pooled,
        new Float32Array(hidden).fill(1),
        new Float32Array(hidden),
        1e-5,
        'norm',
      );
      return g.node('Slice', [normed, g.int64s([0]), g.int64s([dimension]), g.int64s([-1])]);
    });
  }
  if (options.normalize || dimension < hidden) pooled = l2Normalize(g, pooled);
  g.output(g.node('Identity', [pooled], ['sentence_embedding']), 'float32', ['batch', dimension]);
  return g.toBytes({
    producerName: 'sift',
    producerVersion: String(NOMIC_GRAPH_VERSION),
    metadata: { architecture: 'nomic-bert', options: JSON.stringify(options) },
  });
}

interface RotaryTensors {
  /** cos and sin of position·θ_i for the current length, [sequence, 1, headDim/2] (broadcast over heads). */
  cos: string;
  sin: string;
}

/** θ_i = base^(−2i/d), tabulated per position in float32 as the reference computes them. */
function rotaryTables(g: GraphBuilder, ids: string, config: NomicConfig, rows: number): RotaryTensors {
  return g.scoped('rotary', () => {
    const half = config.headDim / 2;
    const cos = new Float32Array(rows * half);
    const sin = new Float32Array(rows * half);
    for (let i = 0; i < half; i++) {
      const invFreq = Math.fround(1 / Math.fround(config.ropeBase ** Math.fround((2 * i) / config.headDim)));
      for (let p = 0; p < rows; p++) {
        const angle = Math.fround(p * invFreq);
        cos[p * half + i] = Math.cos(angle);
        sin[p * half + i] = Math.sin(angle);
      }
    }
    const length = g.node('Shape', [ids], 1, { start: attr.int(1), end: attr.int(2) });
    const slice = (table: Float32Array, name: string) =>
      g.node('Unsqueeze', [
        g.node('Slice', [g.initializer(name, table, [rows, half]), g.int64s([0]), length, g.int64s([0])]),
        g.int64s([1]),
      ]);
    return { cos: slice(cos, 'rotary.cos'), sin: slice(sin, 'rotary.sin') };
  });
}

/**
 * Rotates each head's halves (the rotate-half form llama.cpp calls NeoX): [x₁, x₂] → [x₁·cos − x₂·sin,
 * x₂·cos + x₁·sin], on [batch, sequence, heads·d] → same shape.
 */
function applyRotary(
  g: GraphBuilder,
  x: string,
  rotary: RotaryTensors,
  heads: number,
  headDim: number,
): string {
  const half = headDim / 2;
  const perHead = g.node('Reshape', [x, g.int64s([0, 0, heads, headDim])]);
  const [x1, x2] = g.nodeOutputs('Split', [perHead, g.int64s([half, half])], 2, { axis: attr.int(-1) }) as [
    string,
    string,
  ];
  const first = g.node('Sub', [g.node('Mul', [x1, rotary.cos]), g.node('Mul', [x2, rotary.sin])]);
  const second = g.node('Add', [g.node('Mul', [x2, rotary.cos]), g.node('Mul', [x1, rotary.sin])]);
  const rotated = g.node('Concat', [first, second], 1, { axis: attr.int(-1) });
  return g.node('Reshape', [rotated, g.int64s([0, 0, heads * headDim])]);
}

/** Reads nomic-bert tensors from the GGUF, dequantised to float32, checking their shapes. */
class NomicWeights {
  constructor(
    private readonly gguf: GgufFile,
    private readonly config: NomicConfig,
  ) {}

  private info(name: string) {
    const info = this.gguf.tensors.get(name);
    if (!info) {
      throw new SiftError('E_MODEL_LOAD', `tensor "${name}" is missing`, {
        file: this.gguf.file,
        tensor: name,
      });
    }
    return info;
  }

  private read(name: string): Float32Array {
    const info = this.info(name);
    return dequantize(info.type, tensorBytes(this.gguf, info), info.elements);
  }

  /** Rows of a matrix (its ggml dims[1]). */
  rows(name: string): number {
    return this.info(name).dims[1] ?? 1;
  }

  /** A matrix whose rows are `[width]` wide (ggml dims[0]). */
  matrix(name: string, [width]: [number]): Float32Array {
    const info = this.info(name);
    if (info.dims.length !== 2 || info.dims[0] !== width) this.badShape(name, info.dims, `[${width}, rows]`);
    return this.read(name);
  }

  vector(name: string): Float32Array {
    const info = this.info(name);
    if (info.dims.length !== 1 || info.dims[0] !== this.config.hidden)
      this.badShape(name, info.dims, `[${this.config.hidden}]`);
    return this.read(name);
  }

  /** A bias-free linear layer: ggml dims [in, out] hold PyTorch's [out, in] weight row-major. */
  linear(name: string, inFeatures: number, outFeatures: number): LinearWeights {
    const info = this.info(name);
    if (info.dims.length !== 2 || info.dims[0] !== inFeatures || info.dims[1] !== outFeatures)
      this.badShape(name, info.dims, `[${inFeatures}, ${outFeatures}]`);
    return { weight: this.read(name), inFeatures, outFeatures };
  }

  private badShape(name: string, dims: readonly number[], expected: string): never {
    throw new SiftError(
      'E_MODEL_LOAD',
      `tensor "${name}" has ggml dims [${dims.join(', ')}], expected ${expected}`,
      {
        file: this.gguf.file,
        tensor: name,
      },
    );
  }
}
