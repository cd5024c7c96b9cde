import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bruteForceTopK, randomUnitVectors } from '../../test/lib/random-vectors.js';
import { isSiftError } from '../errors.js';
import { type VectorDtype, VectorStore, type VectorStoreOptions } from '../index/index.js';
import { ExactKnn } from './exact-knn.js';
import type { ScoredOrdinal } from './top-k.js';

const D = 384;
const N = 5000;
const corpus = randomUnitVectors(N, D, 11);
const queries = randomUnitVectors(32, D, 12);
const engines: ExactKnn[] = [];
after(async () => {
  for (const engine of engines) await engine.release();
});

function build(options: Partial<VectorStoreOptions> = {}, rows = corpus, n = N) {
  // Small blocks and tiles, so a 5,000-row corpus spans several blocks and ends in a partial tile.
  const store = VectorStore.create(D, { modelId: 'test', blockRows: 1024, tileRows: 256, ...options });
  store.addBatch(rows.subarray(0, n * D), n);
  const knn = new ExactKnn(store, { intraOpThreads: 2 });
  engines.push(knn);
  return { store, knn };
}

/** The results are a correct top-k: the reference's scores position by position, and genuine, distinct rows. */
function assertTopK(actual: ScoredOrdinal[], expected: ScoredOrdinal[], score: (ord: number) => number) {
  assert.equal(actual.length, expected.length);
  const seen = new Set<number>();
  actual.forEach((hit, i) => {
    assert.ok(
      Math.abs(hit.score - expected[i]!.score) <= 1e-6,
      `rank ${i}: ${hit.score} vs ${expected[i]!.score}`,
    );
    assert.ok(Math.abs(hit.score - score(hit.ord)) <= 1e-9, `rank ${i}: score is not row ${hit.ord}'s`);
    assert.ok(!seen.has(hit.ord));
    seen.add(hit.ord);
  });
  // Away from near-ties the very same rows come back in the same order.
  const same = actual.filter((hit, i) => hit.ord === expected[i]!.ord).length;
  assert.ok(same >= actual.length - 2, `${same} of ${actual.length} ranks agree`);
}

function exactScore(q: number) {
  return (ord: number) => {
    let sum = 0;
    for (let j = 0; j < D; j++) sum += corpus[ord * D + j]! * queries[q * D + j]!;
    return sum;
  };
}

test('float32 equals a brute-force reference: k = 1, 10, 100; batch 1 and 32', async () => {
  const { knn } = build();
  for (const k of [1, 10, 100]) {
    const batch = await knn.search(queries, 32, k);
    for (let q = 0; q < 32; q++) {
      assertTopK(batch[q]!, bruteForceTopK(corpus, D, queries, q * D, k), exactScore(q));
    }
    const single = await knn.search(queries.subarray(5 * D, 6 * D), 1, k);
    assert.deepEqual(single[0], batch[5]);
  }
});

test('query batches larger than one run are split and stitched in order', async () => {
  const store = VectorStore.create(D, { modelId: 'test', blockRows: 1024 });
  store.addBatch(corpus, N);
  const knn = new ExactKnn(store, { intraOpThreads: 2, queryBatch: 5 });
  engines.push(knn);
  const results = await knn.search(queries, 32, 10);
  for (let q = 0; q < 32; q++)
    assertTopK(results[q]!, bruteForceTopK(corpus, D, queries, q * D, 10), exactScore(q));
});

test('deleted rows are never returned', async () => {
  const { store, knn } = build();
  const first = await knn.search(queries, 32, 10);
  const gone = new Set(first.flatMap((hits) => hits.slice(0, 3).map((hit) => hit.ord)));
  for (const ord of gone) store.delete(ord);
  const again = await knn.search(queries, 32, 10);
  for (let q = 0; q < 32; q++) {
    for (const hit of again[q]!) assert.ok(!gone.has(hit.ord));
    assertTopK(
      again[q]!,
      bruteForceTopK(corpus, D, queries, q * D, 10, (ord) => !gone.has(ord)),
      exactScore(q),
    );
  }
});

