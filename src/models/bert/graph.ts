// Builds an ONNX graph of a BERT-family encoder from its weights: embeddings, post-LN layers, pooling.
//
// Per layer: h = LN(x + Attn(x)·W_o), x' = LN(h + GELU(h·W_1)·W_2), with Attn = softmax(QKᵀ/√d + B + mask)·V,
// where B is 0 for BERT (Devlin et al. 2019) and MPNet's bucketed relative-position bias (Song et al. 2020).
// Each layer's widths (heads, MLP neurons) come from its own weights (see weights.ts). The graph reads
// input_ids, attention_mask and (BERT only) token_type_ids (int64 [batch, sequence]) and writes
// `sentence_embedding` [batch, hidden] (pooled, optionally L2-normalised), `last_hidden_state` and/or
// `logits` (cross-encoders).

import { SiftError } from '../../errors.js';
import { attr, GraphBuilder } from '../../runtime/index.js';
import {
  type AttentionKernel,
  attention,
  attentionMasks,
  clsPool,
  gelu,
  type LinearOptions,
  type LinearWeights,
  l2Normalize,
  layerNorm,
  linear,
  meanPool,
  skipLayerNorm,
  stackLinear,
} from '../onnx/layers.js';
import type { QuantizeMode, WeightType } from '../quantize.js';
import type { BertConfig } from './config.js';
import { type BertWeights, bertWeights, type RelativeBias, type WeightSource } from './weights.js';

/** Bumped whenever the graph this file builds changes, so cached graphs are rebuilt. */
export const BERT_GRAPH_VERSION = 2;

export type Pooling = 'mean' | 'cls' | 'none';

export interface BertGraphOptions {
  /** How token vectors become `sentence_embedding`; 'none' outputs only `last_hidden_state`. */
  pooling: Pooling;
  /** L2-normalise `sentence_embedding`. */
  normalize: boolean;
  /** Int8 weights for the encoder MatMuls (see quantizeFfnOutput; embeddings and heads stay float32). */
  quantize?: QuantizeMode;
  /**
   * Also quantise each layer's FFN output projection (GELU(h)·W₂). Off by default: its input has a few
   * very large neurons, so one per-tensor activation scale costs the other tokens and neurons their
   * precision; on all-MiniLM-L6-v2 (13 reference sentences in one batch) it lowers the worst cosine to
   * fp32 from 0.992 to 0.985 for about 15% more speed.
   */
  quantizeFfnOutput?: boolean;
  /** Storage of int8 weights; defaults to what this CPU's integer kernels compute exactly (see quantize.ts). */
  weightType?: WeightType;
  /** Also output `last_hidden_state` [batch, sequence, hidden] when pooling. */
  lastHiddenState?: boolean;
  /**
   * 'classifier': the cross-encoder's head as `logits` [batch, labels]: classifier(tanh(pooler(h_CLS))),
   * or for a checkpoint with sift's similarity head (similarity.* tensors, no classifier) one logit,
   * scale · cos(query segment's mean state, document segment's mean state) + bias.
   */
  head?: 'classifier';
  /**
   * Attention kernel: plain ONNX ops (default) or ORT's fused MultiHeadAttention. Measured on MiniLM-L6,
   * 2 threads, batch 32: the same speed at 32 and 128 tokens, so the portable form is the default.
   */
  attention?: AttentionKernel;
}

/** Serialises the encoder of `weights` as a ModelProto (opset 17 plus com.microsoft fused kernels). */
export function buildBertEncoderGraph(
  config: BertConfig,
  source: WeightSource,
  options: BertGraphOptions,
): Uint8Array {
  const weights = bertWeights(source, config);
  const g = new GraphBuilder({ name: 'bert-encoder', opset: 17 });
  const hidden = bertEncoder(g, config, weights, options);
  addOutputs(g, weights, hidden, options, source.file);
  return g.toBytes({
    producerName: 'sift',
    producerVersion: String(BERT_GRAPH_VERSION),
    metadata: { architecture: config.architecture, options: JSON.stringify(options) },
  });
}

