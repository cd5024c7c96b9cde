// The one file that loads sift's native exact-kNN kernel (native/knn.cc, built by `npm install` through
// node-gyp). The kernel is optional: where no C++ compiler was available the addon is absent, the reason
// is kept for `nativeKnnStatus()`, and the exact-kNN engine scans through ONNX Runtime instead. The addon
// picks its kernel variant (instruction set) once at load from the CPU's features, capped by SIFT_KNN_ISA.

import { type AddonLoad, loadNativeAddon, type NativeAddonStatus } from './native-addon.js';

/**
 * The kernel variants, best first: AVX-512 VNNI (float32 on AVX-512F, int8 on vpdpbusd), AVX-512F (int8 on
 * AVX2), AVX2 + FMA, and portable scalar loops. `SIFT_KNN_ISA=<variant>` (or `avx2`) caps the variant the
 * addon picks, so tests and benchmarks can run every lower path on one machine; an unknown name makes the
 * addon refuse to load (the reason is in `nativeKnnStatus()`).
 */
export const KNN_VARIANTS = ['avx512-vnni', 'avx512f', 'avx2-fma', 'scalar'] as const;
export type KnnVariant = (typeof KNN_VARIANTS)[number];

/** Raw binding; argument checks happen in C++ too, but callers go through `NativeKnn`. */
interface Binding {
  readonly simd: boolean;
  readonly variant: KnnVariant;
  /** Every variant this CPU can run, best first. */
  readonly supported: readonly KnnVariant[];
  pathFor(kind: 0 | 1, d: number, tileRows: number): KnnVariant;
  scan(
    kind: 0 | 1,
    queries: Float32Array | Int8Array,
    m: number,
    d: number,
    corpus: Float32Array | Int8Array,
    n: number,
    rowScales: Float32Array | null,
    tileRows: number,
    live: Uint8Array | null,
    base: number,
    k: number,
    threads: number,
    outScores: Float32Array,
    outOrds: Int32Array,
  ): void;
}

/** One block's scan result: for each thread t and query q, `k` slots at ((t·m)+q)·k; empty slots have
 *  ordinal −1. Scores are float32 dot products (int8: integer dot product × row scale). */
export interface NativeScanResult {
  scores: Float32Array;
  ords: Int32Array;
  slotsPerQuery: number;
}

export interface NativeScanCommon {
  m: number;
  n: number;
  /** One byte per row, nonzero = may be returned; null = every row. */
  live: Uint8Array | null;
  /** Ordinal of the block's row 0 (added to every returned ordinal). */
  base: number;
  k: number;
  threads: number;
}

export class NativeKnn {
  constructor(private readonly binding: Binding) {}

  /** True when a SIMD variant was picked (otherwise the scalar loops run). */
  get simd(): boolean {
    return this.binding.simd;
  }

  /** The variant picked at load: the CPU's best, or lower when SIFT_KNN_ISA asked for it. */
  get variant(): KnnVariant {
    return this.binding.variant;
  }

  /** Every variant this CPU can run, best first. */
  get supported(): readonly KnnVariant[] {
    return this.binding.supported;
  }

  /**
   * The kernel a scan of this shape runs under the picked variant: float32 rows of dimension `d`, or int8
   * codes `d` wide in tiles of `tileRows` rows. Lower than `variant` where the shape rules a path out
   * (AVX2 float32 needs d % 8 = 0; SIMD int8 needs tiles of whole 32-row strips; int8 under avx512f runs
   * the AVX2 path).
   */
  pathFor(dtype: 'float32' | 'int8', d: number, tileRows: number): KnnVariant {
    return this.binding.pathFor(dtype === 'float32' ? 0 : 1, d, tileRows);
  }

  /** Row-major float32 rows. */
  scanFloat32(queries: Float32Array, d: number, rows: Float32Array, o: NativeScanCommon): NativeScanResult {
    return this.scan(0, queries, d, rows, null, 0, o);
  }

  /**
   * int8 codes in tiles of `tileRows` rows of 4-dimension groups (vector-store.ts `codeIndex`); queries as
   * int8 codes in [−127, 127], `width` (the dimension rounded up to 4) per query.
   */
  scanInt8(
    queries: Int8Array,
    width: number,
    codes: Int8Array,
    rowScales: Float32Array | null,
    tileRows: number,
    o: NativeScanCommon,
  ): NativeScanResult {
    return this.scan(1, queries, width, codes, rowScales, tileRows, o);
  }

  private scan(
    kind: 0 | 1,
    queries: Float32Array | Int8Array,
    d: number,
    corpus: Float32Array | Int8Array,
    rowScales: Float32Array | null,
    tileRows: number,
    o: NativeScanCommon,
  ): NativeScanResult {
    const slots = o.threads * o.m * o.k;
    const out = { scores: new Float32Array(slots), ords: new Int32Array(slots), slotsPerQuery: o.k };
    const { m, n, live, base, k, threads } = o;
    this.binding.scan(
      kind,
      queries,
      m,
      d,
      corpus,
      n,
      rowScales,
      tileRows,
      live,
      base,
      k,
      threads,
      out.scores,
      out.ords,
    );
    return out;
  }
}

export interface NativeKnnStatus extends NativeAddonStatus {
  /** The kernel variant picked at load (absent when the addon is not available). */
  variant?: KnnVariant;
  /** Every variant this CPU can run, best first. */
  supported?: readonly KnnVariant[];
}

let loaded: AddonLoad<NativeKnn> | undefined;

/** The native kernel, or undefined when the addon was not built here (see `nativeKnnStatus`). */
export function loadNativeKnn(): NativeKnn | undefined {
  return load().value;
}

export function nativeKnnStatus(): NativeKnnStatus {
  const { value, status } = load();
  return value ? { ...status, variant: value.variant, supported: value.supported } : status;
}

function load(): AddonLoad<NativeKnn> {
  loaded ??= loadNativeAddon<Binding, NativeKnn>('sift_native', (binding) => new NativeKnn(binding));
  return loaded;
}

/** One line for `sift --version`: the kNN kernel variant in use, or why the ONNX Runtime scan serves. */
export function nativeKnnSummary(): string {
  const status = nativeKnnStatus();
  if (!status.available) return `kNN kernel: ONNX Runtime scan (native kernel unavailable: ${status.reason})`;
  // Scalar loops are slower than ONNX Runtime's sgemm, so kernel 'auto' does not use them (exact-knn.ts).
  const note = status.variant === 'scalar' ? "; kernel 'auto' scans on ONNX Runtime instead" : '';
  return `kNN kernel: ${status.variant} (native; this CPU runs ${status.supported?.join(', ')}${note})`;
}
