// The BERT-family models the engine trains: `BertEncoder` (embeddings + post-LN layers) and
// `CrossEncoderModel` (encoder + pooler/classifier head, HF BertForSequenceClassification). Built from
// the same `BertWeights` that sift's inference builder reads, so any BERT checkpoint sift can run it can
// train; parameters carry HF names ("bert." prefix), so saved checkpoints load in sift and in transformers.

import type { BertConfig, BertWeights } from '../models/index.js';
import type { Mulberry32 } from '../util/index.js';
import { BertLayer } from './bert-layer.js';
import { Dropout } from './dropout.js';
import { Embeddings, type TokenBatch } from './embeddings.js';
import { ClassifierHead, type PairHead, SimilarityHead } from './heads.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import type { Module, Parameter } from './parameter.js';

export interface ModelOptions {
  /** Dropout probability at HF's sites (hidden and attention dropout). Default 0: off. */
  dropout?: number;
  /** Where dropout draws from (the trainer's saved Mulberry32); no Mulberry32 also means no dropout (evaluation). */
  rng?: () => Mulberry32 | undefined;
}

export class BertEncoder implements Module {
  constructor(
    readonly embeddings: Embeddings,
    readonly layers: BertLayer[],
  ) {}

  parameters(): Parameter[] {
    return [...this.embeddings.parameters(), ...this.layers.flatMap((l) => l.parameters())];
  }

  get hidden(): number {
    return this.embeddings.hidden;
  }

  /** → hidden states [batch·seq, hidden]. */
  forward(tokens: TokenBatch): Float32Array {
    let x = this.embeddings.forward(tokens);
    for (const layer of this.layers) x = layer.forward(x, tokens.batch, tokens.seq, tokens.lengths);
    return x;
  }

  backward(dHidden: Float32Array): void {
    let d = dHidden;
    for (let i = this.layers.length - 1; i >= 0; i--) d = this.layers[i]!.backward(d);
    this.embeddings.backward(d);
  }

  /** Copies the weights (the model owns and updates them). MPNet's relative bias is not supported. */
  static fromWeights(weights: BertWeights, config: BertConfig, options: ModelOptions = {}): BertEncoder {
    if (!weights.tokenTypes || weights.relativeBias)
      throw new RangeError('training supports BERT encoders (token types, absolute positions) only');
    const p = 'bert.';
    const eps = config.layerNormEps;
    const dropout = () =>
      options.dropout ? new Dropout(options.dropout, options.rng ?? (() => undefined)) : undefined;
    const norm = (name: string, w: { gamma: Float32Array; beta: Float32Array }) =>
      LayerNorm.create(name, w.gamma.slice(), w.beta.slice(), eps);
    const linear = (name: string, w: { weight: Float32Array; bias?: Float32Array; inFeatures: number }) =>
      Linear.create(name, w.weight.slice(), w.bias?.slice(), w.inFeatures);
    const embeddings = Embeddings.create(
      p,
      {
        words: weights.words.data.slice(),
        positions: weights.positions.data.slice(),
        tokenTypes: weights.tokenTypes.data.slice(),
        hidden: weights.hidden,
      },
      norm(`${p}embeddings.LayerNorm`, weights.embeddingNorm),
      dropout(),
    );
    const layers = weights.layers.map((l) => {
      const base = `${p}encoder.layer.${l.index}`;
      const drops = options.dropout
        ? { attention: dropout()!, attentionOutput: dropout()!, output: dropout()! }
        : undefined;
      return new BertLayer({
        query: linear(`${base}.attention.self.query`, l.query),
        key: linear(`${base}.attention.self.key`, l.key),
        value: linear(`${base}.attention.self.value`, l.value),
        attentionOutput: linear(`${base}.attention.output.dense`, l.attentionOutput),
        attentionNorm: norm(`${base}.attention.output.LayerNorm`, l.attentionNorm),
        intermediate: linear(`${base}.intermediate.dense`, l.intermediate),
        output: linear(`${base}.output.dense`, l.output),
        outputNorm: norm(`${base}.output.LayerNorm`, l.outputNorm),
        heads: l.heads,
        ...(drops ? { dropouts: drops } : {}),
      });
    });
    return new BertEncoder(embeddings, layers);
  }
}