/** Adds the inputs, embeddings and every layer; returns the last hidden state [batch, sequence, hidden]. */
export function bertEncoder(
  g: GraphBuilder,
  config: BertConfig,
  w: BertWeights,
  options: BertGraphOptions,
): string {
  const dims = ['batch', 'sequence'];
  const ids = g.input('input_ids', 'int64', dims);
  const mask = g.input('attention_mask', 'int64', dims);
  const types = w.tokenTypes ? g.input('token_type_ids', 'int64', dims) : undefined;
  const kernel = options.attention ?? 'ops';
  const eps = config.layerNormEps;
  if (w.relativeBias && kernel === 'fused') {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `fused attention is not built for ${config.architecture}'s relative bias`,
      {
        field: 'attention',
      },
    );
  }

  let x = g.scoped('embeddings', () => {
    let sum = g.node('Gather', [
      g.initializer('embeddings.word_embeddings', w.words.data, [w.words.rows, w.hidden]),
      ids,
    ]);
    const positionTable = g.initializer('embeddings.position_embeddings', w.positions.data, [
      w.positions.rows,
      w.hidden,
    ]);
    // Positions offset … offset + length − 1. MPNet counts from pad_token_id + 1 and gives padding the
    // padding position instead; rows are right-padded and padding is masked, so real tokens see the same.
    const length = g.node('Shape', [ids], 1, { start: attr.int(1), end: attr.int(2) });
    const offset = g.int64s([config.positionOffset]);
    const end = config.positionOffset === 0 ? length : g.node('Add', [length, offset]);
    const positions = g.node('Slice', [positionTable, offset, end, g.int64s([0])]);
    sum = g.node('Add', [sum, positions]);
    if (w.tokenTypes && types) {
      const typeTable = g.initializer('embeddings.token_type_embeddings', w.tokenTypes.data, [
        w.tokenTypes.rows,
        w.hidden,
      ]);
      sum = g.node('Add', [sum, g.node('Gather', [typeTable, types])]);
    }
    return layerNorm(g, sum, w.embeddingNorm.gamma, w.embeddingNorm.beta, eps, 'embeddings.LayerNorm');
  });

  let masks = attentionMasks(g, mask, kernel);
  if (w.relativeBias) {
    // The bias depends only on (key − query) positions, so it is computed once and added to the padding
    // mask: every layer then adds one [batch, heads, sequence, sequence] term, as for BERT's mask alone.
    const bias = relativePositionBias(g, ids, w.relativeBias, config.maxPositionEmbeddings);
    masks = { additive: g.node('Add', [masks.additive!, bias]) };
  }
  const lin = (input: string, weights: LinearWeights, name: string, extra: Partial<LinearOptions> = {}) => {
    const linearOptions: LinearOptions = { name, ...extra };
    const isFfnOutput = name.endsWith('.output.dense') && !name.endsWith('attention.output.dense');
    if (options.quantize && (options.quantizeFfnOutput || !isFfnOutput)) {
      linearOptions.quantize = options.quantize;
      if (options.weightType) linearOptions.weightType = options.weightType;
    }
    return linear(g, input, weights, linearOptions);
  };

  for (const layer of w.layers) {
    const name = `encoder.layer.${layer.index}`;
    x = g.scoped(name, () => {
      // One product for Q, K and V (one pass over x, one activation quantisation); 1/√d is folded into
      // the query rows so attention scales nothing at run time.
      const width = layer.query.outFeatures;
      const qkvWeights = stackLinear([layer.query, layer.key, layer.value], [1 / Math.sqrt(config.headDim)]);
      const qkv = lin(x, qkvWeights, `${name}.attention.self.qkv`);
      const [q, k, v] = g.nodeOutputs('Split', [qkv, g.int64s([width, width, width])], 3, {
        axis: attr.int(-1),
      }) as [string, string, string];
      const context = attention(g, q, k, v, { heads: layer.heads, headDim: config.headDim, kernel, masks });
      const attended = lin(context, layer.attentionOutput, `${name}.attention.output.dense`, {
        omitBias: true,
      });
      const norm1 = { ...layer.attentionNorm, bias: layer.attentionOutput.bias };
      const h = skipLayerNorm(g, attended, x, norm1, eps, `${name}.attention.output.LayerNorm`);
      const inner = gelu(g, lin(h, layer.intermediate, `${name}.intermediate.dense`));
      const out = lin(inner, layer.output, `${name}.output.dense`, { omitBias: true });
      const norm2 = { ...layer.outputNorm, bias: layer.output.bias };
      return skipLayerNorm(g, out, h, norm2, eps, `${name}.output.LayerNorm`);
    });
  }
  return x;
}

/**
 * MPNet's relative-position bias [1, heads, sequence, sequence] for the current length: per (query i, key j)
 * the learnt per-head bias of bucket(j − i). The buckets are T5's (Raffel et al. 2020), as transformers'
 * MPNet computes them: 8 exact distances per direction, then logarithmic up to 128, one side per half.
 * Every possible offset's bias row is tabulated here, so the graph only gathers.
 */
