import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScoringCost } from './scoring-cost.js';

test('nothing is predicted before the first measurement', () => {
  const cost = new ScoringCost();
  assert.equal(cost.predict(1, 100), undefined);
  assert.equal(cost.cautious(1, 100), undefined);
});

test('a fixed part per candidate and a part per token are told apart', () => {
  // ms = 40 per candidate + 1.2 per token, as a decoder whose documents vary in length.
  const cost = new ScoringCost();
  for (const [k, t] of [
    [1, 60],
    [1, 256],
    [2, 300],
    [1, 140],
    [3, 500],
    [1, 256],
  ] as const)
    cost.observe(k, t, 40 * k + 1.2 * t);
  assert.ok(Math.abs(cost.predict(1, 60)! - 112) < 0.5, String(cost.predict(1, 60)));
  assert.ok(Math.abs(cost.predict(4, 1000)! - 1360) < 2, String(cost.predict(4, 1000)));
  // An exact model has never under-predicted: no margin.
  assert.ok(Math.abs(cost.cautious(1, 256)! - cost.predict(1, 256)!) < 0.5);
});

test('under-predictions widen the margin, and it narrows again when they stop', () => {
  const cost = new ScoringCost();
  cost.observe(1, 100, 100);
  const exact = cost.cautious(1, 100)!;
  for (const ms of [150, 100, 160, 100]) cost.observe(1, 100, ms);
  const widened = cost.cautious(1, 100)! / cost.predict(1, 100)!;
  assert.ok(widened > 1.1, `margin ${widened}`);
  for (let i = 0; i < 40; i++) cost.observe(1, 100, 100);
  const narrowed = cost.cautious(1, 100)! / cost.predict(1, 100)!;
  assert.ok(narrowed < 1.02, `margin ${narrowed}`);
  assert.ok(Math.abs(exact - 100) < 1e-9);
});

test('a ranker that reports no tokens (one per candidate) gets a cost per candidate', () => {
  const cost = new ScoringCost();
  cost.observe(1, 1, 100);
  cost.observe(3, 3, 300);
  assert.ok(Math.abs(cost.predict(5, 5)! - 500) < 1e-6);
});

test('a speed change is followed within a few chunks', () => {
  const cost = new ScoringCost();
  for (let i = 0; i < 20; i++) cost.observe(1, 200, 200);
  for (let i = 0; i < 20; i++) cost.observe(1, 200, 400);
  assert.ok(cost.predict(1, 200)! > 350, String(cost.predict(1, 200)));
});
