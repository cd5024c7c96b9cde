// Int8 dynamic quantisation of MatMul weights: per-output-channel symmetric 8-bit weights, activations
// quantised at run time.
//
// Weights: s_j = max_i |W[i,j]| / 127, q[i,j] = round(W[i,j] / s_j), zero point 0 (symmetric), for each
// output column j of the [in, out] matrix. Activations: DynamicQuantizeLinear's rule picks one uint8
// scale and zero point for the whole input from its min/max (range widened to include 0), so
// y = (x_q − x_zp) · q · x_s · s_j ≈ x · W. ONNX Runtime runs the integer product in its MLAS kernels.

import { readFileSync } from 'node:fs';
import { attr, type GraphBuilder } from '../runtime/index.js';

export type QuantizeMode = 'int8';

/**
 * How the 8-bit weights are stored. 'int8': q itself, for ORT's uint8×int8 kernels. 'uint8': q + 128
 * with zero point 128, for its uint8×uint8 kernels; the same values, so the same results, on CPUs where
 * uint8×int8 is inexact (see `preferredWeightType`).
 */
export type WeightType = 'int8' | 'uint8';

export interface QuantizedWeight {
  /** Row-major [inFeatures, outFeatures] values in [−127, 127]. */
  data: Int8Array;
  /** One scale per output column. */
  scales: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

/** Quantises a row-major [in, out] float weight per output column, symmetric, to [−127, 127]. */
export function quantizePerChannel(
  weight: Float32Array,
  inFeatures: number,
  outFeatures: number,
): QuantizedWeight {
  if (weight.length !== inFeatures * outFeatures) {
    throw new Error(`weight of ${weight.length} values is not ${inFeatures}×${outFeatures}`);
  }
  const maxAbs = new Float32Array(outFeatures);
  for (let i = 0; i < inFeatures; i++) {
    const row = i * outFeatures;
    for (let j = 0; j < outFeatures; j++) {
      const a = Math.abs(weight[row + j] ?? 0);
      if (a > (maxAbs[j] ?? 0)) maxAbs[j] = a;
    }
  }
  // An all-zero column gets scale 1 so dequantisation stays finite (its values are all 0 anyway).
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const data = new Int8Array(weight.length);
  for (let i = 0; i < inFeatures; i++) {
    const row = i * outFeatures;
    for (let j = 0; j < outFeatures; j++) {
      const q = Math.round((weight[row + j] ?? 0) / (scales[j] ?? 1));
      data[row + j] = Math.max(-127, Math.min(127, q));
    }
  }
  return { data, scales, inFeatures, outFeatures };
}

/** Reconstructs the float weight a quantised one stands for (q · s), for error checks. */
export function dequantize(weight: QuantizedWeight): Float32Array {
  const out = new Float32Array(weight.data.length);
  for (let i = 0; i < weight.inFeatures; i++) {
    for (let j = 0; j < weight.outFeatures; j++) {
      const k = i * weight.outFeatures + j;
      out[k] = (weight.data[k] ?? 0) * (weight.scales[j] ?? 0);
    }
  }
  return out;
}

export interface QuantizedMatMulOptions {
  /** Initializer name prefix. */
  name: string;
  /** Optional bias [out], added in float after dequantisation. */
  bias?: Float32Array;
  /** Storage of the weights; default `preferredWeightType()`. */
  weightType?: WeightType;
  /**
   * How activations are quantised:
   * 'tensor': one uint8 scale and zero point for the whole input, by com.microsoft.DynamicQuantizeMatMul
   *   (quantise, integer GEMM, rescale and bias in one kernel).
   * 'row': one symmetric scale per row (token), s_r = max_k |x_rk| / 127, stored as uint8 with zero
   *   point 128: MatMulInteger → Cast → Mul by s_r·s_j, plain ONNX ops. Results then do not depend on
   *   what else is in the batch, at the cost of several element-wise passes.
   */
  activations?: 'tensor' | 'row';
}

/** Emits y = x · W (+ b) with W quantised; x is float [..., in], y is float [..., out]. */
export function quantizedMatMul(
  g: GraphBuilder,
  x: string,
  weight: QuantizedWeight,
  options: QuantizedMatMulOptions,
): string {
  const { name, bias } = options;
  const dims = [weight.inFeatures, weight.outFeatures];
  const weightType = options.weightType ?? preferredWeightType();
  const scales = g.initializer(`${name}.scales`, weight.scales, [weight.outFeatures]);
  let w: string;
  let wZero = '';
  if (weightType === 'uint8') {
    w = g.initializer(
      `${name}.qweight`,
      Uint8Array.from(weight.data, (v) => v + 128),
      dims,
    );
    wZero = g.initializer(`${name}.qweight_zero_point`, new Uint8Array(weight.outFeatures).fill(128), [
      weight.outFeatures,
    ]);
  } else {
    w = g.initializer(`${name}.qweight`, weight.data, dims);
  }
  const b = bias ? g.initializer(`${name}.bias`, bias, [weight.outFeatures]) : '';
  if ((options.activations ?? 'tensor') === 'tensor') {
    return g.node('com.microsoft.DynamicQuantizeMatMul', [x, w, scales, wZero, b]);
  }
  const absMax =
    g.opset >= 18
      ? g.node('ReduceMax', [g.node('Abs', [x]), g.int64s([-1])], 1, { keepdims: attr.int(1) })
      : g.node('ReduceMax', [g.node('Abs', [x])], 1, { axes: attr.ints([-1]), keepdims: attr.int(1) });
  // An all-zero row gets a tiny scale instead of 0, so x/s stays finite (it is 0).
  const rowScale = g.node('Div', [g.node('Max', [absMax, g.scalar(1e-30)]), g.scalar(127)]);
  const shifted = g.node('Add', [g.node('Round', [g.node('Div', [x, rowScale])]), g.scalar(128)]);
  const xq = g.node('Cast', [shifted], 1, { to: attr.int(2) });
  const xZero = g.initializer(`${name}.x_zero_point`, Uint8Array.from([128]), []);
  const acc = g.node('Cast', [g.node('MatMulInteger', [xq, w, xZero, wZero])], 1, { to: attr.int(1) });
  const y = g.node('Mul', [g.node('Mul', [acc, rowScale]), scales]);
  return b ? g.node('Add', [y, b]) : y;
}

/**
 * The weight storage whose kernels are exact on this CPU. x86 CPUs without VNNI multiply uint8×int8
 * with vpmaddubsw, which adds pairs of products in saturating int16 (255·127·2 > 32767) and silently
 * corrupts results (measured here: errors of 18% of the output range); their uint8×uint8 kernel widens
 * to int16 first and is exact, about 15% slower. VNNI (vpdpbusd) and ARM kernels are exact for int8.
 */
export function preferredWeightType(): WeightType {
  if (process.arch !== 'x64') return 'int8';
  return cpuHasVnni() ? 'int8' : 'uint8';
}

let vnni: boolean | undefined;

function cpuHasVnni(): boolean {
  if (vnni === undefined) {
    try {
      const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
      vnni = /\b(avx512_vnni|avx_vnni)\b/.test(flags);
    } catch {
      // No /proc (macOS, Windows): assume no VNNI; uint8 weights are exact everywhere.
      vnni = false;
    }
  }
  return vnni;
}
