// One post-LN transformer block of BERT (BertLayer): self-attention, output projection, residual +
// LayerNorm, then the GELU MLP, residual + LayerNorm; forward and backward.

import { Gelu } from './activations.js';
import { SelfAttention } from './attention.js';
import type { Dropout } from './dropout.js';
import type { LayerNorm } from './layer-norm.js';
import type { Linear } from './linear.js';
import type { Module, Parameter } from './parameter.js';

export interface BertLayerParts {
  query: Linear;
  key: Linear;
  value: Linear;
  attentionOutput: Linear;
  attentionNorm: LayerNorm;
  intermediate: Linear;
  output: Linear;
  outputNorm: LayerNorm;
  /** Per-layer head count (pruned layers may have fewer); head_dim is query width / heads. */
  heads: number;
  /** Dropout sites of HF's BertLayer: attention probabilities, and after each of the two output projections. */
  dropouts?: { attention: Dropout; attentionOutput: Dropout; output: Dropout };
}

export class BertLayer implements Module {
  private readonly attention: SelfAttention;
  private readonly gelu = new Gelu();
  private rows = 0;

  constructor(readonly parts: BertLayerParts) {
    this.attention = new SelfAttention(parts.dropouts?.attention);
  }

  parameters(): Parameter[] {
    const p = this.parts;
    return [
      p.query,
      p.key,
      p.value,
      p.attentionOutput,
      p.attentionNorm,
      p.intermediate,
      p.output,
      p.outputNorm,
    ].flatMap((m) => m.parameters());
  }

  /** x: [batch·seq, hidden]. */
  forward(x: Float32Array, batch: number, seq: number, lengths: Int32Array): Float32Array {
    const p = this.parts;
    const rows = batch * seq;
    this.rows = rows;
    const q = p.query.forward(x, rows);
    const k = p.key.forward(x, rows);
    const v = p.value.forward(x, rows);
    const headDim = p.query.outFeatures / p.heads;
    const ctx = this.attention.forward(q, k, v, { batch, seq, heads: p.heads, headDim, lengths });
    let a = p.attentionOutput.forward(ctx, rows);
    if (p.dropouts) a = p.dropouts.attentionOutput.forward(a);
    addInPlace(a, x);
    const h1 = p.attentionNorm.forward(a, rows);
    const inner = this.gelu.forward(p.intermediate.forward(h1, rows));
    let o = p.output.forward(inner, rows);
    if (p.dropouts) o = p.dropouts.output.forward(o);
    addInPlace(o, h1);
    return p.outputNorm.forward(o, rows);
  }

  backward(dy: Float32Array): Float32Array {
    const p = this.parts;
    const dSum2 = p.outputNorm.backward(dy);
    const dOut = p.dropouts ? p.dropouts.output.backward(dSum2) : dSum2;
    const dInner = this.gelu.backward(p.output.backward(dOut));
    const dh1 = p.intermediate.backward(dInner);
    addInPlace(dh1, dSum2);
    const dSum1 = p.attentionNorm.backward(dh1);
    const dAttn = p.dropouts ? p.dropouts.attentionOutput.backward(dSum1) : dSum1;
    const [dq, dk, dv] = this.attention.backward(p.attentionOutput.backward(dAttn));
    const dx = p.query.backward(dq);
    addInPlace(dx, p.key.backward(dk));
    addInPlace(dx, p.value.backward(dv));
    addInPlace(dx, dSum1);
    if (dx.length !== this.rows * p.query.inFeatures) throw new Error('BertLayer: shape mismatch');
    return dx;
  }
}

/** a += b, element-wise. */
export function addInPlace(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
}