test('a filter bitmap is applied during the scan (broad filters in ORT, selective ones in JS)', async () => {
  const { store, knn } = build();
  store.delete(4);
  for (const keepEvery of [1, 2, 7, 997]) {
    const allowed = new Uint8Array(N - 100); // ordinals past the bitmap's end are excluded too
    for (let ord = 0; ord < allowed.length; ord += keepEvery) allowed[ord] = 1;
    const include = (ord: number) => ord < allowed.length && allowed[ord] === 1 && ord !== 4;
    const results = await knn.search(queries, 32, 20, { allowed });
    for (let q = 0; q < 32; q++) {
      for (const hit of results[q]!) assert.ok(include(hit.ord));
      assertTopK(results[q]!, bruteForceTopK(corpus, D, queries, q * D, 20, include), exactScore(q));
    }
  }
  const none = await knn.search(queries.subarray(0, 2 * D), 2, 5, { allowed: new Uint8Array(N) });
  assert.deepEqual(none, [[], []]);
});

test('rows appended after a search are searched too (the last block is re-wrapped)', async () => {
  const { store, knn } = build({}, corpus, 3000);
  await knn.search(queries, 32, 10);
  store.addBatch(corpus.subarray(3000 * D), N - 3000);
  const results = await knn.search(queries, 32, 10);
  for (let q = 0; q < 32; q++)
    assertTopK(results[q]!, bruteForceTopK(corpus, D, queries, q * D, 10), exactScore(q));
});

for (const [dtype, scales] of [
  ['int8', 'vector'],
  ['int8', 'dimension'],
  ['float16', undefined],
] as Array<[VectorDtype, 'vector' | 'dimension' | undefined]>) {
  test(`${dtype}${scales ? ` (${scales} scales)` : ''}: recall@10 against exact float32 is >= 0.99`, async () => {
    const { store, knn } = build({ dtype, ...(scales ? { scales } : {}) });
    store.delete(100);
    const results = await knn.search(queries, 32, 10);
    let found = 0;
    for (let q = 0; q < 32; q++) {
      const exact = new Set(
        bruteForceTopK(corpus, D, queries, q * D, 10, (ord) => ord !== 100).map((h) => h.ord),
      );
      for (const hit of results[q]!) {
        if (exact.has(hit.ord)) found++;
        assert.notEqual(hit.ord, 100);
        // Returned scores are exact for the returned rows (float16: exact for the stored half values).
        assert.ok(Math.abs(hit.score - exactScore(q)(hit.ord)) <= (dtype === 'float16' ? 2e-3 : 1e-9));
      }
      const scoresOrdered = results[q]!.every((hit, i, all) => i === 0 || all[i - 1]!.score >= hit.score);
      assert.ok(scoresOrdered);
    }
    assert.ok(found / (32 * 10) >= 0.99, `recall@10 ${found / 320}`);
    const filtered = await knn.search(queries.subarray(0, 4 * D), 4, 10, {
      allowed: new Uint8Array(N).fill(1, 0, 2500),
    });
    for (const hits of filtered) for (const hit of hits) assert.ok(hit.ord < 2500);
  });
}

test('int8 with rescore = k still returns k live rows, best first', async () => {
  const { knn } = build({ dtype: 'int8' });
  const results = await knn.search(queries.subarray(0, 3 * D), 3, 10, { rescore: 10 });
  for (const hits of results) assert.equal(hits.length, 10);
});

test('ties go to the lower ordinal', async () => {
  const rows = new Float32Array(3000 * D);
  rows.set(corpus.subarray(0, 3000 * D));
  const copy = corpus.subarray(17 * D, 18 * D);
  for (const ord of [2500, 40, 1999]) rows.set(copy, ord * D);
  const { knn } = build({}, rows, 3000);
  const [hits] = await knn.search(copy, 1, 4);
  assert.deepEqual(
    hits!.map((hit) => hit.ord),
    [17, 40, 1999, 2500],
  );
});

test('wrong query dimension, bad k and empty stores', async () => {
  const { knn } = build({}, corpus, 10);
  await assert.rejects(knn.search(new Float32Array(383), 1, 5), (error: unknown) => {
    return (
      isSiftError(error, 'E_VECTOR_DIMENSION') && /need 384 values, got 383/.test((error as Error).message)
    );
  });
  await assert.rejects(knn.search(queries.subarray(0, D), 1, -1), (error: unknown) =>
    isSiftError(error, 'E_BAD_ARGUMENT'),
  );
  assert.deepEqual(await knn.search(queries.subarray(0, D), 1, 0), [[]]);
  const small = await knn.search(queries.subarray(0, D), 1, 50);
  assert.equal(small[0]!.length, 10);
  const empty = new ExactKnn(VectorStore.create(D, { modelId: 'test' }));
  assert.deepEqual(await empty.search(queries.subarray(0, 2 * D), 2, 5), [[], []]);
});
