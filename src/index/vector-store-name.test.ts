import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VectorStore } from './vector-store.js';

test('distinct model ids get distinct vector file names', () => {
  const names = ['all-minilm-l6-v2', 'all-minilm-l6-v2:int8', 'all-minilm-l6-v2-int8'].map(
    (modelId) => VectorStore.create(4, { modelId }).fileName,
  );
  assert.equal(new Set(names).size, 3);
  assert.ok(names.every((name) => /^vectors-[a-z0-9@._-]+\.sidx$/.test(name)));
});
