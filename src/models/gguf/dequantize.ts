// Dequantises ggml tensors to float32, block by block, as ggml's reference `dequantize_row_*` do.
//
// Block formats (ggml-common.h): Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 hold 32 values with one float16 scale (and a
// minimum for the _1 kinds); the K-quants hold 256 values in a super-block whose 8 or 16 sub-block scales
// are themselves quantised (6-bit for Q4_K/Q5_K, int8 for Q6_K).

import { halfToFloat } from '../../util/index.js';
import { GGML_TYPES, type GgmlTypeName } from './ggml-types.js';

/** Dequantises `elements` values of `type` from `bytes` into a new Float32Array. */
export function dequantize(type: GgmlTypeName, bytes: Uint8Array, elements: number): Float32Array {
  const out = new Float32Array(elements);
  const { blockSize, blockBytes } = GGML_TYPES[type];
  const blocks = elements / blockSize;
  if (!Number.isInteger(blocks) || bytes.byteLength < blocks * blockBytes) {
    throw new Error(`${bytes.byteLength} bytes do not hold ${elements} values of ${type}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const half = (at: number) => halfToFloat(view.getUint16(at, true));
  const kernel = KERNELS[type];
  for (let b = 0; b < blocks; b++) kernel(bytes, view, half, b * blockBytes, out, b * blockSize);
  return out;
}

type BlockKernel = (
  q: Uint8Array,
  view: DataView,
  half: (at: number) => number,
  at: number,
  y: Float32Array,
  to: number,
) => void;

const KERNELS: Record<GgmlTypeName, BlockKernel> = {
  F32: (_q, view, _half, at, y, to) => {
    y[to] = view.getFloat32(at, true);
  },
  F16: (_q, _view, half, at, y, to) => {
    y[to] = half(at);
  },
  BF16: (_q, view, _half, at, y, to) => {
    // bfloat16 is the top half of a float32.
    scratch.setUint32(0, view.getUint16(at, true) << 16, true);
    y[to] = scratch.getFloat32(0, true);
  },
  Q4_0: (q, _view, half, at, y, to) => {
    const d = half(at);
    for (let j = 0; j < 16; j++) {
      const byte = q[at + 2 + j] as number;
      y[to + j] = ((byte & 0xf) - 8) * d;
      y[to + j + 16] = ((byte >> 4) - 8) * d;
    }
  },
  Q4_1: (q, _view, half, at, y, to) => {
    const d = half(at);
    const m = half(at + 2);
    for (let j = 0; j < 16; j++) {
      const byte = q[at + 4 + j] as number;
      y[to + j] = (byte & 0xf) * d + m;
      y[to + j + 16] = (byte >> 4) * d + m;
    }
  },
  Q5_0: (q, view, half, at, y, to) => {
    const d = half(at);
    const qh = view.getUint32(at + 2, true);
    for (let j = 0; j < 16; j++) {
      const byte = q[at + 6 + j] as number;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      y[to + j] = (((byte & 0xf) | h0) - 16) * d;
      y[to + j + 16] = (((byte >> 4) | h1) - 16) * d;
    }
  },
  Q5_1: (q, view, half, at, y, to) => {
    const d = half(at);
    const m = half(at + 2);
    const qh = view.getUint32(at + 4, true);
    for (let j = 0; j < 16; j++) {
      const byte = q[at + 8 + j] as number;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      y[to + j] = ((byte & 0xf) | h0) * d + m;
      y[to + j + 16] = ((byte >> 4) | h1) * d + m;
    }
  },
  Q8_0: (_q, view, half, at, y, to) => {
    const d = half(at);
    for (let j = 0; j < 32; j++) y[to + j] = view.getInt8(at + 2 + j) * d;
  },
  Q4_K: (q, _view, half, at, y, to) => {
    const d = half(at);
    const dmin = half(at + 2);
    const scales = at + 4;
    let qs = at + 16;
    let out = to;
    for (let j = 0, is = 0; j < 256; j += 64, is += 2) {
      const [d1, min1, d2, min2] = subBlockScales(q, scales, is, d, dmin);
      for (let l = 0; l < 32; l++) y[out + l] = d1 * ((q[qs + l] as number) & 0xf) - min1;
      for (let l = 0; l < 32; l++) y[out + 32 + l] = d2 * ((q[qs + l] as number) >> 4) - min2;
      qs += 32;
      out += 64;
    }
  },
  Q5_K: (q, _view, half, at, y, to) => {
    const d = half(at);
    const dmin = half(at + 2);
    const scales = at + 4;
    const qh = at + 16;
    let ql = at + 48;
    let out = to;
    let u1 = 1;
    let u2 = 2;
    for (let j = 0, is = 0; j < 256; j += 64, is += 2) {
      const [d1, min1, d2, min2] = subBlockScales(q, scales, is, d, dmin);
      for (let l = 0; l < 32; l++) {
        const high = (q[qh + l] as number) & u1 ? 16 : 0;
        y[out + l] = d1 * (((q[ql + l] as number) & 0xf) + high) - min1;
      }
      for (let l = 0; l < 32; l++) {
        const high = (q[qh + l] as number) & u2 ? 16 : 0;
        y[out + 32 + l] = d2 * (((q[ql + l] as number) >> 4) + high) - min2;
      }
      ql += 32;
      out += 64;
      u1 <<= 2;
      u2 <<= 2;
    }
  },
  Q6_K: (q, view, half, at, y, to) => {
    let ql = at;
    let qh = at + 128;
    let sc = at + 192;
    const d = half(at + 208);
    let out = to;
    for (let n = 0; n < 256; n += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const low0 = q[ql + l] as number;
        const low32 = q[ql + l + 32] as number;
        const high = q[qh + l] as number;
        const q1 = ((low0 & 0xf) | ((high & 3) << 4)) - 32;
        const q2 = ((low32 & 0xf) | (((high >> 2) & 3) << 4)) - 32;
        const q3 = ((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q4 = ((low32 >> 4) | (((high >> 6) & 3) << 4)) - 32;
        y[out + l] = d * view.getInt8(sc + is) * q1;
        y[out + l + 32] = d * view.getInt8(sc + is + 2) * q2;
        y[out + l + 64] = d * view.getInt8(sc + is + 4) * q3;
        y[out + l + 96] = d * view.getInt8(sc + is + 6) * q4;
      }
      out += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  },
};

const scratch = new DataView(new ArrayBuffer(4));

/** The j-th 6-bit scale and minimum of a Q4_K/Q5_K super-block (ggml's get_scale_min_k4). */
/** Q4_K/Q5_K: scale and min of sub-blocks `is` and `is + 1` (a 64-value stretch), times the block's d and dmin. */
function subBlockScales(
  q: Uint8Array,
  scales: number,
  is: number,
  d: number,
  dmin: number,
): [number, number, number, number] {
  const [sc1, m1] = scaleMinK4(q, scales, is);
  const [sc2, m2] = scaleMinK4(q, scales, is + 1);
  return [d * sc1, dmin * m1, d * sc2, dmin * m2];
}

function scaleMinK4(q: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [(q[at + j] as number) & 63, (q[at + j + 4] as number) & 63];
  const packed = q[at + j + 4] as number;
  return [
    (packed & 0xf) | (((q[at + j - 4] as number) >> 6) << 4),
    (packed >> 4) | (((q[at + j] as number) >> 6) << 4),
  ];
}
