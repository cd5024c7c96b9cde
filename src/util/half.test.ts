// Tests for the half-float module: rounding to half precision, and the one decoder every reader uses.

import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { randomUnitVectors } from '../../test/lib/random-vectors.js';
import { bfloat16ToFloat32, float16ToFloat32, floatToHalf, halfToFloat } from './half.js';

test('half precision: exact values survive, others round to nearest even', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14), 0.333251953125]) {
    assert.equal(halfToFloat(floatToHalf(v)), v);
  }
  assert.equal(halfToFloat(floatToHalf(1 + 2 ** -11)), 1); // tie → even mantissa
  assert.equal(halfToFloat(floatToHalf(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.equal(halfToFloat(floatToHalf(70000)), Number.POSITIVE_INFINITY);
  assert.equal(halfToFloat(floatToHalf(2 ** -26)), 0);
  let worst = 0;
  for (const v of randomUnitVectors(100, 64, 3)) {
    if (Math.abs(v) >= 2 ** -14)
      worst = Math.max(worst, Math.abs(halfToFloat(floatToHalf(v)) - v) / Math.abs(v));
  }
  assert.ok(worst <= 2 ** -11, `relative error ${worst}`);
});

describe('halfToFloat', () => {
  it('decodes normals, subnormals, zero and infinity', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
    assert.equal(halfToFloat(0x3555), 0.333251953125);
  });
});

test('converts half-precision edge cases', () => {
  const f16 = float16ToFloat32(Uint16Array.from([0x0001, 0x7c00, 0xfc00, 0x3c00, 0x8000]));
  assert.deepEqual([...f16], [2 ** -24, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, -0]);
  assert.deepEqual([...bfloat16ToFloat32(Uint16Array.from([0x3f80, 0xbf80]))], [1, -1]);
});

test('every half value decodes as IEEE 754 binary16 defines it (sign, exponent bias 15, subnormals)', () => {
  const all = float16ToFloat32(Uint16Array.from({ length: 65536 }, (_, h) => h));
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    const expected =
      exponent === 0
        ? sign * mantissa * 2 ** -24
        : exponent === 0x1f
          ? mantissa === 0
            ? sign * Number.POSITIVE_INFINITY
            : Number.NaN
          : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
    assert.ok(Object.is(all[h], expected), `0x${h.toString(16)}: ${all[h]} != ${expected}`);
    assert.ok(Object.is(halfToFloat(h), expected));
  }
});
