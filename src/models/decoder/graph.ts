// Builds an ONNX graph of a Llama-family decoder (SmolLM, Llama, Qwen2): pre-norm blocks with RMSNorm,
// rotary position embeddings, grouped-query attention over a key/value cache, and a SwiGLU MLP.
//
// Block: h = x + Attn(RMSNorm(x))·W_o;  x' = h + (SiLU(RMSNorm(h)·W_gate) ⊙ RMSNorm(h)·W_up)·W_down.
// Q, K and V are x·Wᵀ + b: Qwen2 has the biases b (added before the rotation), Llama's are zero.
// Weights of 1 KiB and more go to an external data file: a protobuf cannot exceed 2 GiB, and Qwen2.5-0.5B
// in float32 (its output head untied) is 2.5 GB.
//
// Inputs (B rows of S new tokens, P cached tokens):
//   input_ids, position_ids   int64 [B, S]     positions are free, so packed items can restart them
//   attention_bias            float [B, S, P+S] additive: 0 where a token may attend, −1e9 where not
//   past.<i>.key / .value     float [B or 1, kv_heads, P, head_dim]; batch 1 is broadcast to every row,
//                             so a shared prefix is computed once and never copied per document
//   logit_index               int64 [B]        the position (in S) whose next-token logits are wanted
//   logit_ids                 int64 [L]        the vocabulary rows to score (two for yes/no, all to generate)
// and, with vectorInputs (embedding tokens: an item read as one vector, not as its text):
//   input_vectors             float [B, S, H]  a vector that replaces a token's embedding
//   vector_mask               bool  [B, S, 1]  where input_vectors replace the token embeddings
// or, with head 'sequence' (scoring a text's likelihood, e.g. a query given a document):
//   score_positions, score_ids int64 [B, Q]   positions and the tokens that follow them
//   → token_logprobs [B, Q] = log softmax over the whole vocabulary at each position, at the next token
// Outputs: logits [B, L], and new.<i>.key/.value [B, kv_heads, S, head_dim], the new tokens' cache entries.
//
// Attention keeps the cache and the new tokens apart: scores = [Q·K_pastᵀ | Q·K_newᵀ] + bias, softmax,
// then P_past·V_past + P_new·V_new. Query heads are grouped as [B, kv, g, S, d] so each key/value head
// serves its g query heads by broadcasting, never by repeating K and V.

import { attr, GraphBuilder } from '../../runtime/index.js';
import {
  type LinearOptions,
  type LinearWeights,
  linear,
  rmsNorm,
  silu,
  stackLinear,
} from '../onnx/layers.js';
import type { QuantizeMode, WeightType } from '../quantize.js';
import type { DecoderConfig } from './config.js';
import type { DecoderWeights } from './weights.js';

/** Bumped whenever the graph this file builds changes, so cached graphs are rebuilt. */
export const DECODER_GRAPH_VERSION = 6;

export interface DecoderGraphOptions {
  /** Int8 weights for the block MatMuls (embedding and output rows stay float32). */
  quantize?: QuantizeMode;
  weightType?: WeightType;
  /** Rows of the rotary tables, i.e. the longest position; default min(context length, 8192). */
  maxPositions?: number;
  /** 'next-token' (default): logits of chosen ids at one position; 'sequence': log p of given tokens. */
  head?: 'next-token' | 'sequence';
  /** Inputs that put a given vector in place of a token's embedding (the embedding-token ranker). */
  vectorInputs?: boolean;
}

/**
 * Serialises the decoder as a ModelProto (opset 17, plus com.microsoft kernels when quantised) whose
 * weights are the returned data chunks, to be written in order to `dataFile` beside the model.
 */
