// Output heads on top of the encoder's hidden states: the cross-encoder's pair classifier (BERT's pooler,
// tanh(W·h_CLS + b), then a linear classifier, as HF BertForSequenceClassification and sentence-transformers'
// CrossEncoder), and masked mean pooling for bi-encoders (sentence-transformers' Pooling, mean mode).

import { Tanh } from './activations.js';
import type { Dropout } from './dropout.js';
import type { Linear } from './linear.js';
import type { Module, Parameter } from './parameter.js';

export class ClassifierHead implements Module {
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
  forward(hidden: Float32Array, batch: number, seq: number): Float32Array {
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
