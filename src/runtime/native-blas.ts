// The one file that loads sift's BLAS addon (native/blas.cc, built by `npm install` through node-gyp), which
// opens the machine's OpenBLAS at run time, plus the training engine's element-wise kernels. Optional like the kNN kernel: where the addon or OpenBLAS is
// missing, the reason is kept for `nativeBlasStatus()` and the training engine multiplies in TypeScript.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Binding {
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
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
  setThreads(threads: number): void;
  info(): { available: boolean; library: string; error: string; config: string; threads: number };
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
  setThreads(threads: number): void;
  /** OpenBLAS's build string (version, kernel chosen for this CPU) and thread count. */
  readonly config: string;
  readonly threads: number;
}

export interface NativeBlasStatus {
  available: boolean;
  path: string;
  reason?: string;
}

let loaded: { blas: NativeBlas | undefined; status: NativeBlasStatus } | undefined;

export function loadNativeBlas(): NativeBlas | undefined {
  return load().blas;
}

export function nativeBlasStatus(): NativeBlasStatus {
  return load().status;
}

function load(): { blas: NativeBlas | undefined; status: NativeBlasStatus } {
  if (loaded) return loaded;
  const path = addonPath();
  const missing = (reason: string) => ({ blas: undefined, status: { available: false, path, reason } });
  if (process.env['SIFT_NO_BLAS'] === '1') loaded = missing('disabled by SIFT_NO_BLAS=1');
  else if (!existsSync(path)) loaded = missing('not built (run `npm rebuild sift` with a C++ compiler)');
  else {
    try {
      const binding = createRequire(import.meta.url)(path) as Binding;
      const info = binding.info();
      loaded = info.available
        ? {
            blas: {
              sgemm: binding.sgemm,
              gemmBatch: binding.gemmBatch,
              gelu: binding.gelu,
              geluBackward: binding.geluBackward,
              softmaxRows: binding.softmaxRows,
              softmaxBackwardRows: binding.softmaxBackwardRows,
              adamw: binding.adamw,
              setThreads: (n) => binding.setThreads(n),
              config: info.config,
              threads: info.threads,
            },
            status: { available: true, path },
          }
        : missing(`no OpenBLAS on this machine (apt-get install libopenblas0): ${info.error}`);
    } catch (error) {
      loaded = missing(error instanceof Error ? error.message : String(error));
    }
  }
  return loaded;
}

/** build/Release/sift_blas.node at the package root (this file runs from dist/src/runtime/). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) break;
    dir = dirname(dir);
  }
  return join(dir, 'build', 'Release', 'sift_blas.node');
}
