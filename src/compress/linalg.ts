// Dense float64 linear algebra for pruning: Cholesky factorisation, inverses and solves of symmetric
// positive-definite matrices, and the few products OSSCAR needs. Row-major, n × n in a Float64Array.
// Sizes here are a layer's input width (≤ a few thousand), so O(n³) in TypeScript takes seconds; float64
// because the Woodbury downdates subtract nearly equal numbers many times over.

import { SiftError } from '../errors.js';

/** In place: A = L·Lᵀ, L in the lower triangle (the upper triangle is left as it was). */
export function choleskyInPlace(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(d > 0)) {
      throw new SiftError(
        'E_PRUNE',
        `matrix is not positive definite at pivot ${j} of ${n} (${d}); use more calibration data or more damping`,
        { field: 'damping' },
      );
    }
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

/** The inverse of a symmetric positive-definite matrix (a new array; `a` is not changed). */
export function spdInverse(a: Float64Array, n: number): Float64Array {
  const l = a.slice();
  choleskyInPlace(l, n);
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

/** X = A⁻¹·B for symmetric positive-definite A (n × n) and B (n × m); a new array. */
export function spdSolve(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const l = a.slice();
  choleskyInPlace(l, n);
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

/** C = A·B for A (n × k) and B (k × m); a new array. */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const rowC = i * m;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const rowB = p * m;
      for (let j = 0; j < m; j++) c[rowC + j]! += aip * b[rowB + j]!;
    }
  }
  return c;
}

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
