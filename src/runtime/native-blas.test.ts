// The BLAS addon against plain TypeScript: row-major sgemm in all four transpose combinations (with α, β
// and leading dimensions wider than the matrix), row softmax and its backward pass. A machine without the
// built addon or OpenBLAS skips, saying why; CI builds both (.ci/run checks) and so never skips here.
// Also: SIFT_NO_BLAS=1 turns the addon off with that reason.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { mulberry32 } from '../util/index.js';
import { loadNativeBlas, nativeBlasStatus } from './native-blas.js';

const blas = loadNativeBlas();
const skip = blas ? false : `SKIPPED: the BLAS addon is not available: ${nativeBlasStatus().reason}`;
if (skip) process.stderr.write(`\n*** ${skip} ***\n\n`);

function randoms(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tolerance * (1 + Math.abs(e)), `index ${i}: ${a} vs ${e}`);
  }
}

describe('native BLAS addon', { skip }, () => {
  const [m, n, k] = [5, 7, 9];
  const [lda, ldb, ldc] = [12, 11, 10]; // wider than any matrix here: strides must be honoured
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`sgemm matches the triple loop (transA ${transA}, transB ${transB}, α 0.5, β 2)`, () => {
      // op(A) is m×k, op(B) is k×n; stored row-major with the given leading dimensions.
      const a = randoms((transA ? k : m) * lda, 1);
      const b = randoms((transB ? n : k) * ldb, 2);
      const c = randoms(m * ldc, 3);
      const expected = Float32Array.from(c);
      const at = (i: number, p: number) => (transA ? a[p * lda + i] : a[i * lda + p]) as number;
      const bt = (p: number, j: number) => (transB ? b[j * ldb + p] : b[p * ldb + j]) as number;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
          expected[i * ldc + j] = 0.5 * sum + 2 * (c[i * ldc + j] as number);
        }
      }
      blas?.sgemm(transA, transB, m, n, k, 0.5, a, lda, b, ldb, 2, c, ldc);
      assertClose(c, expected, 1e-5);
    });
  }

  it('softmaxRows and softmaxBackwardRows match the formulas', () => {
    const rows = 3;
    const cols = 17;
    const x = randoms(rows * cols, 4).map((v) => v * 20); // large logits: the max must be subtracted
    const p = Float32Array.from(x);
    blas?.softmaxRows(p, rows, cols);
    const dp = randoms(rows * cols, 5);
    const dx = Float32Array.from(dp);
    blas?.softmaxBackwardRows(p, dx, rows, cols);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * cols, (r + 1) * cols);
      const max = Math.max(...row);
      const exps = Array.from(row, (v) => Math.exp(v - max));
      const total = exps.reduce((s, v) => s + v, 0);
      const expected = exps.map((v) => v / total);
      assertClose(p.subarray(r * cols, (r + 1) * cols), expected, 1e-6);
      const dot = expected.reduce((s, pi, j) => s + pi * (dp[r * cols + j] as number), 0);
      const grad = expected.map((pi, j) => pi * ((dp[r * cols + j] as number) - dot));
      assertClose(dx.subarray(r * cols, (r + 1) * cols), grad, 1e-5);
    }
  });
});

describe('native BLAS addon switch', () => {
  it('SIFT_NO_BLAS=1 turns the addon off and says so', () => {
    const probe = `import('./native-blas.js').then((m) => process.stdout.write(JSON.stringify(m.nativeBlasStatus())))`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: new URL('.', import.meta.url).pathname,
      env: { ...process.env, SIFT_NO_BLAS: '1' },
      encoding: 'utf8',
    });
    assert.equal(out.status, 0, out.stderr);
    const status = JSON.parse(out.stdout) as { available: boolean; reason?: string };
    assert.equal(status.available, false);
    assert.match(status.reason ?? '', /disabled by SIFT_NO_BLAS=1/);
  });
});
