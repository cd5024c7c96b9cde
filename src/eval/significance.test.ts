// Checks the paired randomisation test and the paired t-test on hand-computed and obvious cases.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { xoshiro128ss } from '../util/index.js';
import type { EvalResult } from './metrics.js';
import { pairedTTest, perQueryScores, randomisationTest } from './significance.js';

const close = (actual: number, expected: number, tolerance: number): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
};

const scores = (values: readonly number[]): Record<string, number> =>
  Object.fromEntries(values.map((value, i) => [`q${i + 1}`, value]));

// Twenty queries where system A beats B on every one, by 0.1 to 0.4.
const better = scores(Array.from({ length: 20 }, (_, i) => 0.5 + ((i * 7) % 10) / 40 + 0.1));
const worse = scores(Array.from({ length: 20 }, (_, i) => 0.5 - ((i * 3) % 10) / 40));

describe('pairedTTest', () => {
  it('matches a hand-computed value', () => {
    // d = (3−2, 5−3, 7−4) = (1, 2, 3): mean 2, s² = ((−1)² + 0² + 1²) / 2 = 1, s = 1,
    // t = 2 / (1/√3) = 2√3 = 3.4641016, df = 2.
    // With df = 2, P(|T| ≥ t) = 1 − t/√(2 + t²) = 1 − √(12/14) = 1 − 0.9258201 = 0.0741799.
    const result = pairedTTest(scores([3, 5, 7]), scores([2, 3, 4]));
    close(result.t, 2 * Math.sqrt(3), 1e-12);
    assert.equal(result.df, 2);
    assert.equal(result.meanDifference, 2);
    close(result.pValue, 1 - Math.sqrt(6 / 7), 1e-12);
    close(result.pValue, 0.0741799, 1e-7);
  });

  it('is symmetric in the order of the systems', () => {
    const ab = pairedTTest(scores([0.2, 0.5, 0.9, 0.4]), scores([0.1, 0.7, 0.6, 0.3]));
    const ba = pairedTTest(scores([0.1, 0.7, 0.6, 0.3]), scores([0.2, 0.5, 0.9, 0.4]));
    close(ab.pValue, ba.pValue, 1e-15);
    close(ab.t, -ba.t, 1e-15);
  });

  it('handles zero variance and refuses too few queries', () => {
    assert.equal(pairedTTest(scores([0.3, 0.4]), scores([0.3, 0.4])).pValue, 1);
    assert.equal(pairedTTest(scores([0.5, 0.5]), scores([0, 0])).pValue, 0);
    assert.throws(
      () => pairedTTest(scores([1]), scores([0])),
      (error: unknown) => isSiftError(error, 'E_BAD_ARGUMENT'),
    );
  });
});

describe('randomisationTest', () => {
  it('detects an obvious difference', () => {
    const result = randomisationTest(better, worse);
    assert.equal(result.exact, false);
    assert.equal(result.permutations, 10_000);
    // Exact p is 2 / 2^20 ≈ 1.9e-6, so the estimate is the floor 1 / 10001.
    assert.ok(result.pValue < 0.01, `p = ${result.pValue}`);
    close(result.pValue, 1 / 10_001, 1e-15);
    assert.ok(pairedTTest(better, worse).pValue < 0.01);
  });

  it('gives p = 1 for identical runs', () => {
    assert.equal(randomisationTest(better, better).pValue, 1);
    assert.equal(randomisationTest(better, { ...better }, { permutations: 5 }).pValue, 1);
  });

  it('enumerates every sign assignment when that is cheaper, giving the exact p', () => {
    // d = (1, 2, 3): the 8 signed sums are ±6, ±4, ±2, 0, 0; |sum| ≥ 6 in 2 of 8, so p = 0.25.
    const result = randomisationTest(scores([3, 5, 7]), scores([2, 3, 4]));
    assert.equal(result.exact, true);
    assert.equal(result.permutations, 8);
    assert.equal(result.pValue, 0.25);
    // Queries with equal scores do not change the sums: still 0.25.
    assert.equal(randomisationTest(scores([3, 5, 7, 1, 1]), scores([2, 3, 4, 1, 1])).pValue, 0.25);
  });

  it('estimates close to the exact p and is reproducible for a seed', () => {
    const next = xoshiro128ss(99);
    const a = scores(Array.from({ length: 16 }, () => next() / 2 ** 32));
    const b = scores(Array.from({ length: 16 }, () => next() / 2 ** 32));
    const exact = randomisationTest(a, b, { permutations: 2 ** 16 });
    assert.equal(exact.exact, true);
    const estimate = randomisationTest(a, b);
    assert.equal(estimate.exact, false);
    // Monte Carlo standard error with 10,000 draws is at most 0.005; allow four of them.
    close(estimate.pValue, exact.pValue, 0.02);
    assert.equal(randomisationTest(a, b).pValue, estimate.pValue);
    // The query order of the maps does not matter for a fixed seed.
    const reversed = Object.fromEntries(Object.entries(a).reverse());
    assert.equal(randomisationTest(reversed, b).pValue, estimate.pValue);
  });

  it('refuses maps over different queries', () => {
    for (const other of [scores([1, 2]), { q1: 1, q2: 2, q4: 3 }]) {
      assert.throws(
        () => randomisationTest(scores([1, 2, 3]), other),
        (error: unknown) => isSiftError(error, 'E_BAD_ARGUMENT'),
      );
    }
  });
});

describe('perQueryScores', () => {
  it('pulls one metric out of a result', () => {
    const result: EvalResult = {
      metrics: { map: 0.5 },
      queries: 2,
      perQuery: { a: { map: 1 }, b: { map: 0 } },
    };
    assert.deepEqual(perQueryScores(result, 'map'), { a: 1, b: 0 });
    assert.throws(
      () => perQueryScores(result, 'ndcg@10'),
      (error: unknown) => isSiftError(error, 'E_BAD_ARGUMENT'),
    );
  });
});
