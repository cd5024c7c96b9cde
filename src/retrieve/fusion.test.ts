import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuse } from './fusion.js';

const hits = (ids: string[], scores?: number[]) =>
  ids.map((id, i) => ({ id, ord: id.charCodeAt(0), score: scores?.[i] ?? 10 - i }));

test('RRF sums 1/(k + rank) over the lists that hold a document', () => {
  const fused = fuse([
    { name: 'bm25', hits: hits(['a', 'b', 'c']) },
    { name: 'dense', hits: hits(['c', 'a']) },
  ]);
  // a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62.
  assert.deepEqual(
    fused.map((hit) => hit.id),
    ['a', 'c', 'b'],
  );
  assert.ok(Math.abs(fused[0]!.score - (1 / 61 + 1 / 62)) < 1e-12);
  assert.deepEqual(fused[1]!.stages, { bm25: 8, dense: 10 });
});

test('weighted fusion min–max normalises each list before weighting', () => {
  const fused = fuse(
    [
      { name: 'bm25', hits: hits(['a', 'b', 'c'], [30, 20, 10]), weight: 0.3 },
      { name: 'dense', hits: hits(['c', 'b'], [0.9, 0.5]), weight: 0.7 },
    ],
    { method: 'weighted' },
  );
  // a: 0.3·1 = 0.3; b: 0.3·0.5 + 0.7·0 = 0.15; c: 0.3·0 + 0.7·1 = 0.7.
  assert.deepEqual(
    fused.map((hit) => [hit.id, Number(hit.score.toFixed(6))]),
    [
      ['c', 0.7],
      ['a', 0.3],
      ['b', 0.15],
    ],
  );
});

test('empty lists fuse to nothing and a single list keeps its order', () => {
  assert.deepEqual(fuse([]), []);
  assert.deepEqual(
    fuse([{ name: 'bm25', hits: hits(['x', 'y']) }]).map((hit) => hit.id),
    ['x', 'y'],
  );
});
