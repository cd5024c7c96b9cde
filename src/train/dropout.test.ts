// Dropout: inverted scaling, the backward pass uses the forward mask, and no Mulberry32 (evaluation) or p = 0 is
// the identity.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mulberry32 } from '../util/index.js';
import { Dropout } from './dropout.js';

describe('Dropout', () => {
  it('zeroes about p of the values, scales the rest by 1/(1 − p), and masks the gradient the same way', () => {
    const rng = new Mulberry32(5);
    const dropout = new Dropout(0.25, () => rng);
    const x = new Float32Array(10_000).fill(2);
    const y = dropout.forward(x);
    const dropped = y.filter((v) => v === 0).length;
    assert.ok(dropped > 2_300 && dropped < 2_700, `${dropped} dropped`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 2 / 0.75) < 1e-6));
    const dx = dropout.backward(new Float32Array(10_000).fill(1));
    for (let i = 0; i < y.length; i++) assert.equal(dx[i] === 0, y[i] === 0);
  });

  it('is the identity without an Mulberry32 (evaluation) or with p = 0', () => {
    const x = Float32Array.from([1, 2, 3]);
    assert.equal(new Dropout(0.5, () => undefined).forward(x), x);
    assert.equal(new Dropout(0, () => new Mulberry32(1)).forward(x), x);
    assert.throws(() => new Dropout(1, () => undefined), RangeError);
  });
});
