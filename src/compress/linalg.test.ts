import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SiftError } from '../errors.js';
import { Mulberry32 } from '../util/index.js';
import { gemm64, linalgBackend, portable, spdInverse, spdSolve } from './linalg.js';

// The native path (OpenBLAS's dgemm and dtrsm, LAPACK's dpotrf) against the portable TypeScript. CI installs
// OpenBLAS and sets SIFT_REQUIRE_MODELS, so there a missing native path fails instead of skipping.
const nativeMissing =
  linalgBackend() === 'openblas'
    ? false
    : 'the BLAS addon has no double-precision path here (no OpenBLAS?), so there is nothing to compare';
if (nativeMissing && (process.env.SIFT_REQUIRE_MODELS === '1' || process.env.CI === 'true')) {
  throw new Error(`linalg parity: ${nativeMissing}`);
}

function spd(n: number, seed: number): Float64Array {
  const rng = new Mulberry32(seed);
  const x = Float64Array.from({ length: 2 * n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  portable.gemm64({
    transA: true,
    transB: false,
    m: n,
    n,
    k: 2 * n,
    alpha: 1,
    a: x,
    lda: n,
    b: x,
    ldb: n,
    beta: 0,
    c: a,
    ldc: n,
  });
  for (let i = 0; i < n; i++) a[i * n + i]! += 0.1 * n;
  return a;
}

function maxRelativeDifference(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
}

describe('pruning linear algebra: native against portable', { skip: nativeMissing }, () => {
  // 157 is not a multiple of any blocking factor, so edge blocks are exercised.
  const n = 157;
  const a = spd(n, 1);

  it('inverts and solves symmetric positive-definite matrices as the portable code does', () => {
    const inverse = spdInverse(a, n);
    assert.ok(maxRelativeDifference(inverse, portable.spdInverse(a, n)) < 1e-10);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < i; j++) assert.equal(inverse[i * n + j], inverse[j * n + i]);
    const rng = new Mulberry32(2);
    const b = Float64Array.from({ length: n * 13 }, () => rng.normal());
    const x = spdSolve(a, n, b, 13);
    assert.ok(maxRelativeDifference(x, portable.spdSolve(a, n, b, 13)) < 1e-10);
    // And it is a solution: A·X = B.
    const back = new Float64Array(n * 13);
    gemm64({
      transA: false,
      transB: false,
      m: n,
      n: 13,
      k: n,
      alpha: 1,
      a,
      lda: n,
      b: x,
      ldb: 13,
      beta: 0,
      c: back,
      ldc: 13,
    });
    assert.ok(maxRelativeDifference(back, b) < 1e-10);
  });

  it('multiplies with every transpose, α and β, into a strided C', () => {
    const rng = new Mulberry32(3);
    const [m, k, cols] = [17, 23, 11];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a1 = Float64Array.from({ length: m * k }, () => rng.normal());
        const b1 = Float64Array.from({ length: k * cols }, () => rng.normal());
        const start = Float64Array.from({ length: m * 16 }, () => rng.normal());
        const args = {
          transA,
          transB,
          m,
          n: cols,
          k,
          alpha: -0.5,
          a: a1,
          lda: transA ? m : k,
          b: b1,
          ldb: transB ? k : cols,
          beta: 0.25,
          ldc: 16,
        };
        const fast = start.slice();
        const slow = start.slice();
        gemm64({ ...args, c: fast });
        portable.gemm64({ ...args, c: slow });
        assert.ok(maxRelativeDifference(fast, slow) < 1e-12, `transA ${transA} transB ${transB}`);
        // Columns past n in each row of C are untouched.
        for (let r = 0; r < m; r++)
          for (let c = cols; c < 16; c++) assert.equal(fast[r * 16 + c], start[r * 16 + c]);
      }
    }
  });

  it('names the pivot where a matrix is not positive definite, on both paths', () => {
    const bad = spd(8, 4);
    bad[5 * 8 + 5] = -1;
    for (const invert of [spdInverse, portable.spdInverse]) {
      assert.throws(
        () => invert(bad, 8),
        (error: unknown) =>
          error instanceof SiftError &&
          error.code === 'E_PRUNE' &&
          /not positive definite at pivot 5 of 8/.test(error.message),
      );
    }
  });
});