export function buildDecoderGraph(
  config: DecoderConfig,
  weights: DecoderWeights,
  options: DecoderGraphOptions,
  dataFile: string,
): { model: Uint8Array; data: Uint8Array[] } {
  const g = new GraphBuilder({ name: 'decoder', opset: 17 });
  const { hidden, heads, kvHeads, headDim, rmsEpsilon } = config;
  const group = heads / kvHeads;
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const positions = g.input('position_ids', 'int64', ['batch', 'sequence']);
  const bias = g.input('attention_bias', 'float32', ['batch', 'sequence', 'total']);
  const sequenceHead = options.head === 'sequence';
  const logitIndex = sequenceHead ? '' : g.input('logit_index', 'int64', ['batch']);
  const logitIds = sequenceHead ? '' : g.input('logit_ids', 'int64', ['labels']);
  const scorePositions = sequenceHead ? g.input('score_positions', 'int64', ['batch', 'scored']) : '';
  const scoreIds = sequenceHead ? g.input('score_ids', 'int64', ['batch', 'scored']) : '';

  const embedding = g.initializer('token_embd', weights.embedding, [config.vocabSize, hidden]);
  let x = g.node('Gather', [embedding, ids]);
  if (options.vectorInputs) {
    const vectors = g.input('input_vectors', 'float32', ['batch', 'sequence', hidden]);
    const mask = g.input('vector_mask', 'bool', ['batch', 'sequence', 1]);
    x = g.node('Where', [mask, vectors, x]);
  }
  const rotary = rotaryTables(g, config, options.maxPositions, positions);
  // [B, S, T] → [B, 1, 1, S, T], to broadcast over kv heads and groups.
  const bias5 = g.node('Unsqueeze', [bias, g.int64s([1, 2])]);
  const newLength = g.node('Shape', [ids], 1, { start: attr.int(1), end: attr.int(2) });

  const lin = (input: string, w: LinearWeights, name: string, scale?: number) => {
    const linearOptions: LinearOptions = { name };
    if (scale !== undefined) linearOptions.scale = scale;
    if (options.quantize) {
      // Per-token activation scales: decoder activations have outlier channels, and one scale for the
      // whole batch (DynamicQuantizeMatMul) moved p(yes) by 0.17 on SmolLM2, per-row scales by 0.04.
      linearOptions.activations = 'row';
      linearOptions.quantize = options.quantize;
      if (options.weightType) linearOptions.weightType = options.weightType;
    }
    return linear(g, input, w, linearOptions);
  };

  for (const layer of weights.layers) {
    const i = layer.index;
    const pastKey = g.input(`past.${i}.key`, 'float32', ['past_batch', kvHeads, 'past', headDim]);
    const pastValue = g.input(`past.${i}.value`, 'float32', ['past_batch', kvHeads, 'past', headDim]);
    x = g.scoped(`layer.${i}`, () => {
      const h = rmsNorm(g, x, layer.attentionNorm, rmsEpsilon, `blk.${i}.attn_norm`);
      // 1/√d is folded into the query rows (RoPE is linear, so it commutes).
      const qkv = lin(
        h,
        stackLinear([layer.query, layer.key, layer.value], [1 / Math.sqrt(headDim)]),
        `blk.${i}.qkv`,
      );
      const [q, k, v] = g.nodeOutputs(
        'Split',
        [qkv, g.int64s([heads * headDim, kvHeads * headDim, kvHeads * headDim])],
        3,
        { axis: attr.int(-1) },
      ) as [string, string, string];
      const toHeads = (t: string, n: number) =>
        g.node('Transpose', [g.node('Reshape', [t, g.int64s([0, 0, n, headDim])])], 1, {
          perm: attr.ints([0, 2, 1, 3]),
        }); // [B, n, S, d]
      const qh = applyRotary(g, toHeads(q, heads), rotary, headDim);
      const kh = applyRotary(g, toHeads(k, kvHeads), rotary, headDim);
      const vh = toHeads(v, kvHeads);
      // Only the new tokens' keys and values go out: a Concat with the cache here would run on every call
      // (ORT runs every node) and fail when the cache is shared by broadcasting. The caller appends them.
      g.output(g.node('Identity', [kh], [`new.${i}.key`]), 'float32', [
        'batch',
        kvHeads,
        'sequence',
        headDim,
      ]);
      g.output(g.node('Identity', [vh], [`new.${i}.value`]), 'float32', [
        'batch',
        kvHeads,
        'sequence',
        headDim,
      ]);

      const q5 = g.node('Reshape', [qh, g.int64s([0, kvHeads, group, -1, headDim])]); // [B, kv, g, S, d]
      const asKeys = (t: string) =>
        g.node('Transpose', [g.node('Unsqueeze', [t, g.int64s([2])])], 1, {
          perm: attr.ints([0, 1, 2, 4, 3]),
        });
      const asValues = (t: string) => g.node('Unsqueeze', [t, g.int64s([2])]); // [B|1, kv, 1, T, d]
      const scores = g.node('Add', [
        g.node('Concat', [g.node('MatMul', [q5, asKeys(pastKey)]), g.node('MatMul', [q5, asKeys(kh)])], 1, {
          axis: attr.int(-1),
        }),
        bias5,
      ]);
      const probs = g.node('Softmax', [scores], 1, { axis: attr.int(-1) });
      const pastLength = g.node('Shape', [pastKey], 1, { start: attr.int(2), end: attr.int(3) });
      const [probsPast, probsNew] = g.nodeOutputs(
        'Split',
        [probs, g.node('Concat', [pastLength, newLength], 1, { axis: attr.int(0) })],
        2,
        { axis: attr.int(-1) },
      ) as [string, string];
      const context = g.node('Add', [
        g.node('MatMul', [probsPast, asValues(pastValue)]),
        g.node('MatMul', [probsNew, asValues(vh)]),
      ]); // [B, kv, g, S, d]
      const merged = g.node('Reshape', [
        g.node('Transpose', [g.node('Reshape', [context, g.int64s([0, heads, -1, headDim])])], 1, {
          perm: attr.ints([0, 2, 1, 3]),
        }),
        g.int64s([0, 0, heads * headDim]),
      ]);
      const attended = g.node('Add', [x, lin(merged, layer.output, `blk.${i}.attn_output`)]);

      const m = rmsNorm(g, attended, layer.mlpNorm, rmsEpsilon, `blk.${i}.ffn_norm`);
      const width = layer.gate.outFeatures;
      const gateUp = lin(m, stackLinear([layer.gate, layer.up]), `blk.${i}.ffn_gate_up`);
      const [gate, up] = g.nodeOutputs('Split', [gateUp, g.int64s([width, width])], 2, {
        axis: attr.int(-1),
      }) as [string, string];
      const inner = g.node('Mul', [silu(g, gate), up]);
      return g.node('Add', [attended, lin(inner, layer.down, `blk.${i}.ffn_down`)]);
    });
  }

  const projection = weights.outputProjection
    ? g.initializer('output', weights.outputProjection, [config.vocabSize, hidden])
    : embedding;
  if (sequenceHead) {
    // Rows at the scored positions only, then log softmax over the vocabulary and the target token's entry.
    const index = g.node('Expand', [
      g.node('Unsqueeze', [scorePositions, g.int64s([2])]),
      g.int64s([1, 1, hidden]),
    ]);
    const picked = g.node('Reshape', [
      g.node('GatherElements', [x, index], 1, { axis: attr.int(1) }),
      g.int64s([-1, hidden]),
    ]);
    const normed = rmsNorm(g, picked, weights.finalNorm, rmsEpsilon, 'output_norm');
    const logits = g.node('Gemm', [normed, projection], 1, { transB: attr.int(1) }); // [B·Q, V]
    const logProbs = g.node('LogSoftmax', [logits], 1, { axis: attr.int(-1) });
    const targets = g.node('Reshape', [scoreIds, g.int64s([-1, 1])]);
    const chosen = g.node('GatherElements', [logProbs, targets], 1, { axis: attr.int(1) });
    g.output(g.node('Reshape', [chosen, g.node('Shape', [scoreIds])], ['token_logprobs']), 'float32', [
      'batch',
      'scored',
    ]);
  } else {
    // Only the rows whose logits are wanted go through the final norm and the output projection.
    const index = g.node('Expand', [
      g.node('Reshape', [logitIndex, g.int64s([-1, 1, 1])]),
      g.int64s([1, 1, hidden]),
    ]);
    const last = g.node('Reshape', [
      g.node('GatherElements', [x, index], 1, { axis: attr.int(1) }),
      g.int64s([-1, hidden]),
    ]);
    const normed = rmsNorm(g, last, weights.finalNorm, rmsEpsilon, 'output_norm');
    const rows = g.node('Gather', [projection, logitIds]);
    g.output(g.node('Gemm', [normed, rows], ['logits'], { transB: attr.int(1) }), 'float32', [
      'batch',
      'labels',
    ]);
  }

  return g.toBytesWithExternalData(dataFile, {
    producerName: 'sift',
    producerVersion: String(DECODER_GRAPH_VERSION),
    metadata: { architecture: config.architecture, options: JSON.stringify(options) },
  });
}

