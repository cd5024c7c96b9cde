// Matrix products for the training engine: row-major C = α·op(A)·op(B) + β·C on OpenBLAS through the
// native addon, or in TypeScript where the addon or OpenBLAS is missing (correct, slow: for tests and
// small models). Every layer's forward and backward pass goes through `gemm`.

import { loadNativeBlas } from '../runtime/index.js';

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  a: Float32Array;
  lda: number;
  b: Float32Array;
  ldb: number;
  /** 0 overwrites C, 1 accumulates into it (gradients). */
  beta?: number;
  c: Float32Array;
  ldc: number;
}

const blas = loadNativeBlas();

/** Which path runs `gemm` here: 'openblas' or 'typescript'. */
export const gemmBackend: 'openblas' | 'typescript' = blas ? 'openblas' : 'typescript';

export function gemm(g: GemmArgs): void {
  const alpha = g.alpha ?? 1;
  const beta = g.beta ?? 0;
  if (g.m === 0 || g.n === 0) return;
  if (blas) {
    if (g.k === 0) {
      scaleC(g, beta);
      return;
    }
    blas.sgemm(g.transA, g.transB, g.m, g.n, g.k, alpha, g.a, g.lda, g.b, g.ldb, beta, g.c, g.ldc);
    return;
  }
  gemmTypeScript(g, alpha, beta);
}

function scaleC(g: GemmArgs, beta: number): void {
  for (let i = 0; i < g.m; i++)
    for (let j = 0; j < g.n; j++) g.c[i * g.ldc + j] = beta === 0 ? 0 : beta * g.c[i * g.ldc + j]!;
}

function gemmTypeScript(g: GemmArgs, alpha: number, beta: number): void {
  const { m, n, k, a, b, c, lda, ldb, ldc } = g;
  // Strides of op(A)[i, p] and op(B)[p, j] in the stored arrays.
  const aI = g.transA ? 1 : lda;
  const aP = g.transA ? lda : 1;
  const bP = g.transB ? 1 : ldb;
  const bJ = g.transB ? ldb : 1;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * aI + p * aP]!;
      if (av === 0) continue;
      const bBase = p * bP;
      for (let j = 0; j < n; j++) row[j]! += av * b[bBase + j * bJ]!;
    }
    const cBase = i * ldc;
    for (let j = 0; j < n; j++) {
      const prior = beta === 0 ? 0 : beta * c[cBase + j]!;
      c[cBase + j] = alpha * row[j]! + prior;
    }
  }
}

/** One product of a batch: C[cOffset…] = α·op(A[aOffset…])·op(B[bOffset…]) + β·C, with its own shape. */
export interface BatchItem {
  m: number;
  n: number;
  k: number;
  aOffset: number;
  lda: number;
  bOffset: number;
  ldb: number;
  cOffset: number;
  ldc: number;
}

/**
 * Many small products sharing operands and transposes (attention's per-row, per-head products). Natively
 * each runs single-threaded and the items are spread over threads: one synchronisation per batch instead
 * of OpenBLAS's per call.
 */
export function gemmBatch(
  transA: boolean,
  transB: boolean,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  items: readonly BatchItem[],
  alpha = 1,
  beta = 0,
): void {
  if (blas) {
    const packed = new Int32Array(items.length * 9);
    items.forEach((it, i) => {
      packed.set([it.m, it.n, it.k, it.aOffset, it.lda, it.bOffset, it.ldb, it.cOffset, it.ldc], i * 9);
    });
    blas.gemmBatch(transA, transB, alpha, beta, a, b, c, packed);
    return;
  }
  for (const it of items)
    gemmTypeScript(
      {
        transA,
        transB,
        m: it.m,
        n: it.n,
        k: it.k,
        a: a.subarray(it.aOffset),
        lda: it.lda,
        b: b.subarray(it.bOffset),
        ldb: it.ldb,
        c: c.subarray(it.cOffset),
        ldc: it.ldc,
      },
      alpha,
      beta,
    );
}
