import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError, SiftError } from '../errors.js';
import { DynamicBatcher } from './batcher.js';

/** A runner that records each batch and answers item × 10, released by hand. */
function gatedRunner() {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) => releases.push(() => resolve(items.map((i) => i * 10))));
  };
  return { batches, releases, run };
}

test('items that arrive while a batch runs are gathered into the next batch, up to maxBatch', async () => {
  const { batches, releases, run } = gatedRunner();
  const sizes: number[] = [];
  const batcher = new DynamicBatcher<number, number>(
    { name: 't', maxBatch: 3, maxWaitMs: 0, maxQueue: 100, onBatch: (n) => sizes.push(n) },
    run,
  );
  const results = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
  assert.deepEqual(batches, [[1]]);
  releases[0]!();
  await results[0];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
  releases[1]!();
  await new Promise((resolve) => setImmediate(resolve));
  releases[2]!();
  assert.deepEqual(await Promise.all(results), [10, 20, 30, 40, 50]);
  assert.deepEqual(batches, [[1], [2, 3, 4], [5]]);
  assert.deepEqual(sizes, [1, 3, 1]);
});

test('maxWait lets a batch fill before it runs; a full batch runs at once', async () => {
  const { batches, releases, run } = gatedRunner();
  const batcher = new DynamicBatcher<number, number>(
    { name: 't', maxBatch: 2, maxWaitMs: 10_000, maxQueue: 10 },
    run,
  );
  const a = batcher.submit(1);
  assert.deepEqual(batches, [], 'waits for company');
  const b = batcher.submit(2);
  assert.deepEqual(batches, [[1, 2]], 'full: runs without waiting');
  releases[0]!();
  assert.deepEqual(await Promise.all([a, b]), [10, 20]);
});

test('a full queue refuses at once with E_OVERLOADED', async () => {
  const { releases, run } = gatedRunner();
  const batcher = new DynamicBatcher<number, number>(
    { name: 't', maxBatch: 1, maxWaitMs: 0, maxQueue: 1 },
    run,
  );
  const running = batcher.submit(1);
  const queued = batcher.submit(2);
  await assert.rejects(batcher.submit(3), (error) => isSiftError(error, 'E_OVERLOADED'));
  releases[0]!();
  await running;
  await new Promise((resolve) => setImmediate(resolve));
  releases[1]!();
  assert.equal(await queued, 20);
});

test('an aborted item leaves the queue with its abort reason and never reaches the runner', async () => {
  const { batches, releases, run } = gatedRunner();
  const batcher = new DynamicBatcher<number, number>(
    { name: 't', maxBatch: 4, maxWaitMs: 0, maxQueue: 10 },
    run,
  );
  const first = batcher.submit(1);
  const controller = new AbortController();
  const abandoned = batcher.submit(2, controller.signal);
  const kept = batcher.submit(3);
  controller.abort(new SiftError('E_CANCELLED', 'client gone'));
  await assert.rejects(abandoned, (error) => isSiftError(error, 'E_CANCELLED'));
  assert.equal(batcher.depth, 1);
  releases[0]!();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  releases[1]!();
  assert.equal(await kept, 30);
  assert.deepEqual(batches, [[1], [3]]);
});

test('weights bound a batch by total weight; a runner failure rejects every item of its batch', async () => {
  const seen: string[][] = [];
  const batcher = new DynamicBatcher<string, number>(
    { name: 't', maxBatch: 5, maxWaitMs: 0, maxQueue: 10 },
    async (items) => {
      seen.push(items);
      if (items.includes('bad')) throw new SiftError('E_INTERNAL', 'boom');
      return items.map((item) => item.length);
    },
    (item) => item.length,
  );
  const results = ['aaaa', 'bb', 'ccc', 'bad'].map((item) =>
    batcher.submit(item).catch((error: unknown) => error),
  );
  const settled = await Promise.all(results);
  assert.deepEqual(seen, [['aaaa'], ['bb', 'ccc'], ['bad']]);
  assert.deepEqual(settled.slice(0, 3), [4, 2, 3]);
  assert.ok(isSiftError(settled[3], 'E_INTERNAL'));
});

test('high-priority items go ahead of low ones and never share their batch; low batches are small', async () => {
  const { batches, releases, run } = gatedRunner();
  const batcher = new DynamicBatcher<number, number>(
    { name: 't', maxBatch: 8, maxWaitMs: 0, maxQueue: 100, lowMaxBatch: 2 },
    run,
  );
  const first = batcher.submit(0);
  const low = [1, 2, 3].map((i) => batcher.submit(i, undefined, 'low'));
  const high = [4, 5].map((i) => batcher.submit(i));
  for (let i = 0; i < 4; i++) {
    releases[i]!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(await Promise.all([first, ...low, ...high]), [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(batches, [[0], [4, 5], [1, 2], [3]]);
});

test('maxItems 1 runs items one by one without waiting, and a queued one can still be withdrawn', async () => {
  const { batches, releases, run } = gatedRunner();
  // A long maxWait would hold a lone item; with maxItems 1 it is a full batch at once.
  const batcher = new DynamicBatcher<number, number>(
    { name: 't', maxBatch: 100, maxWaitMs: 60_000, maxQueue: 100, maxItems: 1 },
    run,
    () => 5,
  );
  const first = batcher.submit(1);
  assert.deepEqual(batches, [[1]]);
  const controller = new AbortController();
  const withdrawn = batcher.submit(2, controller.signal);
  const third = batcher.submit(3);
  controller.abort(new SiftError('E_TIMEOUT', 'its budget ended'));
  await assert.rejects(withdrawn, (error) => isSiftError(error, 'E_TIMEOUT'));
  releases[0]!();
  assert.equal(await first, 10);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [[1], [3]], 'the withdrawn item never reached the runner; no batch of two');
  releases[1]!();
  assert.equal(await third, 30);
});
