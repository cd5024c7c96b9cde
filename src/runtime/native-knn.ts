// The one file that loads sift's native exact-kNN kernel (native/knn.cc, built by `npm install` through
// node-gyp). The kernel is optional: where no C++ compiler was available the addon is absent, the reason
// is kept for `nativeKnnStatus()`, and the exact-kNN engine scans through ONNX Runtime instead.

import { type AddonLoad, loadNativeAddon, type NativeAddonStatus } from './native-addon.js';

/** Raw binding; argument checks happen in C++ too, but callers go through `NativeKnn`. */
interface Binding {
  readonly simd: boolean;
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

  /** True when the AVX2+FMA kernels run (otherwise the scalar loops do). */
  get simd(): boolean {
    return this.binding.simd;
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

export type NativeKnnStatus = NativeAddonStatus;

let loaded: AddonLoad<NativeKnn> | undefined;

/** The native kernel, or undefined when the addon was not built here (see `nativeKnnStatus`). */
export function loadNativeKnn(): NativeKnn | undefined {
  return load().value;
}

export function nativeKnnStatus(): NativeKnnStatus {
  return load().status;
}

function load(): AddonLoad<NativeKnn> {
  loaded ??= loadNativeAddon<Binding, NativeKnn>('sift_native', (binding) => new NativeKnn(binding));
  return loaded;
}
