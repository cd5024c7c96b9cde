// Finds a BERT-family encoder's tensors by their Hugging Face names and reads every layer's shape from the
// weights themselves.
//
// Shapes come from the tensors, not from config.json, so pruned models work: a layer may have fewer
// attention heads (query rows / head_dim) or MLP neurons (intermediate rows) than another, and the
// model may have fewer layers than `num_hidden_layers`. Sequence-classification checkpoints (cross-
// encoders) prefix the encoder with "bert." and add "classifier.*"; both layouts are accepted. MPNet names
// its attention tensors attention.attn.{q,k,v,o} and attention.LayerNorm, has no token-type table, and
// keeps one relative-position bias table for all layers (encoder.relative_attention_bias).

import { SiftError } from '../../errors.js';
import type { LinearWeights } from '../onnx/layers.js';
import type { FloatTensor } from '../safetensors.js';
import type { BertConfig, EncoderArchitecture } from './config.js';

/** Where weights come from: a SafetensorsFile, or a map of tensors in tests. */
export interface WeightSource {
  /** Names the source in error messages. */
  readonly file: string;
  readonly names: readonly string[];
  has(name: string): boolean;
  float32(name: string): FloatTensor;
}

export interface NormWeights {
  gamma: Float32Array;
  beta: Float32Array;
}

export interface EmbeddingTable {
  data: Float32Array;
  rows: number;
  /** Row width (the hidden size). */
  width: number;
}

export interface BertLayerWeights {
  index: number;
  /** Attention heads of this layer: query rows / head_dim. */
  heads: number;
  query: LinearWeights;
  key: LinearWeights;
  value: LinearWeights;
  attentionOutput: LinearWeights;
  attentionNorm: NormWeights;
  /** intermediate.dense; its row count is this layer's MLP width. */
  intermediate: LinearWeights;
  output: LinearWeights;
  outputNorm: NormWeights;
}

/** MPNet's relative-position bias: one row of per-head biases per bucket, [buckets, heads]. */
export interface RelativeBias {
  data: Float32Array;
  buckets: number;
  heads: number;
}

export interface BertWeights {
  hidden: number;
  words: EmbeddingTable;
  positions: EmbeddingTable;
  /** Absent in MPNet, which has no token types. */
  tokenTypes?: EmbeddingTable;
  relativeBias?: RelativeBias;
  embeddingNorm: NormWeights;
  layers: BertLayerWeights[];
  /** pooler.dense (tanh(W·h_CLS + b)); absent in some sentence-transformers exports. */
  pooler?: LinearWeights;
  /** classifier (cross-encoders): logits = W·pooled + b. */
  classifier?: LinearWeights;
  /**
   * sift's similarity head (cross-encoders trained by sift): logit = scale · cos(mean of the query
   * segment's states, mean of the document segment's states). Tensors `similarity.scale`, `similarity.bias`.
   */
  similarity?: { scale: number; bias: number };
}

/** Where each family keeps a layer's tensors, relative to `encoder.layer.<i>.`. */
const LAYER_NAMES: Record<
  EncoderArchitecture,
  {
    prefix: string;
    query: string;
    key: string;
    value: string;
    attentionOutput: string;
    attentionNorm: string;
  }
> = {
  bert: {
    prefix: 'bert.',
    query: 'attention.self.query',
    key: 'attention.self.key',
    value: 'attention.self.value',
    attentionOutput: 'attention.output.dense',
    attentionNorm: 'attention.output.LayerNorm',
  },
  mpnet: {
    prefix: 'mpnet.',
    query: 'attention.attn.q',
    key: 'attention.attn.k',
    value: 'attention.attn.v',
    attentionOutput: 'attention.attn.o',
    attentionNorm: 'attention.LayerNorm',
  },
};

