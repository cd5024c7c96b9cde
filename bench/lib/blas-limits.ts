// The machine's measured fp32 matrix-product rate through the OpenBLAS that sift's training engine uses:
// a 2048³ sgemm (C = A·B), best of several repetitions, in GFLOP/s. The denominator for "fraction of the
// machine's FLOP rate" in the training benchmarks.

import { loadNativeBlas } from '../../src/runtime/index.js';

export function openBlasSgemmGflops(repeats = 3, n = 2048): number | undefined {
  const blas = loadNativeBlas();
  if (!blas) return undefined;
  const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const c = new Float32Array(n * n);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    blas.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
    if (r > 0) best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
}