function relativePositionBias(
  g: GraphBuilder,
  ids: string,
  table: RelativeBias,
  maxPositions: number,
): string {
  return g.scoped('relative_position_bias', () => {
    const span = 2 * maxPositions - 1;
    const rows = new Float32Array(span * table.heads);
    for (let r = 0; r < span; r++) {
      const bucket = relativePositionBucket(r - (maxPositions - 1), table.buckets);
      rows.set(table.data.subarray(bucket * table.heads, (bucket + 1) * table.heads), r * table.heads);
    }
    const biasByOffset = g.initializer('encoder.relative_position_bias', rows, [span, table.heads]);
    const length = g.node('Squeeze', [g.node('Shape', [ids], 1, { start: attr.int(1), end: attr.int(2) })]);
    const steps = g.node('Range', [g.int64s([0], []), length, g.int64s([1], [])]);
    const keys = g.node('Unsqueeze', [steps, g.int64s([0])]); // [1, S]: j
    const queries = g.node('Unsqueeze', [steps, g.int64s([1])]); // [S, 1]: i
    const offsets = g.node('Add', [g.node('Sub', [keys, queries]), g.int64s([maxPositions - 1], [])]);
    const perPair = g.node('Gather', [biasByOffset, offsets]); // [S, S, heads]
    const perHead = g.node('Transpose', [perPair], 1, { perm: attr.ints([2, 0, 1]) });
    return g.node('Unsqueeze', [perHead, g.int64s([0])]);
  });
}

/**
 * T5/MPNet relative-position bucket of `relative` = key − query, with transformers' arithmetic: the
 * logarithm is taken in float32 and truncated, so each step is rounded to float32 here as well.
 */
export function relativePositionBucket(relative: number, buckets: number, maxDistance = 128): number {
  const half = Math.floor(buckets / 2);
  let bucket = relative > 0 ? half : 0;
  const n = Math.abs(relative);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return bucket + n;
  const f = Math.fround;
  const logRatio = f(Math.log(f(n / maxExact)));
  const scaled = f(f(logRatio / f(Math.log(maxDistance / maxExact))) * (half - maxExact));
  bucket += Math.min(maxExact + Math.trunc(scaled), half - 1);
  return bucket;
}

function addOutputs(
  g: GraphBuilder,
  w: BertWeights,
  hidden: string,
  options: BertGraphOptions,
  file: string,
): void {
  const tokenDims = ['batch', 'sequence', w.hidden];
  if (options.head === 'classifier' && w.similarity && !w.classifier) {
    if (!w.tokenTypes) {
      throw new SiftError('E_MODEL_LOAD', 'a similarity head needs token types to find the two segments', {
        file,
      });
    }
    const logits = similarityHead(g, hidden, w.similarity);
    g.output(g.node('Identity', [logits], ['logits']), 'float32', ['batch', 1]);
  } else if (options.head === 'classifier') {
    const { pooler, classifier } = w;
    if (!pooler || !classifier) {
      throw new SiftError('E_MODEL_LOAD', 'a classifier head needs pooler.dense.* and classifier.* tensors', {
        file,
      });
    }
    const pooled = g.node('Tanh', [linear(g, clsPool(g, hidden), pooler, { name: 'pooler.dense' })]);
    const logits = linear(g, pooled, classifier, { name: 'classifier' });
    g.output(g.node('Identity', [logits], ['logits']), 'float32', ['batch', classifier.outFeatures]);
  } else if (options.pooling !== 'none') {
    const mask = 'attention_mask';
    let pooled = options.pooling === 'mean' ? meanPool(g, hidden, mask) : clsPool(g, hidden);
    if (options.normalize) pooled = l2Normalize(g, pooled);
    g.output(g.node('Identity', [pooled], ['sentence_embedding']), 'float32', ['batch', w.hidden]);
  }
  if (options.pooling === 'none' || options.lastHiddenState) {
    g.output(g.node('Identity', [hidden], ['last_hidden_state']), 'float32', tokenDims);
  }
}

/**
 * sift's similarity head (the training engine's SimilarityHead): logit = scale · cos(q, d) + bias, where q
 * and d sum the states of each pair's token-type-0 and token-type-1 tokens (sums, not means: the cosine
 * does not see the count) → [batch, 1].
 */
function similarityHead(g: GraphBuilder, hidden: string, head: { scale: number; bias: number }): string {
  return g.scoped('similarity', () => {
    const real = g.node('Cast', ['attention_mask'], 1, { to: attr.int(1) });
    const second = g.node('Mul', [real, g.node('Cast', ['token_type_ids'], 1, { to: attr.int(1) })]);
    const first = g.node('Sub', [real, second]);
    const segmentSum = (m: string) =>
      g.node(
        'ReduceSum',
        [g.node('Mul', [hidden, g.node('Unsqueeze', [m, g.int64s([2])])]), g.int64s([1])],
        1,
        {
          keepdims: attr.int(0),
        },
      );
    const q = segmentSum(first);
    const d = segmentSum(second);
    const sumLast = (x: string) => g.node('ReduceSum', [x, g.int64s([-1])], 1, { keepdims: attr.int(1) });
    const dot = sumLast(g.node('Mul', [q, d]));
    const norms = g.node('Sqrt', [
      g.node('Max', [
        g.node('Mul', [sumLast(g.node('Mul', [q, q])), sumLast(g.node('Mul', [d, d]))]),
        g.scalar(1e-24),
      ]),
    ]);
    const cos = g.node('Div', [dot, norms]);
    return g.node('Add', [g.node('Mul', [cos, g.scalar(head.scale)]), g.scalar(head.bias)]);
  });
}
