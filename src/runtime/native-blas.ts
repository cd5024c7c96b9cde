// The one file that loads sift's BLAS addon (native/blas.cc, built by `npm install` through node-gyp), which
// opens the machine's OpenBLAS at run time, plus the training engine's element-wise kernels. Optional like the kNN kernel: where the addon or OpenBLAS is
// missing, the reason is kept for `nativeBlasStatus()` and the training engine multiplies in TypeScript.

import { type AddonLoad, loadNativeAddon, type NativeAddonStatus } from './native-addon.js';

/** Row-major C = α·op(A)·op(B) + β·C in the precision of the arrays (sgemm, dgemm). */
type GemmFn<T extends Float32Array | Float64Array> = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: T,
  lda: number,
  b: T,
  ldb: number,
  beta: number,
  c: T,
  ldc: number,
) => void;

interface Binding {
  sgemm: GemmFn<Float32Array>;
  gelu(x: Float32Array, y: Float32Array): void;
  softmaxRows(x: Float32Array, rows: number, cols: number): void;
  softmaxBackwardRows(p: Float32Array, dp: Float32Array, rows: number, cols: number): void;
  adamw(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    stepSize: number,
    beta1: number,
    beta2: number,
    eps: number,
    rootC2: number,
    shrink: number,
  ): void;
  geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  gemmBatch(
    transA: boolean,
    transB: boolean,
    alpha: number,
    beta: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    items: Int32Array,
  ): void;
  dgemm: GemmFn<Float64Array>;
  cholesky(a: Float64Array, n: number): number;
  lowerSolve(l: Float64Array, n: number, b: Float64Array, m: number, transposed: boolean): void;
  setThreads(threads: number): void;
  info(): {
    available: boolean;
    double: boolean;
    library: string;
    error: string;
    config: string;
    threads: number;
  };
}

/** Row-major single-precision matrix products on OpenBLAS: C = α·op(A)·op(B) + β·C. */
export interface NativeBlas {
  readonly sgemm: Binding['sgemm'];
  /** Many small products, each on one thread, the products spread over threads (items: 9 ints each). */
  readonly gemmBatch: Binding['gemmBatch'];
  /** Exact GELU (erf form), element-wise, on the addon's threads. */
  readonly gelu: Binding['gelu'];
  readonly geluBackward: Binding['geluBackward'];
  /** Row-wise softmax in place, and its backward pass (dp ← p ⊙ (dp − Σ dp·p)) in place. */
  readonly softmaxRows: Binding['softmaxRows'];
  readonly softmaxBackwardRows: Binding['softmaxBackwardRows'];
  /** One AdamW update of one tensor in place (the formula is in train/adamw.ts). */
  readonly adamw: Binding['adamw'];
  /** Double precision for pruning's linear algebra; absent where the BLAS lacks dgemm, dtrsm or LAPACK. */
  readonly double?: NativeDoubleBlas;
  setThreads(threads: number): void;
  /** OpenBLAS's build string (version, kernel chosen for this CPU) and thread count. */
  readonly config: string;
  readonly threads: number;
}

/** Row-major float64 kernels (src/compress/linalg.ts is their one user). */
export interface NativeDoubleBlas {
  /** C = α·op(A)·op(B) + β·C, sgemm's contract on Float64Arrays. */
  readonly dgemm: Binding['dgemm'];
  /** A = L·Lᵀ in place (L in the lower triangle); 0, or the 1-based order of the first minor not positive definite. */
  readonly cholesky: Binding['cholesky'];
  /** B ← L⁻¹·B, or L⁻ᵀ·B when `transposed`, in place, for cholesky's lower-triangular L. */
  readonly lowerSolve: Binding['lowerSolve'];
}

export type NativeBlasStatus = NativeAddonStatus;

let loaded: AddonLoad<NativeBlas> | undefined;

export function loadNativeBlas(): NativeBlas | undefined {
  return load().value;
}

export function nativeBlasStatus(): NativeBlasStatus {
  return load().status;
}

function load(): AddonLoad<NativeBlas> {
  loaded ??= loadNativeAddon<Binding, NativeBlas>(
    'sift_blas',
    (binding) => {
      const info = binding.info();
      if (!info.available) return `no OpenBLAS on this machine (apt-get install libopenblas0): ${info.error}`;
      return {
        sgemm: binding.sgemm,
        gemmBatch: binding.gemmBatch,
        gelu: binding.gelu,
        geluBackward: binding.geluBackward,
        softmaxRows: binding.softmaxRows,
        softmaxBackwardRows: binding.softmaxBackwardRows,
        adamw: binding.adamw,
        ...(info.double
          ? { double: { dgemm: binding.dgemm, cholesky: binding.cholesky, lowerSolve: binding.lowerSolve } }
          : {}),
        setThreads: (n) => binding.setThreads(n),
        config: info.config,
        threads: info.threads,
      };
    },
    'SIFT_NO_BLAS',
  );
  return loaded;
}
