// The one file that loads sift's bfloat16 encoder addon (native/encoder.cc, built by `npm install` through
// node-gyp): a whole BERT forward pass on AMX tiles or AVX-512 BF16 dot products. Optional like the other
// addons: where it is absent or the CPU has neither, the reason is kept for `nativeEncoderStatus()` and
// embedders run their ONNX graph.

import { type AddonLoad, loadNativeAddon, type NativeAddonStatus } from './native-addon.js';

/** A post-LayerNorm BERT encoder as the addon takes it; weights are [out × in] row-major float32. */
export interface NativeEncoderSpec {
  hidden: number;
  headDim: number;
  vocab: number;
  /** Rows of the position table (the longest input). */
  positions: number;
  eps: number;
  clsPooling: boolean;
  normalize: boolean;
  words: Float32Array;
  positionTable: Float32Array;
  /** Token type 0's row (sift feeds type 0 everywhere); zeros for a model without token types. */
  tokenType: Float32Array;
  embGamma: Float32Array;
  embBeta: Float32Array;
  layers: NativeEncoderLayer[];
}

export interface NativeEncoderLayer {
  heads: number;
  /** MLP width. */
  inter: number;
  /** Query, key and value weights stacked: [3 · heads · headDim × hidden]. */
  qkv: Float32Array;
  qkvBias: Float32Array;
  attnOut: Float32Array;
  attnOutBias: Float32Array;
  norm1Gamma: Float32Array;
  norm1Beta: Float32Array;
  up: Float32Array;
  upBias: Float32Array;
  down: Float32Array;
  downBias: Float32Array;
  norm2Gamma: Float32Array;
  norm2Beta: Float32Array;
}

/** An encoder loaded into the addon (weights packed to bfloat16 tiles, owned by native memory). */
export interface NativeEncoder {
  readonly hidden: number;
  /** The product kernel: 'amx-bf16' or 'avx512-bf16'. */
  readonly variant: string;
  /** One pooled vector per sequence, `hidden` floats each, in the order of `rows`. */
  encode(rows: readonly Int32Array[], threads: number): Promise<Float32Array>;
}

interface Binding {
  createModel(spec: NativeEncoderSpec): object;
  encode(
    model: object,
    ids: Int32Array,
    lengths: Int32Array,
    out: Float32Array,
    threads: number,
  ): Promise<void>;
  info(): { available: boolean; variant: string; reason: string };
}

export interface NativeEncoderStatus extends NativeAddonStatus {
  /** 'amx-bf16' or 'avx512-bf16' where the encoder runs (SIFT_BF16_KERNEL caps it), else 'none'. */
  variant: string;
}

let loaded: AddonLoad<Binding> | undefined;

function load(): AddonLoad<Binding> {
  loaded ??= loadNativeAddon<Binding, Binding>(
    'sift_encoder',
    (binding) => {
      const info = binding.info();
      return info.available ? binding : info.reason;
    },
    'SIFT_NO_BF16_ENCODER',
  );
  return loaded;
}

export function nativeEncoderStatus(): NativeEncoderStatus {
  const { value, status } = load();
  return { ...status, variant: value ? value.info().variant : 'none' };
}

/** Packs `spec` into the addon; undefined where the addon or AMX is unavailable (see nativeEncoderStatus). */
export function loadNativeEncoder(spec: NativeEncoderSpec): NativeEncoder | undefined {
  const binding = load().value;
  if (!binding) return undefined;
  const model = binding.createModel(spec);
  return {
    hidden: spec.hidden,
    variant: binding.info().variant,
    async encode(rows, threads) {
      const lengths = Int32Array.from(rows, (r) => r.length);
      const ids = new Int32Array(lengths.reduce((a, b) => a + b, 0));
      let at = 0;
      for (const row of rows) {
        ids.set(row, at);
        at += row.length;
      }
      const out = new Float32Array(rows.length * spec.hidden);
      await binding.encode(model, ids, lengths, out, threads);
      return out;
    },
  };
}

/** One line for `sift --version`: what runs `:bf16` embedders on this machine. */
export function nativeEncoderSummary(): string {
  const status = nativeEncoderStatus();
  return status.available
    ? `bf16 encoder: ${status.variant} (native; BERT embedders run on it unless asked for :fp32)`
    : `bf16 encoder: unavailable (${status.reason}); embedders run their float32 graph`;
}
