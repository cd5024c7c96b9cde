// The training side of embedding tokens on the tiny decoder of the parity fixture (random weights: these
// are gradient and mechanics checks, not quality): vectors in place of token embeddings, their gradient,
// a frozen decoder, the item adapter's backward pass, and the adapter's training loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixtureDecoder, fixtureInts } from '../../test/lib/decoder-fixture.js';
import { adaptItemVector } from '../rank/index.js';
import { Mulberry32 } from '../util/index.js';
import type { YesNoDecoder } from './decoder-model.js';
import { trainItemAdapter } from './embedding-token-trainer.js';
import { ItemAdapter } from './item-adapter.js';

const ints = fixtureInts;
const tinyDecoder = (): YesNoDecoder => fixtureDecoder('llama_tied', 'llama', true).model;

const ids = ints('llama_tied.ids');
const lengths = ints('llama_tied.lengths');
const seq = ids.length / 2;
const batch = () => ({ batch: 2, seq, ids, lengths });

describe('vectors in place of token embeddings (training engine)', () => {
  it("a token's own embedding as a vector changes nothing, and its gradient is that row's share of the embedding gradient", () => {
    const model = tinyDecoder();
    const h = model.shape.hidden;
    const at = 1 * seq + 2; // row 1, position 2
    const plain = model.forward(batch());
    const upstream = Float32Array.from([0.7, -1.3]);
    model.backward(upstream);
    const withoutVector = model.embedding.grad.slice();
    for (const p of model.parameters()) p.zeroGrad();

    const own = model.embedding.data.slice(ids[at]! * h, ids[at]! * h + h);
    const replaced = model.forward({ ...batch(), vectors: { at: Int32Array.of(at), values: own } });
    assert.deepEqual(Array.from(replaced), Array.from(plain), 'the same scores');
    const dVector = model.backward(upstream)!;
    assert.equal(dVector.length, h);
    const row = ids[at]! * h;
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < h; j++) {
      const share = withoutVector[row + j]! - model.embedding.grad[row + j]!;
      worst = Math.max(worst, Math.abs(share - dVector[j]!));
      scale = Math.max(scale, Math.abs(dVector[j]!));
    }
    assert.ok(scale > 0, 'the vector has a gradient');
    assert.ok(
      worst <= 1e-5 * scale + 1e-9,
      `dVector equals the embedding row's missing share (worst ${worst})`,
    );
  });

  it('a frozen decoder gives the same input gradient and no parameter gradient', () => {
    const model = tinyDecoder();
    const h = model.shape.hidden;
    const vector = Float32Array.from({ length: h }, (_, j) => Math.sin(j));
    const input = () => ({ ...batch(), vectors: { at: Int32Array.of(3), values: vector } });
    model.forward(input());
    const open = model.backward(Float32Array.from([1, 0.5]))!;
    model.freeze();
    for (const p of model.parameters()) p.zeroGrad();
    model.forward(input());
    const frozen = model.backward(Float32Array.from([1, 0.5]))!;
    assert.deepEqual(Array.from(frozen), Array.from(open));
    for (const p of model.parameters())
      assert.ok(
        p.grad.every((g) => g === 0),
        `${p.name} got no gradient`,
      );
  });

  it('the vector gradient matches central differences', () => {
    const model = tinyDecoder();
    const h = model.shape.hidden;
    const random = new Mulberry32(3);
    const vector = Float32Array.from({ length: h }, () => random.normal());
    const at = Int32Array.of(seq + 1);
    const score = (v: Float32Array) => model.forward({ ...batch(), vectors: { at, values: v } })[1]!;
    score(vector);
    const grad = model.backward(Float32Array.of(0, 1))!;
    for (const j of [0, 3, h - 1]) {
      const step = 1e-2;
      const up = vector.slice();
      up[j]! += step;
      const down = vector.slice();
      down[j]! -= step;
      const numeric = (score(up) - score(down)) / (2 * step);
      assert.ok(
        Math.abs(numeric - grad[j]!) <= 2e-2 * Math.max(1e-3, Math.abs(numeric)) + 1e-4,
        `d score / d v[${j}]: ${grad[j]} against ${numeric}`,
      );
    }
  });
});

describe('the item adapter', () => {
  it('its serving form computes what the module does', () => {
    const adapter = ItemAdapter.create(6, 5, 4, 7);
    const x = Float32Array.from({ length: 12 }, (_, i) => Math.cos(i));
    const y = adapter.forward(x, 2);
    const weights = adapter.weights();
    for (const r of [0, 1]) {
      const served = adaptItemVector(weights, x.subarray(r * 6, r * 6 + 6));
      for (let k = 0; k < 4; k++) assert.ok(Math.abs(served[k]! - y[r * 4 + k]!) < 1e-6);
    }
  });

  it('its gradients match central differences', () => {
    const adapter = ItemAdapter.create(6, 5, 4, 7);
    const x = Float32Array.from({ length: 6 }, (_, i) => Math.cos(i));
    const upstream = Float32Array.from([0.3, -0.2, 0.9, 0.1]);
    const loss = (input: Float32Array) =>
      adapter.forward(input, 1).reduce((s, v, k) => s + v * upstream[k]!, 0);
    loss(x);
    const dx = adapter.backward(upstream);
    const step = 1e-2;
    for (let i = 0; i < 6; i++) {
      const up = x.slice();
      up[i]! += step;
      const down = x.slice();
      down[i]! -= step;
      const numeric = (loss(up) - loss(down)) / (2 * step);
      assert.ok(Math.abs(numeric - dx[i]!) < 1e-3, `dx[${i}]: ${dx[i]} against ${numeric}`);
    }
    const w = adapter.inner.weight;
    const analytic = w.grad[2]!;
    const original = w.data[2]!;
    w.data[2] = original + step;
    const plus = loss(x);
    w.data[2] = original - step;
    const minus = loss(x);
    w.data[2] = original;
    assert.ok(Math.abs((plus - minus) / (2 * step) - analytic) < 1e-3, 'dW of the inner layer');
  });

  it('training moves the decoder reading vectors toward the decoder reading text', async () => {
    const decoder = tinyDecoder();
    const vocab = decoder.shape.vocabSize;
    const random = new Mulberry32(11);
    const token = () => Math.floor(random.next() * vocab);
    const lists = Array.from({ length: 4 }, () => ({
      prefix: [token(), token()],
      items: Array.from({ length: 4 }, () => {
        const textTokens = [token(), token(), token()];
        // The vector an item is known by: a fixed random map of its text, so the order is learnable.
        const vector = Float32Array.from(
          { length: 8 },
          (_, j) => Math.sin(textTokens[0]! * (j + 1)) + textTokens[1]! / vocab,
        );
        return { textTokens, vector };
      }),
    }));
    const result = await trainItemAdapter({
      decoder,
      suffix: [token()],
      lists,
      epochs: 30,
      listsPerStep: 2,
      learningRate: 1e-2,
      quiet: true,
    });
    assert.equal(result.steps, 60);
    assert.ok(
      result.lastEpoch.align < result.firstEpoch.align,
      `alignment loss falls: ${result.firstEpoch.align} → ${result.lastEpoch.align}`,
    );
    assert.ok(
      result.lastEpoch.distill < result.firstEpoch.distill,
      `distillation loss falls: ${result.firstEpoch.distill} → ${result.lastEpoch.distill}`,
    );
  });
});
