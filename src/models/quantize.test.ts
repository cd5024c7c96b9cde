// Tests for int8 quantisation: the weight rounding, and the ORT graphs against an exact integer emulation.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSession, GraphBuilder, tensor } from '../runtime/index.js';
import { mulberry32 as random } from '../util/index.js';
import { dequantize, preferredWeightType, quantizedMatMul, quantizePerChannel } from './quantize.js';

const M = 6;
const K = 48;
const N = 20;
const next = random(3);
// Activations with an outlier column, the case that stresses per-tensor scales.
const x = Float32Array.from({ length: M * K }, (_, i) => (next() * 2 - 1) * (i % K === 5 ? 20 : 1));
const w = Float32Array.from({ length: K * N }, () => (next() * 2 - 1) * 0.1);
const bias = Float32Array.from({ length: N }, (_, j) => j / 10);

/** DynamicQuantizeLinear's rule: uint8 range from min(x,0)..max(x,0), zero point rounded and clamped. */
function quantizeTensor(values: Float32Array): Float32Array {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = (hi - lo) / 255;
  const zero = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return values.map((v) => (Math.min(255, Math.max(0, roundHalfEven(v / scale) + zero)) - zero) * scale);
}

function quantizeRows(values: Float32Array, width: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length / width; r++) {
    let max = 0;
    for (let k = 0; k < width; k++) max = Math.max(max, Math.abs(values[r * width + k] ?? 0));
    const scale = max / 127;
    for (let k = 0; k < width; k++)
      out[r * width + k] = roundHalfEven((values[r * width + k] ?? 0) / scale) * scale;
  }
  return out;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function matmul(a: Float32Array, b: Float32Array, withBias: boolean): Float32Array {
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = withBias ? (bias[j] ?? 0) : 0;
      for (let k = 0; k < K; k++) sum += (a[i * K + k] ?? 0) * (b[k * N + j] ?? 0);
      out[i * N + j] = sum;
    }
  }
  return out;
}

async function runGraph(activations: 'tensor' | 'row', weightType: 'int8' | 'uint8'): Promise<Float32Array> {
  const g = new GraphBuilder();
  const input = g.input('x', 'float32', ['m', K]);
  const y = quantizedMatMul(g, input, quantizePerChannel(w, K, N), {
    name: 'w',
    bias,
    activations,
    weightType,
  });
  g.output(g.node('Identity', [y], ['y']), 'float32', ['m', N]);
  const session = await createSession(g.toBytes(), { intraOpThreads: 1 });
  const out = await session.run({ x: tensor('float32', x, [M, K]) });
  await session.release();
  return out['y']?.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe('quantizePerChannel', () => {
  it('rounds each weight to within half a step of its column scale', () => {
    const q = quantizePerChannel(w, K, N);
    const back = dequantize(q);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < N; j++) {
        const error = Math.abs((w[i * N + j] ?? 0) - (back[i * N + j] ?? 0));
        assert.ok(error <= (q.scales[j] ?? 0) / 2 + 1e-9);
      }
    }
    // Each column's largest magnitude maps to ±127: the full symmetric range is used.
    for (let j = 0; j < N; j++) {
      let max = 0;
      for (let i = 0; i < K; i++) max = Math.max(max, Math.abs(q.data[i * N + j] ?? 0));
      assert.equal(max, 127);
    }
  });

  it('gives an all-zero column a finite scale', () => {
    const q = quantizePerChannel(new Float32Array(6), 3, 2);
    assert.deepEqual([...q.scales], [1, 1]);
    assert.deepEqual([...q.data], [0, 0, 0, 0, 0, 0]);
  });
});

describe('quantizedMatMul', () => {
  const wq = dequantize(quantizePerChannel(w, K, N));
  const exact = matmul(x, w, true);

  it('computes per-tensor dynamic quantisation exactly with uint8 weight storage', async () => {
    const y = await runGraph('tensor', 'uint8');
    assert.ok(maxAbsDiff(y, matmul(quantizeTensor(x), wq, true)) < 1e-4);
    assert.ok(maxAbsDiff(y, exact) < 0.1);
  });

  it('computes per-row dynamic quantisation exactly, closer to float than per-tensor', async () => {
    const y = await runGraph('row', 'uint8');
    assert.ok(maxAbsDiff(y, matmul(quantizeRows(x, K), wq, true)) < 1e-4);
    assert.ok(maxAbsDiff(y, exact) < maxAbsDiff(await runGraph('tensor', 'uint8'), exact));
  });

  it('gives the same result with int8 storage where the CPU multiplies uint8×int8 exactly', {
    skip: preferredWeightType() !== 'int8' && 'uint8×int8 kernels saturate on this CPU (no VNNI)',
  }, async () => {
    assert.ok(maxAbsDiff(await runGraph('tensor', 'int8'), await runGraph('tensor', 'uint8')) < 1e-4);
  });
});
