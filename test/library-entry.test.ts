// The package's library entry (package.json "main") is enough to index, search and evaluate.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Bm25Retriever, evaluateRun, SiftIndex } from '../src/index.js';

test('index, search and score a tiny collection through the public entry only', async () => {
  const index = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-lib-')));
  index.add({ id: 'a', title: 'Nurse', text: 'ward nurse, night shifts', metadata: {} });
  index.add({ id: 'b', title: 'Welder', text: 'steel frames', metadata: {} });
  index.add({ id: 'c', title: 'Cook', text: 'kitchen and menus', metadata: {} });
  const hits = await new Bm25Retriever(index).search({ query: 'night nurse', k: 10 });
  const run = new Map([['q1', hits.map((hit) => ({ docId: hit.id, score: hit.score }))]]);
  const result = evaluateRun(run, new Map([['q1', new Map([['a', 2]])]]));
  assert.equal(result.metrics['ndcg@10'], 1);
});
