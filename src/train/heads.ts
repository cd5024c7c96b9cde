// Output heads on top of the encoder's hidden states:
// - the cross-encoder's pair classifier (BERT's pooler, tanh(W·h_CLS + b), then a linear classifier, as
//   HF BertForSequenceClassification and sentence-transformers' CrossEncoder);
// - the cross-encoder's similarity head: the cosine of the two segments' mean states, scaled, which reads
//   the relevance a sentence embedder already knows instead of starting from a random projection;
// - masked mean pooling for bi-encoders (sentence-transformers' Pooling, mean mode).

import { Tanh } from './activations.js';
import type { Dropout } from './dropout.js';
import type { TokenBatch } from './embeddings.js';
import type { Linear } from './linear.js';
import { type Module, Parameter } from './parameter.js';

/** What a cross-encoder puts on its encoder: hidden states [batch·seq, hidden] → logits [batch, labels]. */
export interface PairHead extends Module {
  readonly labels: number;
  forward(hidden: Float32Array, tokens: TokenBatch): Float32Array;
  /** dlogits [batch, labels] → dhidden [batch·seq, hidden]. */
  backward(dlogits: Float32Array): Float32Array;
}

export class ClassifierHead implements PairHead {
  private readonly tanh = new Tanh();
  private shape: { batch: number; seq: number; hidden: number } | undefined;

  constructor(
    readonly pooler: Linear,
    readonly classifier: Linear,
    /** HF's dropout before the classifier (hidden_dropout_prob). */
    private readonly dropout?: Dropout,
  ) {}

  get labels(): number {
    return this.classifier.outFeatures;
  }

  parameters(): Parameter[] {
    return [...this.pooler.parameters(), ...this.classifier.parameters()];
  }

  /** hidden: [batch·seq, hidden] → logits [batch, labels], from each row's first ([CLS]) token. */
  forward(hidden: Float32Array, tokens: TokenBatch): Float32Array {
    const { batch, seq } = tokens;
    const h = this.pooler.inFeatures;
    const cls = new Float32Array(batch * h);
    for (let b = 0; b < batch; b++) cls.set(hidden.subarray(b * seq * h, b * seq * h + h), b * h);
    this.shape = { batch, seq, hidden: h };
    let pooled = this.tanh.forward(this.pooler.forward(cls, batch));
    if (this.dropout) pooled = this.dropout.forward(pooled);
    return this.classifier.forward(pooled, batch);
  }

  /** dlogits: [batch, labels] → dhidden [batch·seq, hidden] (non-zero only at [CLS]). */
  backward(dlogits: Float32Array): Float32Array {
    const shape = this.shape;
    if (!shape) throw new Error('ClassifierHead.backward before forward');
    let dPooled = this.classifier.backward(dlogits);
    if (this.dropout) dPooled = this.dropout.backward(dPooled);
    const dCls = this.pooler.backward(this.tanh.backward(dPooled));
    const { batch, seq, hidden: h } = shape;
    const dHidden = new Float32Array(batch * seq * h);
    for (let b = 0; b < batch; b++) dHidden.set(dCls.subarray(b * h, b * h + h), b * seq * h);
    return dHidden;
  }
}

/**
 * logit = scale · cos(q, d) + bias, where q and d are the means of each pair's first-segment states
 * ([CLS] query [SEP], token type 0) and second-segment states (document [SEP], token type 1), both from
 * the one joint pass. A sentence embedder's mean-pooled states already place related texts together, so
 * this head ranks from its first step: on hybrid's top 50, the untrained all-MiniLM-L6-v2 orders test
 * queries well above a random order, where a new [CLS] classifier is one (bench/ce-init-probe.ts).
 * scale starts at 20, the temperature such embedders are trained at (sentence-transformers'
 * multiple-negatives loss), so a listwise softmax over the logits starts as sharp as the embedder's own.
 * Saved as `similarity.scale` and `similarity.bias` ([1] each); sift's graph builder reads them.
 */
export class SimilarityHead implements PairHead {
  readonly labels = 1;
  private saved:
    | {
        tokens: TokenBatch;
        hidden: number;
        q: Float32Array;
        d: Float32Array;
        counts: Float32Array;
        cos: Float32Array;
      }
    | undefined;

  constructor(
    readonly scale: Parameter,
    readonly bias: Parameter,
  ) {}

  static create(scale = SIMILARITY_SCALE, bias = 0): SimilarityHead {
    return new SimilarityHead(
      new Parameter('similarity.scale', [1], Float32Array.of(scale), false),
      new Parameter('similarity.bias', [1], Float32Array.of(bias), false),
    );
  }

  parameters(): Parameter[] {
    return [this.scale, this.bias];
  }

