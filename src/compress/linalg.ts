// Dense float64 linear algebra for pruning: Cholesky factorisation, inverses and solves of symmetric
// positive-definite matrices, and the products OSSCAR needs. Row-major, n × n in a Float64Array. Float64
// because the Woodbury downdates subtract nearly equal numbers many times over. Sizes are a layer's input
// width (1,536 for SmolLM2's MLP, 3,072 for BERT-base's), so the O(n³) work runs on OpenBLAS and LAPACK
// through the BLAS addon (24-40x the TypeScript per layer: bench/osscar-linalg.ts); where the addon or its
// double-precision symbols are missing, the portable TypeScript below gives the same results, slowly.

import { SiftError } from '../errors.js';
import { loadNativeBlas } from '../runtime/index.js';

const native = loadNativeBlas()?.double;

/** Which implementation runs: the machine's LAPACK and BLAS, or portable TypeScript. */
export function linalgBackend(): 'openblas' | 'typescript' {
  return native ? 'openblas' : 'typescript';
}

/** C = α·op(A)·op(B) + β·C, row-major, op(X) = Xᵀ when `trans` (train/gemm.ts's contract in float64). */
export interface Gemm64 {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: Float64Array;
  lda: number;
  b: Float64Array;
  ldb: number;
  beta: number;
  c: Float64Array;
  ldc: number;
}

export function gemm64(g: Gemm64): void {
  if (native) {
    native.dgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc);
    return;
  }
  portable.gemm64(g);
}

/** In place: A = L·Lᵀ, L in the lower triangle (the upper triangle is left as it was). */
export function choleskyInPlace(a: Float64Array, n: number): void {
  if (!native) {
    portable.cholesky(a, n);
    return;
  }
  const minor = native.cholesky(a, n);
  if (minor !== 0) throw notPositiveDefinite(minor - 1, n);
}

/** The inverse of a symmetric positive-definite matrix (a new array; `a` is not changed). */
export function spdInverse(a: Float64Array, n: number): Float64Array {
  if (!native) return portable.spdInverse(a, n);
  const l = a.slice();
  choleskyInPlace(l, n);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  native.lowerSolve(l, n, inv, n, false);
  native.lowerSolve(l, n, inv, n, true);
  // Exactly symmetric, as the Woodbury downdates assume (Hinv[R,:] read for Hinv[:,R]ᵀ).
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (inv[i * n + j]! + inv[j * n + i]!);
      inv[i * n + j] = v;
      inv[j * n + i] = v;
    }
  }
  return inv;
}

/** X = A⁻¹·B for symmetric positive-definite A (n × n) and B (n × m); a new array. */
export function spdSolve(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  if (!native) return portable.spdSolve(a, n, b, m);
  const l = a.slice();
  choleskyInPlace(l, n);
  const x = b.slice();
  native.lowerSolve(l, n, x, m, false);
  native.lowerSolve(l, n, x, m, true);
  return x;
}

/** C = A·B for A (n × k) and B (k × m); a new array. */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  gemm64({ transA: false, transB: false, m: n, n: m, k, alpha: 1, a, lda: k, b, ldb: m, beta: 0, c, ldc: m });
  return c;
}

function notPositiveDefinite(pivot: number, n: number, value?: number): SiftError {
  return new SiftError(
    'E_PRUNE',
    `matrix is not positive definite at pivot ${pivot} of ${n}${value === undefined ? '' : ` (${value})`}; use more calibration data or more damping`,
    { field: 'damping' },
  );
}

function portableCholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(d > 0)) throw notPositiveDefinite(j, n, d);
    const ljj = Math.sqrt(d);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / ljj;
    }
  }
}

function portableSpdInverse(a: Float64Array, n: number): Float64Array {
  const l = a.slice();
  portableCholesky(l, n);
  // inv(L) in place of a lower-triangular buffer, then inv(A) = inv(L)ᵀ·inv(L).
  const li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    li[i * n + i] = 1 / l[i * n + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = -s / l[i * n + i]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      // (Lᵀ⁻¹ L⁻¹)_ij = Σ_k li[k][i]·li[k][j] over k ≥ max(i, j) = i.
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

function portableSpdSolve(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const l = a.slice();
  portableCholesky(l, n);
  const x = b.slice();
  // Forward: L·Y = B.
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k]!;
      if (lik === 0) continue;
      const rowK = k * m;
      for (let c = 0; c < m; c++) x[row + c]! -= lik * x[rowK + c]!;
    }
    const d = l[i * n + i]!;
    for (let c = 0; c < m; c++) x[row + c]! /= d;
  }
  // Backward: Lᵀ·X = Y.
  for (let i = n - 1; i >= 0; i--) {
    const row = i * m;
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i]!;
      if (lki === 0) continue;
      const rowK = k * m;
      for (let c = 0; c < m; c++) x[row + c]! -= lki * x[rowK + c]!;
    }
    const d = l[i * n + i]!;
    for (let c = 0; c < m; c++) x[row + c]! /= d;
  }
  return x;
}

function portableGemm64(g: Gemm64): void {
  const { m, n, k, alpha, a, lda, b, ldb, beta, c, ldc } = g;
  // β = 0 sets C to zero whatever it held, as BLAS does.
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) c[i * ldc + j] = beta === 0 ? 0 : beta * c[i * ldc + j]!;
  for (let i = 0; i < m; i++) {
    const rowC = i * ldc;
    for (let p = 0; p < k; p++) {
      const aip = alpha * (g.transA ? a[p * lda + i]! : a[i * lda + p]!);
      if (aip === 0) continue;
      if (g.transB) for (let j = 0; j < n; j++) c[rowC + j]! += aip * b[j * ldb + p]!;
      else {
        const rowB = p * ldb;
        for (let j = 0; j < n; j++) c[rowC + j]! += aip * b[rowB + j]!;
      }
    }
  }
}

/** The TypeScript implementations, exported for the parity test against the native ones. */
export const portable = {
  gemm64: portableGemm64,
  cholesky: portableCholesky,
  spdInverse: portableSpdInverse,
  spdSolve: portableSpdSolve,
};

/** The rows `rows` and columns `cols` of an n-column matrix, as a new |rows| × |cols| matrix. */
export function submatrix(
  a: Float64Array,
  n: number,
  rows: readonly number[],
  cols: readonly number[],
): Float64Array {
  const out = new Float64Array(rows.length * cols.length);
  rows.forEach((r, i) => {
    const base = r * n;
    const outRow = i * cols.length;
    cols.forEach((c, j) => {
      out[outRow + j] = a[base + c]!;
    });
  });
  return out;
}

/** The rows `rows` of an m-column matrix, as a new |rows| × m matrix. */
export function rowsOf(a: Float64Array, m: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * m);
  rows.forEach((r, i) => {
    out.set(a.subarray(r * m, (r + 1) * m), i * m);
  });
  return out;
}
