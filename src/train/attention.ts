// Scaled dot-product self-attention over heads with a key padding mask, the core of BERT's
// BertSelfAttention: per batch row b and head h, P = softmax(Q·Kᵀ/√d) over the row's real keys, ctx = P·V.
//
// Inputs are [batch, seq, heads·d] (the query/key/value projections' outputs, heads side by side), so each
// head's matrices are strided views and go to gemm without copies; all (row, head) products of one step go
// in one `gemmBatch` call. Padding is on the right: a row of length L attends to keys 0..L−1 only, which
// equals Hugging Face's additive mask of float32's minimum (exp of it is exactly 0) and skips the padded
// keys' work. Padded query positions are still computed, as in HF. The probabilities of every (row, head)
// live in one buffer: block (b, h) is seq × L_b at offset probOffset(b, h).

import { loadNativeBlas } from '../runtime/index.js';
import type { Dropout } from './dropout.js';
import { type BatchItem, gemmBatch } from './gemm.js';

const native = loadNativeBlas();

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  /** Real tokens of each batch row (right padding). */
  lengths: Int32Array;
}

interface Saved {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  probs: Float32Array;
  /** Dropout's mask over `probs` (undefined when nothing was dropped). */
  mask: Float32Array | undefined;
  shape: AttentionShape;
  /** Offset of block (b, h) in `probs`, at index b·heads + h. */
  offsets: number[];
}

export class SelfAttention {
  private saved: Saved | undefined;

  constructor(private readonly dropout?: Dropout) {}

  forward(q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape): Float32Array {
    const { batch, seq, heads, headDim: d, lengths } = shape;
    const width = heads * d;
    const offsets: number[] = [];
    let total = 0;
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < heads; h++) {
        offsets.push(total);
        total += seq * lengths[b]!;
      }
    const probs = new Float32Array(total);
    const ctx = new Float32Array(batch * seq * width);
    const blocks = this.blocks(shape, offsets);
    // S = Q·Kᵀ/√d, one seq × L_b block per (row, head).
    gemmBatch(
      false,
      true,
      q,
      k,
      probs,
      blocks.map(({ off, keys, p }) => ({
        m: seq,
        n: keys,
        k: d,
        aOffset: off,
        lda: width,
        bOffset: off,
        ldb: width,
        cOffset: p,
        ldc: keys,
      })),
      1 / Math.sqrt(d),
    );
    for (let b = 0; b < batch; b++)
      softmaxRows(probs.subarray(offsets[b * heads]!), heads * seq, lengths[b]!);
    const used = this.dropout ? this.dropout.forward(probs) : probs;
    const mask = this.dropout?.takeMask();
    // ctx = P·V.
    gemmBatch(
      false,
      false,
      used,
      v,
      ctx,
      blocks.map(({ off, keys, p }) => ({
        m: seq,
        n: d,
        k: keys,
        aOffset: p,
        lda: keys,
        bOffset: off,
        ldb: width,
        cOffset: off,
        ldc: width,
      })),
    );
    this.saved = { q, k, v, probs, mask, shape, offsets };
    return ctx;
  }

  /** dctx → [dq, dk, dv], all [batch, seq, heads·d]. */
  backward(dctx: Float32Array): [Float32Array, Float32Array, Float32Array] {
    const saved = this.saved;
    if (!saved) throw new Error('SelfAttention.backward before forward');
    const { q, k, v, probs, mask, shape, offsets } = saved;
    const { batch, seq, heads, headDim: d, lengths } = shape;
    const width = heads * d;
    const scale = 1 / Math.sqrt(d);
    const dq = new Float32Array(dctx.length);
    const dk = new Float32Array(dctx.length);
    const dv = new Float32Array(dctx.length);
    const blocks = this.blocks(shape, offsets);
    const used = mask ? probs.map((x, i) => x * mask[i]!) : probs;
    const dp = new Float32Array(probs.length);
    const each = (f: (x: { off: number; keys: number; p: number }) => BatchItem) => blocks.map(f);
    // dV = Pᵀ·dctx (P after dropout, as used); dP = dctx·Vᵀ.
    gemmBatch(
      true,
      false,
      used,
      dctx,
      dv,
      each(({ off, keys, p }) => ({
        m: keys,
        n: d,
        k: seq,
        aOffset: p,
        lda: keys,
        bOffset: off,
        ldb: width,
        cOffset: off,
        ldc: width,
      })),
    );
    gemmBatch(
      false,
      true,
      dctx,
      v,
      dp,
      each(({ off, keys, p }) => ({
        m: seq,
        n: keys,
        k: d,
        aOffset: off,
        lda: width,
        bOffset: off,
        ldb: width,
        cOffset: p,
        ldc: keys,
      })),
    );
    // Back through dropout and softmax: dS = P ⊙ (dP − Σ_j dP·P).
    if (mask) for (let i = 0; i < dp.length; i++) dp[i]! *= mask[i]!;
    for (let b = 0; b < batch; b++) {
      const start = offsets[b * heads]!;
      softmaxBackwardRows(probs.subarray(start), dp.subarray(start), heads * seq, lengths[b]!);
    }
    // dQ = dS·K·scale, dK = dSᵀ·Q·scale.
    gemmBatch(
      false,
      false,
      dp,
      k,
      dq,
      each(({ off, keys, p }) => ({
        m: seq,
        n: d,
        k: keys,
        aOffset: p,
        lda: keys,
        bOffset: off,
        ldb: width,
        cOffset: off,
        ldc: width,
      })),
      scale,
    );
    gemmBatch(
      true,
      false,
      dp,
      q,
      dk,
      each(({ off, keys, p }) => ({
        m: keys,
        n: d,
        k: seq,
        aOffset: p,
        lda: keys,
        bOffset: off,
        ldb: width,
        cOffset: off,
        ldc: width,
      })),
      scale,
    );
    this.saved = undefined;
    return [dq, dk, dv];
  }

  /** For each (row, head): the head's offset in [batch, seq, width], the row's key count, its block in probs. */
  private blocks(
    shape: AttentionShape,
    offsets: readonly number[],
  ): { off: number; keys: number; p: number }[] {
    const { batch, seq, heads, headDim: d, lengths } = shape;
    const out: { off: number; keys: number; p: number }[] = [];
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < heads; h++)
        out.push({ off: b * seq * heads * d + h * d, keys: lengths[b]!, p: offsets[b * heads + h]! });
    return out;
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

/** dp ← p ⊙ (dp − Σ_j dp·p) for each row, in place (softmax's backward pass). */
export function softmaxBackwardRows(p: Float32Array, dp: Float32Array, rows: number, cols: number): void {
  if (native) {
    native.softmaxBackwardRows(p, dp, rows, cols);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dp[base + j]! * p[base + j]!;
    for (let j = 0; j < cols; j++) dp[base + j] = p[base + j]! * (dp[base + j]! - dot);
  }
}