/** The cross-encoder heads the engine trains (see CrossEncoderModel.fromWeights). */
export type CrossEncoderHead = 'classifier' | 'similarity';

/**
 * The head a cross-encoder on these weights has: the checkpoint's own, else `wanted` (default classifier).
 * Reads only whether each head is there (BertWeights, or a weights file's tensor names).
 */
export function pairHeadOf(
  weights: { classifier?: unknown; similarity?: unknown },
  wanted: CrossEncoderHead = 'classifier',
): CrossEncoderHead {
  if (weights.classifier) return 'classifier';
  if (weights.similarity) return 'similarity';
  return wanted;
}

export class CrossEncoderModel implements Module {
  constructor(
    readonly encoder: BertEncoder,
    readonly head: PairHead,
    /** Parameters initialised here rather than read from the checkpoint (a new pooler or classifier). */
    readonly newParameters: readonly Parameter[] = [],
  ) {}

  parameters(): Parameter[] {
    return [...this.encoder.parameters(), ...this.head.parameters()];
  }

  /** → logits [batch, labels]. */
  forward(tokens: TokenBatch): Float32Array {
    return this.head.forward(this.encoder.forward(tokens), tokens);
  }

  /** Accumulates every parameter's gradient from dLoss/dlogits. */
  backward(dLogits: Float32Array): void {
    this.encoder.backward(this.head.backward(dLogits));
  }

  /**
   * A cross-encoder from BERT weights. A checkpoint's own head is kept (pairHeadOf); an encoder
   * without one gets the head `init.head` names (default: the classifier):
   * - 'classifier': the pooler and classifier come from the weights when present (a cross-encoder
   *   checkpoint); otherwise they are new: N(0, 0.02) weights and zero biases, BERT's
   *   initializer_range. A bi-encoder checkpoint's own pooler is kept (it was pre-trained with NSP).
   * - 'similarity': the weights' own similarity scale and bias when they hold them, else scale 20 and
   *   bias 0 (SimilarityHead); no new projection, so nothing starts random.
   */
  static fromWeights(
    weights: BertWeights,
    config: BertConfig,
    init: { labels?: number; rng: Mulberry32; head?: CrossEncoderHead },
    options: ModelOptions = {},
  ): CrossEncoderModel {
    const encoder = BertEncoder.fromWeights(weights, config, options);
    if (pairHeadOf(weights, init.head) === 'similarity') {
      if ((init.labels ?? 1) !== 1) throw new RangeError('the similarity head scores one logit');
      const head = weights.similarity
        ? SimilarityHead.create(weights.similarity.scale, weights.similarity.bias)
        : SimilarityHead.create();
      return new CrossEncoderModel(encoder, head, weights.similarity ? [] : head.parameters());
    }
    const h = weights.hidden;
    const labels = init.labels ?? 1;
    const normal = (n: number) => Float32Array.from({ length: n }, () => 0.02 * init.rng.normal());
    const pooler = weights.pooler
      ? Linear.create(
          'bert.pooler.dense',
          weights.pooler.weight.slice(),
          weights.pooler.bias?.slice() ?? new Float32Array(h),
          h,
        )
      : Linear.create('bert.pooler.dense', normal(h * h), new Float32Array(h), h);
    const classifier =
      weights.classifier && weights.classifier.outFeatures === labels
        ? Linear.create(
            'classifier',
            weights.classifier.weight.slice(),
            weights.classifier.bias?.slice() ?? new Float32Array(labels),
            h,
          )
        : Linear.create('classifier', normal(labels * h), new Float32Array(labels), h);
    const dropout = options.dropout
      ? new Dropout(options.dropout, options.rng ?? (() => undefined))
      : undefined;
    const fresh = [
      ...(weights.pooler ? [] : pooler.parameters()),
      ...(weights.classifier && weights.classifier.outFeatures === labels ? [] : classifier.parameters()),
    ];
    return new CrossEncoderModel(encoder, new ClassifierHead(pooler, classifier, dropout), fresh);
  }
}
