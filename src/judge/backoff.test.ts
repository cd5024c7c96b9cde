import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, retryAfterMs } from './backoff.js';
import { RequestLimiter } from './request-limiter.js';

test('backoff doubles up to its ceiling, scaled by the jitter draw', () => {
  assert.equal(
    backoffMs(1, 500, 30_000, () => 1),
    500,
  );
  assert.equal(
    backoffMs(3, 500, 30_000, () => 1),
    2000,
  );
  assert.equal(
    backoffMs(20, 500, 30_000, () => 1),
    30_000,
  );
  assert.equal(
    backoffMs(3, 500, 30_000, () => 0.5),
    1000,
  );
  assert.equal(
    backoffMs(3, 500, 30_000, () => 0),
    0,
  );
});

test('Retry-After is read as seconds, an HTTP date, or retry-after-ms', () => {
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '2' })), 2000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '2' })), 150);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' })), undefined);
  assert.equal(retryAfterMs(new Headers()), undefined);
});

test('the limiter never lets more than maxConcurrency calls run at once', async () => {
  const limiter = new RequestLimiter({ maxConcurrency: 2 });
  let running = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const release = await limiter.acquire();
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      release();
    }),
  );
  assert.equal(peak, 2);
});

test('a waiting acquire can be aborted', async () => {
  const limiter = new RequestLimiter({ maxConcurrency: 1 });
  const release = await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  controller.abort(new Error('gone'));
  await assert.rejects(waiting, /gone/);
  release();
  (await limiter.acquire())();
});

test('requestsPerSecond spaces call starts evenly, and pause holds every start', async () => {
  // A virtual clock: sleeping advances time, so the schedule is checked exactly, with no timing.
  let now = 1_000;
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  const limiter = new RequestLimiter({ requestsPerSecond: 50 }, clock);
  const starts: number[] = [];
  for (let i = 0; i < 6; i++) {
    const release = await limiter.acquire();
    starts.push(now);
    release();
  }
  assert.deepEqual(
    starts.map((t) => t - 1_000),
    [0, 20, 40, 60, 80, 100],
  );
  limiter.pause(500);
  const before = now;
  (await limiter.acquire())();
  assert.equal(now - before, 500);
});
