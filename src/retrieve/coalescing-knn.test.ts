import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { randomUnitVectors } from '../../test/lib/random-vectors.js';
import { isSiftError } from '../errors.js';
import { VectorStore } from '../index/index.js';
import { CoalescingKnn } from './coalescing-knn.js';
import type { VectorSearcher } from './dense.js';
import { ExactKnn } from './exact-knn.js';
import type { ScoredOrdinal } from './top-k.js';

const D = 64;
const N = 6000;
const corpus = randomUnitVectors(N, D, 21);
const queries = randomUnitVectors(40, D, 22);
const store = VectorStore.create(D, { modelId: 'test', blockRows: 2048 });
store.addBatch(corpus, N);
const knn = new ExactKnn(store, { intraOpThreads: 2 });
after(() => knn.release());

const query = (q: number) => queries.subarray(q * D, (q + 1) * D);

/** Wraps a searcher and records the number of queries of each call it gets. */
function recording(inner: VectorSearcher) {
  const calls: number[] = [];
  const searcher: VectorSearcher = {
    search(vectors, numQueries, k, options) {
      calls.push(numQueries);
      return inner.search(vectors, numQueries, k, options);
    },
  };
  return { searcher, calls };
}

/** Same scores rank by rank (exact dot products), and the same rows away from near-ties. */
function assertSameTopK(actual: ScoredOrdinal[], expected: ScoredOrdinal[]) {
  assert.equal(actual.length, expected.length);
  actual.forEach((hit, i) => {
    assert.ok(
      Math.abs(hit.score - expected[i]!.score) <= 1e-6,
      `rank ${i}: ${hit.score} vs ${expected[i]!.score}`,
    );
  });
  const same = actual.filter((hit, i) => hit.ord === expected[i]!.ord).length;
  assert.ok(same >= actual.length - 2, `${same} of ${actual.length} ranks agree`);
}

test('searches issued together are scanned as one batch, and each gets its own top k', async () => {
  const { searcher, calls } = recording(knn);
  const batches: number[] = [];
  const coalescing = new CoalescingKnn(searcher, { onBatch: (n) => batches.push(n) });
  const answers = await Promise.all(Array.from({ length: 20 }, (_, q) => coalescing.search(query(q), 1, 10)));
  assert.deepEqual(calls, [20]);
  assert.deepEqual(batches, [20]);
  for (let q = 0; q < 20; q++) {
    assert.equal(answers[q]!.length, 1);
    const [alone] = await knn.search(query(q), 1, 10);
    assertSameTopK(answers[q]![0]!, alone!);
  }
});

test('a search issued alone is scanned alone: no query waits for company', async () => {
  const { searcher, calls } = recording(knn);
  const coalescing = new CoalescingKnn(searcher);
  for (let q = 0; q < 3; q++) {
    const [hits] = await coalescing.search(query(q), 1, 5);
    assert.equal(hits!.length, 5);
  }
  assert.deepEqual(calls, [1, 1, 1]);
});

test('a group that reaches maxBatch is scanned at once; the rest at the next turn', async () => {
  const { searcher, calls } = recording(knn);
  const coalescing = new CoalescingKnn(searcher, { maxBatch: 4 });
  const answers = await Promise.all(Array.from({ length: 10 }, (_, q) => coalescing.search(query(q), 1, 3)));
  assert.deepEqual(calls, [4, 4, 2]);
  assert.ok(answers.every(([hits]) => hits!.length === 3));
});

test('searches are grouped by k, and each gets exactly k results', async () => {
  const { searcher, calls } = recording(knn);
  const coalescing = new CoalescingKnn(searcher);
  const ks = [10, 100, 10, 100, 1, 10];
  const answers = await Promise.all(ks.map((k, q) => coalescing.search(query(q), 1, k)));
  assert.deepEqual(
    [...calls].sort((a, b) => a - b),
    [1, 2, 3],
  );
  answers.forEach(([hits], q) => {
    assert.equal(hits!.length, ks[q]);
  });
  const [alone] = await knn.search(query(1), 1, 100);
  assertSameTopK(answers[1]![0]!, alone!);
});

test('filtered searches are not batched, and their filter holds', async () => {
  const { searcher, calls } = recording(knn);
  const coalescing = new CoalescingKnn(searcher);
  const allowed = new Uint8Array(N);
  for (let ord = 0; ord < N; ord += 3) allowed[ord] = 1;
  const [filtered, plain] = await Promise.all([
    coalescing.search(query(0), 1, 10, { allowed }),
    coalescing.search(query(1), 1, 10),
  ]);
  assert.ok(filtered[0]!.every(({ ord }) => ord % 3 === 0));
  assert.equal(plain[0]!.length, 10);
  assert.deepEqual(calls, [1, 1]);
});

test('a query of the wrong dimension fails alone; the others in flight are answered', async () => {
  const coalescing = new CoalescingKnn(knn);
  const [good, bad, alsoGood] = await Promise.allSettled([
    coalescing.search(query(0), 1, 10),
    coalescing.search(new Float32Array(D + 1), 1, 10),
    coalescing.search(query(1), 1, 10),
  ]);
  assert.equal(good.status, 'fulfilled');
  assert.equal(alsoGood.status, 'fulfilled');
  assert.equal(bad.status, 'rejected');
  assert.ok(isSiftError(bad.reason) && bad.reason.code === 'E_VECTOR_DIMENSION');
});

test('an error from the scan reaches every query of its batch', async () => {
  const failing: VectorSearcher = {
    search: () => Promise.reject(new Error('scan failed')),
  };
  const coalescing = new CoalescingKnn(failing);
  const outcomes = await Promise.allSettled([0, 1, 2].map((q) => coalescing.search(query(q), 1, 10)));
  assert.ok(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'scan failed'));
});

test('with maxWaitMs, a query waits for later ones up to that long', async () => {
  const { searcher, calls } = recording(knn);
  const coalescing = new CoalescingKnn(searcher, { maxWaitMs: 30 });
  const first = coalescing.search(query(0), 1, 5);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = coalescing.search(query(1), 1, 5);
  await Promise.all([first, second]);
  assert.deepEqual(calls, [2]);
});