interface RotaryTensors {
  /** cos and sin of position·θ_i, [B, 1, S, d/2], broadcast over heads. */
  cos: string;
  sin: string;
}

/** θ_i = base^(−2i/d), tabulated per position in float32 as Hugging Face computes them. */
function rotaryTables(
  g: GraphBuilder,
  config: DecoderConfig,
  maxPositions: number | undefined,
  positions: string,
): RotaryTensors {
  const rows = Math.min(config.contextLength, maxPositions ?? 8192);
  const half = config.headDim / 2;
  const cos = new Float32Array(rows * half);
  const sin = new Float32Array(rows * half);
  for (let i = 0; i < half; i++) {
    const invFreq = Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * i) / config.headDim)));
    for (let p = 0; p < rows; p++) {
      const angle = Math.fround(p * invFreq);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  const lookup = (table: Float32Array, name: string) =>
    g.node('Unsqueeze', [
      g.node('Gather', [g.initializer(name, table, [rows, half]), positions]),
      g.int64s([1]),
    ]);
  return { cos: lookup(cos, 'rotary.cos'), sin: lookup(sin, 'rotary.sin') };
}

/** Rotates halves (Hugging Face's rotate_half form): [x₁, x₂] → [x₁·cos − x₂·sin, x₂·cos + x₁·sin]. */
function applyRotary(g: GraphBuilder, x: string, rotary: RotaryTensors, headDim: number): string {
  const half = headDim / 2;
  const [x1, x2] = g.nodeOutputs('Split', [x, g.int64s([half, half])], 2, { axis: attr.int(-1) }) as [
    string,
    string,
  ];
  const first = g.node('Sub', [g.node('Mul', [x1, rotary.cos]), g.node('Mul', [x2, rotary.sin])]);
  const second = g.node('Add', [g.node('Mul', [x2, rotary.cos]), g.node('Mul', [x1, rotary.sin])]);
  return g.node('Concat', [first, second], 1, { axis: attr.int(-1) });
}
