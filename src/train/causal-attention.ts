// Causal self-attention with grouped-query heads (GQA), the attention of Llama and Qwen2 blocks: query head
// h reads key/value group ⌊h / (heads / kvHeads)⌋, and position i attends keys 0..i of its own row. Rows
// are right-padded: a row of length L attends keys 0..min(i, L − 1), which equals Hugging Face's causal
// mask combined with the padding mask for every real position (padded positions are computed and
// ignored, as there). Masked entries of P are exactly 0, so softmax's backward pass needs no mask.
//
// Inputs: q [batch, seq, heads·d], k and v [batch, seq, kvHeads·d], the projections' outputs as they are.
// Each head's matrices are strided views handed to `gemmBatch`; the key and value gradients are taken per
// query head and then summed into their group (batched products run in parallel, so two heads must not
// accumulate into one block).

import { softmaxBackwardRows } from './attention.js';
import { type BatchItem, gemmBatch } from './gemm.js';

export interface CausalAttentionShape {
  batch: number;
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Real tokens of each batch row (right padding). */
  lengths: Int32Array;
}

interface Block {
  /** Offset of the query head in [batch, seq, heads·d]. */
  q: number;
  /** Offset of its key/value group in [batch, seq, kvHeads·d]. */
  kv: number;
  keys: number;
  /** Offset of its seq × keys block of probabilities. */
  p: number;
}

interface Saved {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  probs: Float32Array;
  shape: CausalAttentionShape;
  blocks: Block[];
}

export class CausalSelfAttention {
  private saved: Saved | undefined;

  forward(q: Float32Array, k: Float32Array, v: Float32Array, shape: CausalAttentionShape): Float32Array {
    const { batch, seq, heads, kvHeads, headDim: d } = shape;
    if (heads % kvHeads !== 0) throw new RangeError(`${heads} heads do not split into ${kvHeads} groups`);
    const qWidth = heads * d;
    const kvWidth = kvHeads * d;
    const blocks = blocksOf(shape);
    const probs = new Float32Array(blocks.reduce((n, b) => n + seq * b.keys, 0));
    // S = Q·Kᵀ/√d, one seq × L block per (row, head).
    gemmBatch(false, true, q, k, probs, queriesTimesKeys(blocks, seq, d, qWidth, kvWidth), 1 / Math.sqrt(d));
    for (const b of blocks) causalSoftmax(probs, b.p, seq, b.keys);
    const ctx = new Float32Array(batch * seq * qWidth);
    // ctx = P·V.
    gemmBatch(
      false,
      false,
      probs,
      v,
      ctx,
      blocks.map(
        (b): BatchItem => ({
          m: seq,
          n: d,
          k: b.keys,
          aOffset: b.p,
          lda: b.keys,
          bOffset: b.kv,
          ldb: kvWidth,
          cOffset: b.q,
          ldc: qWidth,
        }),
      ),
    );
    this.saved = { q, k, v, probs, shape, blocks };
    return ctx;
  }

  /** dctx [batch, seq, heads·d] → [dq, dk, dv] in the inputs' shapes. */
  backward(dctx: Float32Array): [Float32Array, Float32Array, Float32Array] {
    const saved = this.saved;
    if (!saved) throw new Error('CausalSelfAttention.backward before forward');
    const { q, k, v, probs, shape, blocks } = saved;
    const { batch, seq, heads, kvHeads, headDim: d } = shape;
    const qWidth = heads * d;
    const kvWidth = kvHeads * d;
    const scale = 1 / Math.sqrt(d);
    // Per query head, in the queries' layout; summed into groups at the end.
    const dkHeads = new Float32Array(dctx.length);
    const dvHeads = new Float32Array(dctx.length);
    const dp = new Float32Array(probs.length);
    const items = (f: (b: Block) => BatchItem) => blocks.map(f);
    // dV = Pᵀ·dctx and dK = dSᵀ·Q·scale: per block, a [keys × seq] matrix's transpose times a query-shaped one.
    const transposedTimesQueries = items((b) => ({
      m: b.keys,
      n: d,
      k: seq,
      aOffset: b.p,
      lda: b.keys,
      bOffset: b.q,
      ldb: qWidth,
      cOffset: b.q,
      ldc: qWidth,
    }));
    // dV = Pᵀ·dctx; dP = dctx·Vᵀ.
    gemmBatch(true, false, probs, dctx, dvHeads, transposedTimesQueries);
    gemmBatch(false, true, dctx, v, dp, queriesTimesKeys(blocks, seq, d, qWidth, kvWidth));
    for (const b of blocks) softmaxBackwardRows(probs.subarray(b.p), dp.subarray(b.p), seq, b.keys);
    const dq = new Float32Array(q.length);
    // dQ = dS·K·scale; dK = dSᵀ·Q·scale.
    gemmBatch(
      false,
      false,
      dp,
      k,
      dq,
      items((b) => ({
        m: seq,
        n: d,
        k: b.keys,
        aOffset: b.p,
        lda: b.keys,
        bOffset: b.kv,
        ldb: kvWidth,
        cOffset: b.q,
        ldc: qWidth,
      })),
      scale,
    );
    gemmBatch(true, false, dp, q, dkHeads, transposedTimesQueries, scale);
    this.saved = undefined;
    const group = heads / kvHeads;
    const rows = batch * seq;
    const dk = new Float32Array(k.length);
    const dv = new Float32Array(v.length);
    for (let r = 0; r < rows; r++)
      for (let h = 0; h < heads; h++) {
        const from = r * qWidth + h * d;
        const to = r * kvWidth + Math.floor(h / group) * d;
        for (let j = 0; j < d; j++) {
          dk[to + j]! += dkHeads[from + j]!;
          dv[to + j]! += dvHeads[from + j]!;
        }
      }
    return [dq, dk, dv];
  }
}

function blocksOf(shape: CausalAttentionShape): Block[] {
  const { batch, seq, heads, kvHeads, headDim: d, lengths } = shape;
  const group = heads / kvHeads;
  const blocks: Block[] = [];
  let p = 0;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const keys = lengths[b]!;
      blocks.push({
        q: b * seq * heads * d + h * d,
        kv: b * seq * kvHeads * d + Math.floor(h / group) * d,
        keys,
        p,
      });
      p += seq * keys;
    }
  return blocks;
}

/** Softmax of each row i of a seq × keys block over keys 0..min(i, keys − 1); the rest set to 0. */
function causalSoftmax(x: Float32Array, offset: number, seq: number, keys: number): void {
  for (let i = 0; i < seq; i++) {
    const base = offset + i * keys;
    const last = Math.min(i, keys - 1);
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j <= last; j++) max = Math.max(max, x[base + j]!);
    let sum = 0;
    for (let j = 0; j <= last; j++) {
      const e = Math.exp(x[base + j]! - max);
      x[base + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j <= last; j++) x[base + j]! *= inv;
    for (let j = last + 1; j < keys; j++) x[base + j] = 0;
  }
}

/**
 * Per block, a query-shaped [seq × d] matrix times a key/value group's transpose into the block's
 * [seq × keys] scores: S = Q·Kᵀ forward, dP = dctx·Vᵀ backward.
 */
function queriesTimesKeys(
  blocks: readonly Block[],
  seq: number,
  d: number,
  qWidth: number,
  kvWidth: number,
): BatchItem[] {
  return blocks.map((b) => ({
    m: seq,
    n: b.keys,
    k: d,
    aOffset: b.q,
    lda: qWidth,
    bOffset: b.kv,
    ldb: kvWidth,
    cOffset: b.p,
    ldc: b.keys,
  }));
}
