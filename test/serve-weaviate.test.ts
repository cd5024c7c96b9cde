// `sift serve --backend weaviate` against a live cluster (3 nodes, 3 shards, RF 2 in CI), beside a local
// server over the same synthetic postings: dense answers (exact flat kNN) and filtered answers match the
// local engine's; BM25 is scored per shard, so its hits are checked to match the query and its best to be
// among the local ten best; a write reaches the cluster before it is answered and a delete removes it
// there; /v1/info names the collection.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isSiftError } from '../src/errors.js';
import { connectWeaviate, WeaviateCollection } from '../src/remote/index.js';
import type { RunningServer } from '../src/serve/index.js';
import { API_KEY, request, startTestServer, tempHome } from './lib/serve-harness.js';
import { clusterSuite } from './lib/weaviate-cluster.js';

// A corpus size no other test serves, so the collection (named after the index) is this test's own.
const DOCS = 97;
const auth = { authorization: `Bearer ${API_KEY}` };

clusterSuite('sift serve --backend weaviate (live cluster)', (url) => {
  let local: RunningServer;
  let remote: RunningServer;
  let collection = '';

  before(async () => {
    local = await startTestServer(await tempHome(), { demoDocs: DOCS, rankers: 'none' });
    remote = await startTestServer(await tempHome(), {
      demoDocs: DOCS,
      rankers: 'none',
      backend: 'weaviate',
      url,
    });
  });
  after(async () => {
    await local?.close();
    await remote?.close();
    if (!collection) return;
    const connection = await connectWeaviate(url);
    try {
      await (await WeaviateCollection.open(connection, collection)).drop();
    } finally {
      await connection.close();
    }
  });

  const search = (server: RunningServer, body: Record<string, unknown>) =>
    request(server.url, 'POST', '/v1/search', body);
  const ids = (reply: { body: { results: Array<{ id: string }> } }) =>
    reply.body.results.map((hit) => hit.id);

  test('/v1/info names the backend and its collection', async () => {
    const { body } = await request(remote.url, 'GET', '/v1/info');
    assert.equal(body.backend.kind, 'weaviate');
    assert.equal(body.backend.url, url.replace(/\/$/, ''));
    assert.match(body.backend.collection, /^Sift_/);
    collection = body.backend.collection;
    assert.deepEqual(body.modes, ['bm25', 'dense', 'hybrid']);
    assert.equal(body.documents, DOCS);
    assert.deepEqual((await request(local.url, 'GET', '/v1/info')).body.backend, { kind: 'local' });
  });

  test('dense answers, filtered or not, are the local engine’s', async () => {
    const queries = ['forklift driver night shift', 'senior data engineer python', 'nurse in a care home'];
    for (const query of queries) {
      for (const filters of [undefined, { seniority: 'senior' }, { salaryMin: { gte: 50000 } }]) {
        const body = { query, k: 10, mode: 'dense', ...(filters ? { filters } : {}) };
        const [a, b] = await Promise.all([search(local, body), search(remote, body)]);
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
        assert.deepEqual(ids(b), ids(a), `${query} ${JSON.stringify(filters)}`);
        // Documents come from the local index, so titles and metadata are there too.
        assert.ok(b.body.results.every((hit: { title: string }) => hit.title.length > 0));
      }
    }
  });

  test('bm25 and hybrid answer from the cluster: documents that match, its best among the best', async () => {
    const query = 'warehouse forklift';
    // Every document the local engine scores above zero (all of them, with k = the corpus).
    const [a, b] = await Promise.all([
      search(local, { query, k: DOCS, mode: 'bm25' }),
      search(remote, { query, k: 10, mode: 'bm25' }),
    ]);
    assert.equal(b.status, 200);
    assert.ok(b.body.results.length > 0);
    const matching = new Set(ids(a));
    assert.ok(
      ids(b).every((id) => matching.has(id)),
      'the cluster answers only documents that contain a query term',
    );
    // Each shard scores with its own document frequencies, so the order may differ (a CI run saw another
    // best hit); the cluster's best is still among the local engine's ten best.
    assert.ok(ids(a).slice(0, 10).includes(ids(b)[0]!), `${ids(b)[0]} not in ${ids(a).slice(0, 10)}`);
    const hybrid = await search(remote, { query, k: 10, mode: 'hybrid' });
    assert.equal(hybrid.status, 200);
    assert.equal(hybrid.body.results.length, 10);
  });

  test('a write reaches the cluster before it is answered; a delete removes it there', async () => {
    const doc = {
      id: 'serve-weaviate-1',
      title: 'Zeppelin rigger',
      text: 'Rigging zeppelin envelopes at height.',
    };
    const written = await request(
      remote.url,
      'POST',
      '/v1/documents',
      { documents: [doc] },
      { headers: auth },
    );
    assert.equal(written.status, 200);
    const found = await search(remote, { query: 'zeppelin rigger', k: 3, mode: 'bm25' });
    assert.equal(ids(found)[0], doc.id);
    const dense = await search(remote, { query: 'zeppelin envelope rigging', k: 3, mode: 'dense' });
    assert.ok(ids(dense).includes(doc.id));
    const deleted = await request(remote.url, 'DELETE', `/v1/documents/${doc.id}`, undefined, {
      headers: auth,
    });
    assert.equal(deleted.status, 200);
    const gone = await search(remote, { query: 'zeppelin rigger', k: 3, mode: 'bm25' });
    assert.ok(!ids(gone).includes(doc.id));
    const connection = await connectWeaviate(url);
    try {
      assert.equal(await (await WeaviateCollection.open(connection, collection)).count(), DOCS);
    } finally {
      await connection.close();
    }
  });
});

test('--backend weaviate without --url or with --embedder none fails before any work', async () => {
  const home = await tempHome();
  for (const settings of [
    { backend: 'weaviate' },
    { backend: 'weaviate', url: 'http://127.0.0.1:9', embedder: 'none' },
  ]) {
    await assert.rejects(
      startTestServer(home, { demoDocs: DOCS, rankers: 'none', ...settings }),
      (error: unknown) => isSiftError(error) && error.code === 'E_BAD_ARGUMENT',
    );
  }
});

test('an unreachable cluster fails the start with an error naming its URL', async () => {
  await assert.rejects(
    startTestServer(await tempHome(), {
      demoDocs: DOCS,
      rankers: 'none',
      backend: 'weaviate',
      url: 'http://127.0.0.1:9',
    }),
    (error: unknown) => isSiftError(error) && error.message.includes('127.0.0.1:9'),
  );
});
