import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAnalyzer } from '../analysis/index.js';
import { isSiftError } from '../errors.js';
import { SiftIndex } from '../index/index.js';
import { Bm25Retriever } from './bm25.js';

const DOCS = [
  { id: 'a', title: '', text: 'nurse nurse clinic', metadata: { city: 'Oslo', salary: 50 } },
  { id: 'b', title: '', text: 'nurse hospital night shift work', metadata: { city: 'Lima', salary: 70 } },
  { id: 'c', title: '', text: 'welder', metadata: { city: 'Oslo', salary: 60 } },
];

async function indexOf(docs: ReadonlyArray<Parameters<SiftIndex['add']>[0]>): Promise<SiftIndex> {
  const index = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-bm25-')), {
    analyzer: createAnalyzer({ stem: false }),
  });
  for (const doc of docs) index.add(doc);
  return index;
}

test('scores follow Lucene BM25 on a single field, computed by hand', async () => {
  // Only the text field counts (title weight 0). N = 3, df(nurse) = 2, avgdl = (3 + 5 + 1) / 3 = 3.
  // idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6)
  // doc a: tf 2, dl 3 → tf̃ = 2 / (0.25 + 0.75 · 3/3) = 2;        score = idf · 2 / (1.2 + 2)
  // doc b: tf 1, dl 5 → tf̃ = 1 / (0.25 + 0.75 · 5/3) = 1 / 1.5; score = idf · tf̃ / (1.2 + tf̃)
  const index = await indexOf(DOCS);
  const retriever = new Bm25Retriever(index, { fieldWeights: { title: 0, text: 1 } });
  const hits = await retriever.search({ query: 'nurse', k: 10 });
  const idf = Math.log(1.6);
  const tfB = 1 / 1.5;
  assert.deepEqual(
    hits.map((hit) => hit.id),
    ['a', 'b'],
  );
  assert.ok(Math.abs(hits[0]!.score - (idf * 2) / 3.2) < 1e-6);
  assert.ok(Math.abs(hits[1]!.score - (idf * tfB) / (1.2 + tfB)) < 1e-6);
});

test('BM25F counts a term once across fields: a title match adds within the same saturation', async () => {
  const index = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-bm25f-')));
  index.add({ id: 'titled', title: 'nurse', text: 'clinic work', metadata: {} });
  index.add({ id: 'plain', title: 'clinic', text: 'nurse work', metadata: {} });
  index.add({ id: 'other', title: 'welder', text: 'metal work', metadata: {} });
  const equal = await new Bm25Retriever(index, { combination: 'bm25f' }).search({ query: 'nurse', k: 3 });
  assert.equal(equal.length, 2);
  const boosted = await new Bm25Retriever(index, {
    combination: 'bm25f',
    fieldWeights: { title: 3, text: 1 },
  }).search({ query: 'nurse', k: 3 });
  assert.equal(boosted[0]!.id, 'titled');
  assert.ok(boosted[0]!.score > boosted[1]!.score);
});

test('filters apply during the scan, so k results still come back when the best matches are filtered out', async () => {
  const index = await indexOf(DOCS);
  const retriever = new Bm25Retriever(index);
  const hits = await retriever.search({
    query: 'nurse welder',
    k: 1,
    filter: { city: 'oslo', salary: { gte: 55 } },
  });
  assert.deepEqual(
    hits.map((hit) => hit.id),
    ['c'],
  );
});

test('deleted documents never come back and stop counting in statistics', async () => {
  const index = await indexOf(DOCS);
  index.delete('a');
  const hits = await new Bm25Retriever(index).search({ query: 'nurse', k: 10 });
  assert.deepEqual(
    hits.map((hit) => hit.id),
    ['b'],
  );
  const fresh = await indexOf(DOCS.filter((doc) => doc.id !== 'a'));
  const expected = await new Bm25Retriever(fresh).search({ query: 'nurse', k: 10 });
  assert.equal(hits[0]!.score, expected[0]!.score);
});

test('queries with no known terms return nothing; invalid parameters are refused', async () => {
  const index = await indexOf(DOCS);
  assert.deepEqual(await new Bm25Retriever(index).search({ query: 'the of', k: 10 }), []);
  assert.throws(
    () => new Bm25Retriever(index, { b: 2 }),
    (error) => isSiftError(error, 'E_BAD_ARGUMENT'),
  );
  assert.throws(
    () => new Bm25Retriever(index, { k1: -1 }),
    (error) => isSiftError(error, 'E_BAD_ARGUMENT'),
  );
});

test('best-fields takes the best field plus tieBreaker times the others; most-fields sums them', async () => {
  const index = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-fields-')), {
    analyzer: createAnalyzer({ stem: false }),
  });
  index.add({ id: 'both', title: 'nurse', text: 'nurse clinic', metadata: {} });
  index.add({ id: 'x', title: 'welder', text: 'metal shop', metadata: {} });
  index.add({ id: 'y', title: 'cook', text: 'kitchen', metadata: {} });
  // Per field (Lucene): N_f = 3 documents have each field, df_f(nurse) = 1 in both.
  const idf = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5));
  // title: len 1, avglen 1 → tf / (tf + k1) = 1 / 2.2; text: len 2, avglen 5/3 → norm 0.25 + 0.75 · 1.2.
  const title = idf / 2.2;
  const text = idf / (1 + 1.2 * (0.25 + 0.75 * (2 / (5 / 3))));
  const best = await new Bm25Retriever(index).search({ query: 'nurse', k: 1 });
  assert.ok(Math.abs(best[0]!.score - (Math.max(title, text) + 0.5 * Math.min(title, text))) < 1e-6);
  const most = await new Bm25Retriever(index, { combination: 'most-fields' }).search({
    query: 'nurse',
    k: 1,
  });
  assert.ok(Math.abs(most[0]!.score - (title + text)) < 1e-6);
});

test('flat scores title + text as one Lucene field: the same as indexing their concatenation', async () => {
  const docs = [
    { id: 'a', title: 'night nurse', text: 'nurse for the clinic night shift', metadata: {} },
    { id: 'b', title: 'welder', text: 'metal work, some nurse training', metadata: {} },
    { id: 'c', title: 'cook', text: 'kitchen', metadata: {} },
  ];
  const flat = await new Bm25Retriever(await indexOf(docs), { combination: 'flat' }).search({
    query: 'night nurse',
    k: 3,
  });
  const joined = await indexOf(docs.map((d) => ({ ...d, title: '', text: `${d.title} ${d.text}` })));
  const single = await new Bm25Retriever(joined).search({ query: 'night nurse', k: 3 });
  assert.deepEqual(
    flat.map((hit) => hit.id),
    single.map((hit) => hit.id),
  );
  for (const [i, hit] of flat.entries()) assert.ok(Math.abs(hit.score - single[i]!.score) < 1e-6);
  // A title weight of 2 counts the title twice, in its term frequencies and in the length.
  const twice = await indexOf(
    docs.map((d) => ({ ...d, title: '', text: `${d.title} ${d.title} ${d.text}` })),
  );
  const weighted = await new Bm25Retriever(await indexOf(docs), {
    combination: 'flat',
    fieldWeights: { title: 2, text: 1 },
  }).search({ query: 'night nurse', k: 3 });
  const repeated = await new Bm25Retriever(twice).search({ query: 'night nurse', k: 3 });
  for (const [i, hit] of weighted.entries()) assert.ok(Math.abs(hit.score - repeated[i]!.score) < 1e-6);
});
