import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inSplit, querySplit } from './query-split.js';

test('the split is a fixed function of the id, close to half and half', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `q${i}`);
  const train = ids.filter((id) => querySplit(id) === 'train').length;
  assert.ok(train > 900 && train < 1100, `${train} of 2000 on the training side`);
  assert.equal(querySplit('q7'), querySplit('q7'));
  // Pinned: changing the hash would silently move queries between sides and leak test labels.
  assert.deepEqual(
    ['1', '2', '3', '4', '5', '6'].map((id) => querySplit(id)),
    ['train', 'train', 'train', 'train', 'test', 'train'],
  );
});

test('inSplit keeps one side, or everything', () => {
  const items = Array.from({ length: 50 }, (_, i) => ({ id: String(i) }));
  const train = inSplit(items, 'train', (item) => item.id);
  const test_ = inSplit(items, 'test', (item) => item.id);
  assert.equal(train.length + test_.length, 50);
  assert.ok(train.every((item) => !test_.includes(item)));
  assert.equal(inSplit(items, 'all', (item) => item.id).length, 50);
});
