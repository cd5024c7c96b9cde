// The Weaviate backend against a live cluster (3 nodes, 3 shards, RF 2 in CI), on synthetic job postings
// with random vectors (no model): filters admit exactly the documents sift's own filter admits, filtered
// kNN is exact, a collection for another dimension is refused before import, and an interrupted import
// resumes without duplicates.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAnalyzer } from '../src/analysis/index.js';
import { generateJobPostings } from '../src/demo/index.js';
import { isSiftError } from '../src/errors.js';
import {
  connectWeaviate,
  type RemoteDoc,
  type RemoteDocSource,
  WeaviateCollection,
  type WeaviateConnection,
} from '../src/remote/index.js';
import { compileFilter, type FilterSpec } from '../src/retrieve/index.js';
import { mulberry32 } from '../src/util/random.js';
import { clusterSuite } from './lib/weaviate-cluster.js';

const COUNT = 600;
const DIM = 16;
const analyzer = createAnalyzer();

function jobSource(corpus: string, dimension = DIM): RemoteDocSource {
  const postings = generateJobPostings({ seed: 7, count: COUNT });
  const random = mulberry32(0xc0ffee);
  const docs: RemoteDoc[] = postings.map((doc) => {
    const vector = new Float32Array(dimension);
    let norm = 0;
    for (let i = 0; i < dimension; i++) {
      vector[i] = random() * 2 - 1;
      norm += vector[i]! * vector[i]!;
    }
    for (let i = 0; i < dimension; i++) vector[i]! /= Math.sqrt(norm);
    return { ...doc, titleTerms: analyzer.analyze(doc.title), textTerms: analyzer.analyze(doc.text), vector };
  });
  return { corpus, count: docs.length, docs: () => docs };
}

const FILTERS: FilterSpec[] = [
  { seniority: 'senior' },
  { seniority: 'SENIOR ' },
  { seniority: { in: ['junior', 'mid'] } },
  { workplace: 'on-site', salaryMin: { gte: 60000 } },
  { salaryMax: { gt: 90000, lte: 150000 } },
  { skills: 'python' },
  { skills: { in: ['sql', 'excel'] }, postedDaysAgo: { lt: 10 } },
  { salaryMin: 60000 },
  { salaryMin: '60000' },
  { noSuchField: 'x' },
  { company: { gte: 3 } },
];

clusterSuite('weaviate backend (live cluster)', (url) => {
  let connection: WeaviateConnection;
  const made: WeaviateCollection[] = [];
  const suffix = `${process.pid}_${Date.now()}`;

  before(async () => {
    connection = await connectWeaviate(url);
  });
  after(async () => {
    for (const collection of made) await collection.drop().catch(() => {});
    await connection?.close();
  });

  const ensure = async (name: string, source: RemoteDocSource, dimension = DIM) => {
    const collection = await WeaviateCollection.ensure(connection, source, {
      name,
      embedder: 'random',
      dimension,
      analyzer: analyzer.config,
      bm25: { k1: 1.2, b: 0.75 },
    });
    made.push(collection);
    return collection;
  };

  test('filters admit exactly the documents sift admits, and filtered kNN is exact', async () => {
    const source = jobSource('jobs');
    const collection = await ensure(`SiftTest_filters_${suffix}`, source);
    await collection.importFrom(source, { quiet: true });
    const docs = [...(source.docs() as RemoteDoc[])];
    const query = docs[3]!.vector;
    for (const filter of FILTERS) {
      const admits = compileFilter(filter)!;
      const expected = docs.filter((doc) => admits(doc.metadata));
      const hits = await collection.nearVector(query, COUNT, filter);
      assert.deepEqual(
        hits.map((hit) => hit.id).sort(),
        expected.map((doc) => doc.id).sort(),
        `filter ${JSON.stringify(filter)}`,
      );
      const exact = expected
        .map((doc) => ({ id: doc.id, score: dot(doc.vector, query) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
      const top = await collection.nearVector(query, 10, filter);
      assert.deepEqual(
        top.map((hit) => hit.id),
        exact.map((hit) => hit.id),
        `top 10 under ${JSON.stringify(filter)}`,
      );
    }
  });

  test('a collection for another dimension is refused before anything is imported', async () => {
    const name = `SiftTest_schema_${suffix}`;
    const source = jobSource('jobs');
    const collection = await ensure(name, source);
    await collection.importFrom(source, { quiet: true });
    const other = jobSource('jobs', DIM * 2);
    await assert.rejects(
      () => ensure(name, other, DIM * 2),
      (error) => isSiftError(error, 'E_BACKEND_SCHEMA') && /dimension/.test(error.message),
    );
    assert.equal(await collection.count(), COUNT);
  });

  test('an interrupted import resumes without duplicates, and a repeated one writes nothing', async () => {
    const source = jobSource('jobs');
    const collection = await ensure(`SiftTest_resume_${suffix}`, source);
    const abort = new AbortController();
    abort.abort();
    const first = await collection.importFrom(source, { quiet: true, batchSize: 50, signal: abort.signal });
    assert.equal(first.imported, 50);
    assert.equal(await collection.count(), 50);
    const resumed = await collection.importFrom(source, { quiet: true, batchSize: 50 });
    assert.deepEqual([resumed.imported, resumed.skipped], [COUNT - 50, 50]);
    const again = await collection.importFrom(source, { quiet: true });
    assert.equal(again.imported, 0);
    assert.equal(await collection.count(), COUNT);
    assert.equal((await collection.storedUuids()).size, COUNT);
  });
});

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
