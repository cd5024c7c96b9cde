// One pre-norm decoder block of the Llama family (LlamaDecoderLayer; Qwen2's is the same with biases on
// the query, key and value projections): RMSNorm → rotary causal GQA attention → residual, then
// RMSNorm → SwiGLU MLP → residual; forward and backward.

import { SwiGlu } from './activations.js';
import { addInPlace } from './bert-layer.js';
import { CausalSelfAttention } from './causal-attention.js';
import type { Linear } from './linear.js';
import type { Module, Parameter } from './parameter.js';
import type { RmsNorm } from './rms-norm.js';
import type { Rotary } from './rotary.js';

export interface DecoderLayerParts {
  inputNorm: RmsNorm;
  query: Linear;
  key: Linear;
  value: Linear;
  output: Linear;
  postAttentionNorm: RmsNorm;
  gate: Linear;
  up: Linear;
  down: Linear;
  heads: number;
  kvHeads: number;
  rotary: Rotary;
}

export class DecoderLayer implements Module {
  private readonly attention = new CausalSelfAttention();
  private readonly swiglu = new SwiGlu();
  private seq = 0;

  constructor(readonly parts: DecoderLayerParts) {}

  parameters(): Parameter[] {
    const p = this.parts;
    return [
      p.inputNorm,
      p.query,
      p.key,
      p.value,
      p.output,
      p.postAttentionNorm,
      p.gate,
      p.up,
      p.down,
    ].flatMap((m) => m.parameters());
  }

  /** x: [batch·seq, hidden]. */
  forward(x: Float32Array, batch: number, seq: number, lengths: Int32Array): Float32Array {
    const p = this.parts;
    const rows = batch * seq;
    this.seq = seq;
    const { heads, kvHeads, rotary } = p;
    const n1 = p.inputNorm.forward(x, rows);
    const q = rotary.forward(p.query.forward(n1, rows), seq, heads);
    const k = rotary.forward(p.key.forward(n1, rows), seq, kvHeads);
    const v = p.value.forward(n1, rows);
    const ctx = this.attention.forward(q, k, v, {
      batch,
      seq,
      heads,
      kvHeads,
      headDim: rotary.headDim,
      lengths,
    });
    const h = p.output.forward(ctx, rows);
    addInPlace(h, x);
    const n2 = p.postAttentionNorm.forward(h, rows);
    const y = p.down.forward(this.swiglu.forward(p.gate.forward(n2, rows), p.up.forward(n2, rows)), rows);
    addInPlace(y, h);
    return y;
  }

  backward(dy: Float32Array): Float32Array {
    const p = this.parts;
    const seq = this.seq;
    const [dGate, dUp] = this.swiglu.backward(p.down.backward(dy));
    const dn2 = p.gate.backward(dGate);
    addInPlace(dn2, p.up.backward(dUp));
    const dh = p.postAttentionNorm.backward(dn2);
    addInPlace(dh, dy);
    const [dq, dk, dv] = this.attention.backward(p.output.backward(dh));
    const dn1 = p.query.backward(p.rotary.backward(dq, seq, p.heads));
    addInPlace(dn1, p.key.backward(p.rotary.backward(dk, seq, p.kvHeads)));
    addInPlace(dn1, p.value.backward(dv));
    const dx = p.inputNorm.backward(dn1);
    addInPlace(dx, dh);
    return dx;
  }
}
