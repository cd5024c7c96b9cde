// Scaled dot-product self-attention over heads with a key padding mask, the core of BERT's
// BertSelfAttention: per batch row b and head h, P = softmax(Q·Kᵀ/√d) over the row's real keys, ctx = P·V.
//
// Inputs are [batch, seq, heads·d] (the query/key/value projections' outputs, heads side by side), so each
// head's matrices are strided views and go to gemm without copies. Padding is on the right: a row of length
// L attends to keys 0..L−1 only, which equals Hugging Face's additive mask of float32's minimum (exp of it
// is exactly 0) and skips the padded keys' work. Padded query positions are still computed, as in HF.

import { loadNativeBlas } from '../runtime/native-blas.js';
import type { Dropout } from './dropout.js';
import { gemm } from './gemm.js';

const native = loadNativeBlas();

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  /** Real tokens of each batch row (right padding). */
  lengths: Int32Array;
}

export class SelfAttention {
  private saved:
    | {
        q: Float32Array;
        k: Float32Array;
        v: Float32Array;
        probs: Float32Array[];
        masks: (Float32Array | undefined)[];
      }
    | undefined;
  private shape: AttentionShape | undefined;

  constructor(private readonly dropout?: Dropout) {}

  forward(q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape): Float32Array {
    const { batch, seq, heads, headDim: d, lengths } = shape;
    const width = heads * d;
    const scale = 1 / Math.sqrt(d);
    const ctx = new Float32Array(batch * seq * width);
    const probs: Float32Array[] = [];
    const masks: (Float32Array | undefined)[] = [];
    for (let b = 0; b < batch; b++) {
      const keys = lengths[b]!;
      for (let h = 0; h < heads; h++) {
        const off = b * seq * width + h * d;
        const p = new Float32Array(seq * keys);
        gemm({
          transA: false,
          transB: true,
          m: seq,
          n: keys,
          k: d,
          alpha: scale,
          a: q.subarray(off),
          lda: width,
          b: k.subarray(off),
          ldb: width,
          c: p,
          ldc: keys,
        });
        softmaxRows(p, seq, keys);
        const used = this.dropout ? this.dropout.forward(p) : p;
        probs.push(p);
        masks.push(this.dropout?.takeMask());
        gemm({
          transA: false,
          transB: false,
          m: seq,
          n: d,
          k: keys,
          a: used,
          lda: keys,
          b: v.subarray(off),
          ldb: width,
          c: ctx.subarray(off),
          ldc: width,
        });
      }
    }
    this.saved = { q, k, v, probs, masks };
    this.shape = shape;
    return ctx;
  }

  /** dctx → [dq, dk, dv], all [batch, seq, heads·d]. */
  backward(dctx: Float32Array): [Float32Array, Float32Array, Float32Array] {
    const saved = this.saved;
    const shape = this.shape;
    if (!saved || !shape) throw new Error('SelfAttention.backward before forward');
    const { batch, seq, heads, headDim: d, lengths } = shape;
    const width = heads * d;
    const scale = 1 / Math.sqrt(d);
    const dq = new Float32Array(dctx.length);
    const dk = new Float32Array(dctx.length);
    const dv = new Float32Array(dctx.length);
    let index = 0;
    for (let b = 0; b < batch; b++) {
      const keys = lengths[b]!;
      for (let h = 0; h < heads; h++) {
        const off = b * seq * width + h * d;
        const p = saved.probs[index]!;
        const mask = saved.masks[index++];
        const used = mask ? p.map((x, i) => x * mask[i]!) : p;
        const dout = dctx.subarray(off);
        // dV = Pᵀ·dctx (P after dropout, as used).
        gemm({
          transA: true,
          transB: false,
          m: keys,
          n: d,
          k: seq,
          a: used,
          lda: keys,
          b: dout,
          ldb: width,
          c: dv.subarray(off),
          ldc: width,
        });
        // dP = dctx·Vᵀ, then back through dropout and softmax: dS = P ⊙ (dP − Σ_j dP·P).
        const dp = new Float32Array(seq * keys);
        gemm({
          transA: false,
          transB: true,
          m: seq,
          n: keys,
          k: d,
          a: dout,
          lda: width,
          b: saved.v.subarray(off),
          ldb: width,
          c: dp,
          ldc: keys,
        });
        if (mask) for (let i = 0; i < dp.length; i++) dp[i]! *= mask[i]!;
        if (native) native.softmaxBackwardRows(p, dp, seq, keys);
        else
          for (let r = 0; r < seq; r++) {
            const base = r * keys;
            let dot = 0;
            for (let j = 0; j < keys; j++) dot += dp[base + j]! * p[base + j]!;
            for (let j = 0; j < keys; j++) dp[base + j] = p[base + j]! * (dp[base + j]! - dot);
          }
        // dQ = dS·K·scale, dK = dSᵀ·Q·scale.
        gemm({
          transA: false,
          transB: false,
          m: seq,
          n: d,
          k: keys,
          alpha: scale,
          a: dp,
          lda: keys,
          b: saved.k.subarray(off),
          ldb: width,
          c: dq.subarray(off),
          ldc: width,
        });
        gemm({
          transA: true,
          transB: false,
          m: keys,
          n: d,
          k: seq,
          alpha: scale,
          a: dp,
          lda: keys,
          b: saved.q.subarray(off),
          ldb: width,
          c: dk.subarray(off),
          ldc: width,
        });
      }
    }
    this.saved = undefined;
    this.shape = undefined;
    return [dq, dk, dv];
  }
}

/** Numerically stable softmax of each row of a [rows, cols] matrix, in place. */
export function softmaxRows(x: Float32Array, rows: number, cols: number): void {
  if (native) {
    native.softmaxRows(x, rows, cols);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[base + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[base + j]! - max);
      x[base + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) x[base + j]! *= inv;
  }
}
