// Dense and hybrid retrieval end to end with the real all-MiniLM-L6-v2 (pulled into SIFT_HOME by
// `sift models pull`, as .ci/run does) on 40 real Cranfield documents.

import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { embedDocuments } from '../src/index/embed.js';
import { SiftIndex } from '../src/index/sift-index.js';
import type { Doc } from '../src/ingest/types.js';
import { openEmbedder } from '../src/models/open-embedder.js';
import type { Encoder } from '../src/models/types.js';
import { openRetriever } from '../src/search/index.js';

const SHARED = process.env.SIFT_SHARED ?? '../shared';
let encoder: Encoder;
let docs: Doc[];

before(async () => {
  encoder = await openEmbedder('all-minilm-l6-v2', { quiet: true });
  const lines = (await readFile(join(SHARED, 'data', 'cranfield', 'corpus.jsonl'), 'utf8'))
    .split('\n')
    .slice(0, 40);
  docs = lines.map((line) => {
    const record = JSON.parse(line) as { _id: string; title: string; text: string };
    return {
      id: record._id,
      title: record.title,
      text: record.text,
      metadata: { even: Number(record._id) % 2 === 0 },
    };
  });
});
after(() => encoder.release());

async function freshIndex(): Promise<SiftIndex> {
  const index = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-dense-')));
  for (const doc of docs) index.add(doc);
  await index.commit();
  return index;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

test('dense search returns exactly the documents nearest to the query embedding, filters included', async () => {
  const index = await freshIndex();
  const { retriever, release } = await openRetriever(index, { mode: 'dense', quiet: true });
  const query = 'heat transfer in the laminar boundary layer';
  const hits = await retriever.search({ query, k: 5 });
  // Brute force over the encoder's own vectors of every document.
  const q = await encoder.encode([query], 'query');
  const matrix = await encoder.encode(
    docs.map((doc) => `${doc.title} ${doc.text}`),
    'document',
  );
  const expected = docs
    .map((doc, i) => ({ id: doc.id, score: cosine(q, matrix.subarray(i * 384, (i + 1) * 384)) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 5);
  assert.deepEqual(
    hits.map((hit) => hit.id),
    expected.map((hit) => hit.id),
  );
  for (const [i, hit] of hits.entries()) assert.ok(Math.abs(hit.score - expected[i]!.score) < 1e-4);

  const filtered = await retriever.search({ query, k: 5, filter: { even: true } });
  assert.equal(filtered.length, 5);
  assert.ok(filtered.every((hit) => Number(hit.id) % 2 === 0));
  await release();
});

test('an interrupted embedding job resumes where its last checkpoint left off', async () => {
  const index = await freshIndex();
  let calls = 0;
  const failing: Encoder = {
    ...encoder,
    id: encoder.id,
    dimension: encoder.dimension,
    normalized: encoder.normalized,
    async encode(texts, role) {
      if (++calls === 2) throw new Error('killed');
      return encoder.encode(texts, role);
    },
  };
  await assert.rejects(
    embedDocuments(index, failing, { batchSize: 10, checkpointSeconds: 0, quiet: true }),
    /killed/,
  );

  const reopened = await SiftIndex.open(index.dir);
  assert.equal(reopened.vectors(encoder.id)?.rows, 10);
  const resumed = await embedDocuments(reopened, encoder, { batchSize: 10, quiet: true });
  assert.equal(resumed.embedded, 30);
  const complete = await SiftIndex.open(index.dir);
  assert.equal(complete.vectors(encoder.id)?.rows, 40);
  const again = await embedDocuments(complete, encoder, { quiet: true });
  assert.equal(again.embedded, 0);
});

test('deleted documents never come back from dense or hybrid search', async () => {
  const index = await freshIndex();
  const { retriever, release } = await openRetriever(index, { mode: 'hybrid', quiet: true });
  const query = 'slipstream wing propeller';
  const before = await retriever.search({ query, k: 3 });
  index.delete(before[0]!.id);
  const afterDelete = await retriever.search({ query, k: 3 });
  assert.ok(!afterDelete.some((hit) => hit.id === before[0]!.id));
  await index.commit();
  const reopened = await SiftIndex.open(index.dir);
  const dense = await openRetriever(reopened, { mode: 'dense', quiet: true });
  const afterReopen = await dense.retriever.search({ query, k: 3 });
  assert.ok(!afterReopen.some((hit) => hit.id === before[0]!.id));
  await Promise.all([release(), dense.release()]);
});