/** Collects an encoder's weights, checking that every shape fits the hidden size and head size. */
export function bertWeights(source: WeightSource, config: BertConfig): BertWeights {
  const names = LAYER_NAMES[config.architecture];
  const prefix = source.has('embeddings.word_embeddings.weight')
    ? ''
    : source.has(`${names.prefix}embeddings.word_embeddings.weight`)
      ? names.prefix
      : fail(
          source,
          `the weights are not a ${config.architecture} model: no embeddings.word_embeddings.weight`,
        );
  const get = (name: string): FloatTensor => {
    if (!source.has(name)) fail(source, `tensor "${name}" is missing`, name);
    return source.float32(name);
  };
  const words = table(source, get(`${prefix}embeddings.word_embeddings.weight`));
  const hidden = words.width;
  if (hidden !== config.hiddenSize) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `word embeddings are ${hidden} wide but config.json says hidden_size ${config.hiddenSize}`,
      { file: source.file, field: 'hidden_size' },
    );
  }
  const expectWidth = (t: EmbeddingTable, name: string) => {
    if (t.width !== hidden) fail(source, `tensor "${name}" rows are ${t.width} wide, not ${hidden}`, name);
    return t;
  };
  const norm = (base: string): NormWeights => {
    // Old TensorFlow-converted checkpoints name LayerNorm's parameters gamma/beta.
    const gammaName = source.has(`${base}.weight`) ? `${base}.weight` : `${base}.gamma`;
    const betaName = source.has(`${base}.bias`) ? `${base}.bias` : `${base}.beta`;
    const gamma = vector(source, get(gammaName), hidden);
    return { gamma, beta: vector(source, get(betaName), hidden) };
  };
  const linearAt = (base: string, inFeatures?: number, outFeatures?: number): LinearWeights => {
    const w = get(`${base}.weight`);
    const [rows, cols] = w.shape;
    if (w.shape.length !== 2 || rows === undefined || cols === undefined) {
      return fail(source, `tensor "${base}.weight" is not a matrix`, `${base}.weight`);
    }
    if (
      (inFeatures !== undefined && cols !== inFeatures) ||
      (outFeatures !== undefined && rows !== outFeatures)
    ) {
      fail(
        source,
        `tensor "${base}.weight" is [${rows}, ${cols}], expected [${outFeatures ?? 'any'}, ${inFeatures ?? 'any'}]`,
        `${base}.weight`,
      );
    }
    const linear: LinearWeights = { weight: w.data, outFeatures: rows, inFeatures: cols };
    if (source.has(`${base}.bias`)) linear.bias = vector(source, get(`${base}.bias`), rows);
    return linear;
  };

  const layers: BertLayerWeights[] = [];
  for (let i = 0; source.has(`${prefix}encoder.layer.${i}.${names.query}.weight`); i++) {
    const base = `${prefix}encoder.layer.${i}`;
    const query = linearAt(`${base}.${names.query}`, hidden);
    const width = query.outFeatures;
    if (width % config.headDim !== 0) {
      fail(
        source,
        `layer ${i}: query width ${width} is not a multiple of head_dim ${config.headDim}`,
        `${base}.${names.query}.weight`,
      );
    }
    const intermediate = linearAt(`${base}.intermediate.dense`, hidden);
    layers.push({
      index: i,
      heads: width / config.headDim,
      query,
      key: linearAt(`${base}.${names.key}`, hidden, width),
      value: linearAt(`${base}.${names.value}`, hidden, width),
      attentionOutput: linearAt(`${base}.${names.attentionOutput}`, width, hidden),
      attentionNorm: norm(`${base}.${names.attentionNorm}`),
      intermediate,
      output: linearAt(`${base}.output.dense`, intermediate.outFeatures, hidden),
      outputNorm: norm(`${base}.output.LayerNorm`),
    });
  }
  if (layers.length === 0) fail(source, `no encoder layers (${prefix}encoder.layer.0.*) in the weights`);

  const weights: BertWeights = {
    hidden,
    words,
    positions: expectWidth(
      table(source, get(`${prefix}embeddings.position_embeddings.weight`)),
      'position_embeddings',
    ),
    embeddingNorm: norm(`${prefix}embeddings.LayerNorm`),
    layers,
  };
  if (config.architecture === 'bert') {
    weights.tokenTypes = expectWidth(
      table(source, get(`${prefix}embeddings.token_type_embeddings.weight`)),
      'token_type_embeddings',
    );
  } else {
    weights.relativeBias = relativeBias(
      source,
      get(`${prefix}encoder.relative_attention_bias.weight`),
      config,
      layers,
    );
  }
  if (source.has(`${prefix}pooler.dense.weight`))
    weights.pooler = linearAt(`${prefix}pooler.dense`, hidden, hidden);
  if (source.has('classifier.weight')) weights.classifier = linearAt('classifier', hidden);
  if (source.has('similarity.scale')) {
    weights.similarity = {
      scale: vector(source, get('similarity.scale'), 1)[0]!,
      bias: source.has('similarity.bias') ? vector(source, get('similarity.bias'), 1)[0]! : 0,
    };
  }
  return weights;
}

function relativeBias(
  source: WeightSource,
  t: FloatTensor,
  config: BertConfig,
  layers: readonly BertLayerWeights[],
): RelativeBias {
  const [buckets, heads] = t.shape;
  if (t.shape.length !== 2 || buckets !== config.relativeAttentionBuckets || heads === undefined) {
    fail(
      source,
      `tensor "${t.name}" has shape [${t.shape.join(',')}], expected [${config.relativeAttentionBuckets}, heads]`,
      t.name,
    );
  }
  // One table serves every layer, so every layer must keep every head (pruned MPNet heads are not supported).
  const pruned = layers.find((layer) => layer.heads !== heads);
  if (pruned)
    fail(
      source,
      `layer ${pruned.index} has ${pruned.heads} heads but the relative bias has ${heads}`,
      t.name,
    );
  return { data: t.data, buckets: buckets as number, heads: heads as number };
}

function table(source: WeightSource, t: FloatTensor): EmbeddingTable {
  const [rows, width] = t.shape;
  if (t.shape.length !== 2 || rows === undefined || width === undefined) {
    return fail(source, `tensor "${t.name}" is not a matrix`, t.name);
  }
  return { data: t.data, rows, width };
}

function vector(source: WeightSource, t: FloatTensor, length: number): Float32Array {
  if (t.shape.length !== 1 || t.shape[0] !== length) {
    fail(source, `tensor "${t.name}" has shape [${t.shape.join(',')}], expected [${length}]`, t.name);
  }
  return t.data;
}

function fail(source: WeightSource, detail: string, tensor?: string): never {
  throw new SiftError('E_MODEL_LOAD', detail, tensor ? { file: source.file, tensor } : { file: source.file });
}
