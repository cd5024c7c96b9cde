import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopKCollector } from './top-k.js';

test('keeps the k best of a stream, best first, ties to the lower ordinal', () => {
  const scores = [0.5, 0.9, 0.1, 0.9, 0.7, 0.3, 0.8];
  const collector = new TopKCollector(3);
  for (const [ord, score] of scores.entries()) collector.offer(ord, score);
  assert.deepEqual(collector.results(), [
    { ord: 1, score: 0.9 },
    { ord: 3, score: 0.9 },
    { ord: 6, score: 0.8 },
  ]);
});

test('matches a full sort on random input', () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const scores = Array.from({ length: 5000 }, () => Math.round(random() * 100) / 100);
  const collector = new TopKCollector(50);
  for (const [ord, score] of scores.entries()) collector.offer(ord, score);
  const expected = scores
    .map((score, ord) => ({ ord, score }))
    .sort((a, b) => b.score - a.score || a.ord - b.ord)
    .slice(0, 50);
  assert.deepEqual(collector.results(), expected);
});

test('k larger than the input returns everything; k = 0 returns nothing', () => {
  const big = new TopKCollector(10);
  big.offer(0, 1);
  big.offer(1, 2);
  assert.equal(big.results().length, 2);
  const none = new TopKCollector(0);
  none.offer(0, 1);
  assert.deepEqual(none.results(), []);
});
