import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpeedEstimate } from './speed-estimate.js';

test('a steady ranker converges to its cost, and the cautious cost to the same', () => {
  const speed = new SpeedEstimate(100);
  for (let i = 0; i < 60; i++) speed.update(400, 4);
  assert.ok(Math.abs(speed.expectedMs - 100) < 1e-9);
  assert.ok(speed.cautiousMs - 100 < 1e-6, `deviation decays when nothing varies: ${speed.cautiousMs}`);
});

test('a ranker whose cost varies is allowed more than its mean under a budget', () => {
  const speed = new SpeedEstimate(100);
  for (let i = 0; i < 60; i++) speed.update(i % 2 === 0 ? 60 : 140, 1);
  assert.ok(Math.abs(speed.expectedMs - 100) < 15, `mean ${speed.expectedMs}`);
  // The deviation tends to the mean absolute error (about 40 here): the cautious cost covers a slow chunk.
  assert.ok(speed.cautiousMs >= 140, `cautious ${speed.cautiousMs}`);
});

test('one slow measurement raises the mean by a fraction of the surprise and the margin more', () => {
  const speed = new SpeedEstimate(100);
  for (let i = 0; i < 60; i++) speed.update(100, 1);
  speed.update(300, 1);
  assert.ok(Math.abs(speed.expectedMs - 160) < 1e-6);
  assert.ok(speed.cautiousMs > 160 + 2 * 50, `cautious ${speed.cautiousMs}`);
});