  forward(hidden: Float32Array, tokens: TokenBatch): Float32Array {
    const { batch, seq, typeIds, lengths } = tokens;
    const h = hidden.length / (batch * seq);
    const q = new Float32Array(batch * h);
    const d = new Float32Array(batch * h);
    // counts[2b], counts[2b + 1]: tokens in row b's first and second segment.
    const counts = new Float32Array(2 * batch);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < lengths[b]!; t++) {
        const second = typeIds[b * seq + t] === 1;
        const into = second ? d : q;
        counts[2 * b + (second ? 1 : 0)]! += 1;
        const base = (b * seq + t) * h;
        for (let j = 0; j < h; j++) into[b * h + j]! += hidden[base + j]!;
      }
      for (let j = 0; j < h; j++) {
        q[b * h + j]! /= Math.max(1, counts[2 * b]!);
        d[b * h + j]! /= Math.max(1, counts[2 * b + 1]!);
      }
    }
    const cos = new Float32Array(batch);
    const logits = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      const { dot, qq, dd } = dots(q, d, b * h, h);
      cos[b] = dot / Math.sqrt(Math.max(qq * dd, NORM_FLOOR));
      logits[b] = this.scale.data[0]! * cos[b]! + this.bias.data[0]!;
    }
    this.saved = { tokens, hidden: h, q, d, counts, cos };
    return logits;
  }

  backward(dlogits: Float32Array): Float32Array {
    const saved = this.saved;
    if (!saved) throw new Error('SimilarityHead.backward before forward');
    const { tokens, hidden: h, q, d, counts, cos } = saved;
    const { batch, seq, typeIds, lengths } = tokens;
    const scale = this.scale.data[0]!;
    const dHidden = new Float32Array(batch * seq * h);
    const dq = new Float32Array(h);
    const dd = new Float32Array(h);
    for (let b = 0; b < batch; b++) {
      const g = dlogits[b]!;
      if (!this.scale.frozen) this.scale.grad[0]! += g * cos[b]!;
      if (!this.bias.frozen) this.bias.grad[0]! += g;
      const { qq, dd: ddNorm } = dots(q, d, b * h, h);
      const norms = Math.sqrt(Math.max(qq * ddNorm, NORM_FLOOR));
      const dCos = g * scale;
      // ∂cos/∂q = d/(|q||d|) − cos·q/|q|², and symmetrically for d.
      for (let j = 0; j < h; j++) {
        const qj = q[b * h + j]!;
        const dj = d[b * h + j]!;
        dq[j] = dCos * (dj / norms - (cos[b]! * qj) / Math.max(qq, NORM_FLOOR));
        dd[j] = dCos * (qj / norms - (cos[b]! * dj) / Math.max(ddNorm, NORM_FLOOR));
      }
      const nq = Math.max(1, counts[2 * b]!);
      const nd = Math.max(1, counts[2 * b + 1]!);
      for (let t = 0; t < lengths[b]!; t++) {
        const second = typeIds[b * seq + t] === 1;
        const from = second ? dd : dq;
        const n = second ? nd : nq;
        const base = (b * seq + t) * h;
        for (let j = 0; j < h; j++) dHidden[base + j] = from[j]! / n;
      }
    }
    return dHidden;
  }
}

/** The similarity head's starting scale (see SimilarityHead). */
export const SIMILARITY_SCALE = 20;
// Below this, |q|²·|d|² is treated as this: a segment of zero states has no direction.
const NORM_FLOOR = 1e-24;

function dots(q: Float32Array, d: Float32Array, at: number, h: number) {
  let dot = 0;
  let qq = 0;
  let dd = 0;
  for (let j = 0; j < h; j++) {
    const a = q[at + j]!;
    const b = d[at + j]!;
    dot += a * b;
    qq += a * a;
    dd += b * b;
  }
  return { dot, qq, dd };
}

/** Mean of each row's real-token states: [batch·seq, hidden] → [batch, hidden]. */
export class MeanPooling {
  private shape: { seq: number; hidden: number; lengths: Int32Array } | undefined;

  forward(hidden: Float32Array, seq: number, width: number, lengths: Int32Array): Float32Array {
    const batch = lengths.length;
    const out = new Float32Array(batch * width);
    for (let b = 0; b < batch; b++) {
      const n = lengths[b]!;
      for (let t = 0; t < n; t++) {
        const base = (b * seq + t) * width;
        for (let j = 0; j < width; j++) out[b * width + j]! += hidden[base + j]!;
      }
      for (let j = 0; j < width; j++) out[b * width + j]! /= Math.max(n, 1);
    }
    this.shape = { seq, hidden: width, lengths };
    return out;
  }

  backward(dy: Float32Array): Float32Array {
    const shape = this.shape;
    if (!shape) throw new Error('MeanPooling.backward before forward');
    const { seq, hidden: width, lengths } = shape;
    const dx = new Float32Array(lengths.length * seq * width);
    for (let b = 0; b < lengths.length; b++) {
      const n = lengths[b]!;
      for (let t = 0; t < n; t++) {
        const base = (b * seq + t) * width;
        for (let j = 0; j < width; j++) dx[base + j] = dy[b * width + j]! / n;
      }
    }
    return dx;
  }
}
