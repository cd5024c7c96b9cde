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
  /** The token-type table, one row of `hidden` per type; one row of zeros for a model without types. */
  tokenTypes: Float32Array;
  embGamma: Float32Array;
  embBeta: Float32Array;
  layers: NativeEncoderLayer[];
  /** A sequence-pair classifier head: the model then returns `labels` logits per sequence, not a vector. */
  head?: NativeClassifierHead;
}

/** BERT's sequence-classification head: logits = classifier(tanh(pooler(h_CLS))). */
export interface NativeClassifierHead {
  labels: number;
  /** [hidden × hidden] */
  pooler: Float32Array;
  poolerBias: Float32Array;
  /** [labels × hidden] */
  classifier: Float32Array;
  classifierBias: Float32Array;
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
  /** Floats per sequence in `encode`'s output: hidden, or the head's labels. */
  readonly outWidth: number;
  /** The product kernel: 'amx-bf16' or 'avx512-bf16'. */
  readonly variant: string;
  /**
   * One row per sequence, in the order of `rows`: the pooled vector, or the head's logits. `types` gives each
   * token's type (sequence pairs); without it every token is type 0.
   */
  encode(rows: readonly Int32Array[], threads: number, types?: readonly Int32Array[]): Promise<Float32Array>;
}

interface Binding {
  createModel(spec: NativeEncoderSpec): object;
  encode(
    model: object,
    ids: Int32Array,
    types: Int32Array | null,
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

/**
 * Whether a plain model id runs on the native encoder: only with AMX. The AVX-512 BF16 kernel measured
 * slower than ONNX Runtime's float32 graph on a Xeon with AMX (bench/results/embed-xeon-avx512bf16.json:
 * there, by published instruction tables, vdpbf16ps issues on one port while float32 FMAs issue on two), and the
 * default is never the slower path; `:bf16` still asks for it explicitly.
 */
export function nativeEncoderByDefault(): boolean {
  return nativeEncoderStatus().variant === 'amx-bf16';
}

/** Packs `spec` into the addon; undefined where the addon or AMX is unavailable (see nativeEncoderStatus). */
export function loadNativeEncoder(spec: NativeEncoderSpec): NativeEncoder | undefined {
  const binding = load().value;
  if (!binding) return undefined;
  const model = binding.createModel(spec);
  const outWidth = spec.head ? spec.head.labels : spec.hidden;
  return {
    outWidth,
    variant: binding.info().variant,
    async encode(rows, threads, types) {
      const lengths = Int32Array.from(rows, (r) => r.length);
      const total = lengths.reduce((a, b) => a + b, 0);
      const ids = new Int32Array(total);
      const typeIds = types ? new Int32Array(total) : null;
      let at = 0;
      rows.forEach((row, i) => {
        ids.set(row, at);
        if (typeIds) typeIds.set(types?.[i] ?? new Int32Array(row.length), at);
        at += row.length;
      });
      const out = new Float32Array(rows.length * outWidth);
      await binding.encode(model, ids, typeIds, lengths, out, threads);
      return out;
    },
  };
}

/** One line for `sift --version`: what runs `:bf16` embedders on this machine. */
export function nativeEncoderSummary(): string {
  const status = nativeEncoderStatus();
  return status.available
    ? status.variant === 'amx-bf16'
      ? `bf16 encoder: amx-bf16 (native; BERT embedders and cross-encoders run on it unless asked for :fp32)`
      : `bf16 encoder: ${status.variant} (native; only \`:bf16\` runs on it: float32 is as fast without AMX)`
    : `bf16 encoder: unavailable (${status.reason}); embedders run their float32 graph`;
}
