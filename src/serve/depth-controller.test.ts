import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DepthController } from './depth-controller.js';

test('before any measurement the depth is the ceiling; after, what fits the budget', () => {
  const controller = new DepthController({ floor: 10, ceiling: 250, workers: 1 });
  assert.equal(controller.depth(500, 1), 250);
  // 2 ms per candidate, on time: 0.8 × 500 / 2 = 200 candidates fit one request.
  controller.observe({ scored: 100, scoringMs: 200, latencyMs: 400, budgetMs: 500 });
  assert.equal(controller.depth(500, 1), 200);
});

test('depth falls as load rises, and never leaves [floor, ceiling]', () => {
  const controller = new DepthController({ floor: 10, ceiling: 250, workers: 1 });
  controller.observe({ scored: 100, scoringMs: 100, latencyMs: 400, budgetMs: 500 });
  const depths = [1, 2, 4, 8, 64].map((inFlight) => controller.depth(500, inFlight));
  for (let i = 1; i < depths.length; i++) assert.ok(depths[i]! <= depths[i - 1]!, depths.join(' '));
  assert.equal(depths[0], 250);
  assert.equal(depths.at(-1), 10);
});

test('latency over the budget trims the depth (PID), latency under it lets it recover', () => {
  const controller = new DepthController({ floor: 1, ceiling: 1000, workers: 1 });
  controller.observe({ scored: 100, scoringMs: 200, latencyMs: 400, budgetMs: 500 });
  const onTime = controller.depth(500, 2);
  for (let i = 0; i < 5; i++)
    controller.observe({ scored: 50, scoringMs: 100, latencyMs: 900, budgetMs: 500 });
  const late = controller.depth(500, 2);
  assert.ok(late < onTime, `${late} < ${onTime}`);
  for (let i = 0; i < 10; i++)
    controller.observe({ scored: 50, scoringMs: 100, latencyMs: 100, budgetMs: 500 });
  assert.ok(controller.depth(500, 2) > late);
});
