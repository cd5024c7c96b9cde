// The HTTP API end to end: a real `sift serve` (synthetic job corpus, real all-MiniLM-L6-v2 in a worker
// thread, deterministic test rankers) on a loopback port, every route and every error status, writes
// that are durable before the answer, and a client that disconnects mid-request.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SiftIndex } from '../src/index/sift-index.js';
import { nativeKnnStatus } from '../src/runtime/index.js';
import type { RunningServer } from '../src/serve/index.js';
import { overlap } from './fixtures/test-rankers.js';
import { API_KEY, metric, request, startTestServer, tempHome, waitFor } from './lib/serve-harness.js';

let server: RunningServer;
let base: string;
const auth = { authorization: `Bearer ${API_KEY}` };

before(async () => {
  // No --index: the service generates and indexes a small synthetic job corpus, embeds it and evaluates it.
  server = await startTestServer(await tempHome(), { demoDocs: 80 });
  base = server.url;
});
after(() => server.close());

const search = (body: Record<string, unknown>, init?: Parameters<typeof request>[4]) =>
  request(base, 'POST', '/v1/search', body, init);

describe('read routes', () => {
  test('GET /healthz is 200 with the index and its modes once ready', async () => {
    const { status, body } = await request(base, 'GET', '/healthz');
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.index, 'jobs-2026-80');
    assert.equal(body.documents, 80);
    assert.deepEqual(body.modes, ['bm25', 'dense', 'hybrid']);
  });

  test('GET / serves the page and its script; GET /openapi.json describes every API route from its schema', async () => {
    const page = await request(base, 'GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.body, /<form id="search"/);
    assert.equal((await request(base, 'GET', '/app.js')).status, 200);
    const { status, body } = await request(base, 'GET', '/openapi.json');
    assert.equal(status, 200);
    assert.equal(body.openapi, '3.1.0');
    for (const path of [
      '/v1/search',
      '/v1/rank',
      '/v1/documents',
      '/v1/documents/{id}',
      '/healthz',
      '/metrics',
    ]) {
      assert.ok(body.paths[path], `${path} is documented`);
    }
    const searchSchema = body.paths['/v1/search'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(searchSchema.required, ['query']);
    assert.deepEqual(searchSchema.properties.mode.enum, ['bm25', 'dense', 'hybrid']);
  });

  test('GET /v1/info lists filterable fields; GET /v1/evaluation has the corpus evaluation written at build', async () => {
    const info = await request(base, 'GET', '/v1/info');
    const seniority = info.body.facets.find((f: { field: string }) => f.field === 'seniority');
    assert.ok(seniority.values.length > 1);
    assert.ok(info.body.facets.find((f: { field: string }) => f.field === 'salaryMin').max > 0);
    // One entry per ranker: "default" is not listed again, it names one of them.
    assert.deepEqual(info.body.rankers, ['overlap', 'sleep-800', 'sleep-1000', 'sleep-1500']);
    assert.equal(info.body.defaultRanker, 'overlap');
    for (const ranker of info.body.rankerStatus) assert.equal(ranker.state, 'ready', ranker.id);
    assert.ok(info.body.fields.includes('seniority'));
    // The kNN kernel variant, as this process's addon picked it (the same CPU and env as the service's).
    const knn = nativeKnnStatus();
    assert.equal(info.body.knn.variant, knn.variant ?? null);
    assert.deepEqual(info.body.knn.supported, knn.supported ?? []);
    assert.equal(info.body.knn.batch, 32, 'cross-request kNN batching is on by default');
    const { body } = await request(base, 'GET', '/v1/evaluation');
    assert.deepEqual(body.reports.map((r: { name: string }) => r.name).sort(), ['bm25', 'dense', 'hybrid']);
    for (const report of body.reports) {
      assert.ok(report.metrics['ndcg@10'] > 0 && report.metrics['ndcg@10'] <= 1);
      assert.equal(report.queries, 200);
    }
  });
});

describe('POST /v1/search', () => {
  test('each mode returns ranked results with snippets, per-stage scores and per-stage timings', async () => {
    for (const mode of ['bm25', 'dense', 'hybrid']) {
      const { status, body } = await search({ query: 'registered nurse', k: 5, mode });
      assert.equal(status, 200, mode);
      assert.equal(body.results.length, 5);
      const first = body.results[0];
      assert.equal(typeof first.id, 'string');
      assert.equal(typeof first.title, 'string');
      assert.ok(first.snippet.length > 0);
      assert.equal(first.stages[mode], first.score);
      for (let i = 1; i < body.results.length; i++)
        assert.ok(body.results[i - 1].score >= body.results[i].score);
      assert.ok(body.timings.retrieve >= 0 && body.timings.total >= body.timings.retrieve);
      if (mode !== 'bm25') assert.ok(body.timings.embed >= 0);
      if (mode === 'hybrid')
        assert.ok(body.results.some((r: { stages: object }) => 'bm25' in r.stages && 'dense' in r.stages));
    }
    const { body } = await search({ query: 'nurse' });
    assert.ok(body.results[0].highlights.length > 0, 'bm25 snippets highlight the query term');
    const [start, end] = body.results[0].highlights[0];
    assert.equal(body.results[0].snippet.slice(start, end).toLowerCase().startsWith('nurs'), true);
  });

  test('filters hold on every result (equality and ranges)', async () => {
    const { body } = await search({
      query: 'engineer',
      k: 20,
      mode: 'hybrid',
      filters: { seniority: 'senior', salaryMin: { gte: 50000 } },
    });
    assert.ok(body.results.length > 0);
    for (const result of body.results) {
      assert.equal(result.metadata.seniority, 'senior');
      assert.ok(result.metadata.salaryMin >= 50000);
    }
  });

  test('rerank scores the candidates in a model worker, reorders them and reuses cached scores', async () => {
    const query = 'python developer remote';
    const first = await search({ query, k: 5, mode: 'hybrid', rerank: 'overlap', rerankDepth: 30 });
    assert.equal(first.status, 200);
    const scores = first.body.results.map((r: { stages: { rerank: number } }) => r.stages.rerank);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    for (const result of first.body.results) {
      assert.equal(result.score, result.stages.rerank);
      assert.ok(result.snippet.length > 0);
      assert.ok('hybrid' in result.stages);
    }
    assert.ok(first.body.timings.rerank >= 0);
    // Snippets come with the first stage: the same passage and highlights as a plain search shows.
    const plain = await search({ query, k: 30, mode: 'hybrid' });
    const plainById = new Map(plain.body.results.map((r: { id: string }) => [r.id, r]));
    for (const result of first.body.results) {
      const same = plainById.get(result.id) as { snippet: string; highlights: unknown } | undefined;
      assert.ok(same, `${result.id} is in the plain top 30`);
      assert.equal(result.snippet, same.snippet);
      assert.deepEqual(result.highlights, same.highlights);
    }
    // The response says how deep reranking went.
    assert.deepEqual(first.body.rerank, { ranker: 'overlap', depth: 30, requested: 30, budgetMs: 1500 });
    const hits = await metric(base, 'sift_cache_lookups_total{cache="ranker-score",result="hit"}');
    const again = await search({ query, k: 5, mode: 'hybrid', rerank: 'overlap', rerankDepth: 30 });
    assert.deepEqual(again.body.results, first.body.results);
    assert.equal(
      await metric(base, 'sift_cache_lookups_total{cache="ranker-score",result="hit"}'),
      hits + 30,
    );
  });

  test('unknown ranker or index is 404; bad JSON, schema violations and bad filters are 400', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ query: 'x', rerank: 'no-such-ranker' }, 404, 'E_RANKER_UNKNOWN'],
      [{ query: 'x', index: 'another-index' }, 404, 'E_INDEX_NOT_FOUND'],
      [{ query: 'x', k: 0 }, 400, 'E_BAD_REQUEST'],
      [{ query: 'x', k: '5' }, 400, 'E_BAD_REQUEST'],
      [{ query: 'x', mode: 'semantic' }, 400, 'E_BAD_REQUEST'],
      [{ query: 'x', colour: 'red' }, 400, 'E_BAD_REQUEST'],
      [{ k: 3 }, 400, 'E_BAD_REQUEST'],
      [{ query: 'x', filters: { salaryMin: { between: [1, 2] } } }, 400, 'E_BAD_REQUEST'],
      [{ query: 'x', filters: { salaryMin: { gte: 'lots' } } }, 400, 'E_BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const response = await search(body as Record<string, unknown>);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.equal(response.body.error.code, code, JSON.stringify(body));
      assert.equal(typeof response.body.error.message, 'string');
    }
    const malformed = await request(base, 'POST', '/v1/search', undefined, { raw: '{"query": "x",' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'E_BAD_REQUEST');
    const unknownRoute = await request(base, 'GET', '/v2/nothing');
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.body.error.code, 'E_NOT_FOUND');
  });

  test('a filter on a field no document has is 400 naming the field and the known ones', async () => {
    const response = await search({ query: 'nurse', filters: { senority: 'senior' } });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'E_FILTER_FIELD_UNKNOWN');
    assert.match(response.body.error.message, /"senority"/);
    assert.match(response.body.error.message, /seniority/);
  });

  test('a body without Content-Type is 415; a wrong method is 405 with Allow', async () => {
    const bare = await fetch(new URL('/v1/search', base), {
      method: 'POST',
      body: JSON.stringify({ query: 'nurse' }),
      headers: { 'content-type': '' },
    });
    assert.equal(bare.status, 415);
    assert.equal(((await bare.json()) as { error: { code: string } }).error.code, 'E_UNSUPPORTED_MEDIA_TYPE');
    const text = await fetch(new URL('/v1/rank', base), {
      method: 'POST',
      body: 'query=nurse',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    const wrong = await request(base, 'GET', '/v1/search');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, 'E_METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'POST');
    const put = await request(base, 'PUT', '/v1/documents/some-id');
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'DELETE');
  });

  test('a body over the size limit is 413', async () => {
    const response = await search({ query: 'x'.repeat(1_500_000) });
    assert.equal(response.status, 413);
    assert.equal(response.body.error.code, 'E_PAYLOAD_TOO_LARGE');
  });
});

describe('POST /v1/rank', () => {
  test('scores query–document pairs with a named ranker, in request order', async () => {
    const documents = [
      { id: 'a', text: 'plumber wanted' },
      { id: 'b', title: 'Nurse', text: 'registered nurse, night shifts' },
    ];
    const { status, body } = await request(base, 'POST', '/v1/rank', {
      ranker: 'overlap',
      query: 'registered nurse',
      documents,
    });
    assert.equal(status, 200);
    assert.equal(body.ranker, 'overlap');
    assert.deepEqual(
      body.scores,
      documents.map((d) => overlap('registered nurse', `${d.title ?? ''} ${d.text}`)),
    );
    const unknown = await request(base, 'POST', '/v1/rank', { ranker: 'nope', query: 'x', documents });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'E_RANKER_UNKNOWN');
    const empty = await request(base, 'POST', '/v1/rank', { query: 'x', documents: [] });
    assert.equal(empty.status, 400);
  });
});

describe('document writes', () => {
  const doc = {
    id: 'test-underwater-1',
    title: 'Underwater Basket Weaver',
    text: 'Weave wicker baskets while submerged in the lagoon. Scuba certification required.',
    metadata: { seniority: 'senior', location: 'Atlantis', salaryMin: 1 },
  };

  test('writes need the API key: 401 without it or with a wrong one', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: API_KEY },
    ];
    for (const headers of attempts) {
      const response = await request(base, 'POST', '/v1/documents', { documents: [doc] }, { headers });
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'E_UNAUTHORIZED');
    }
    const del = await request(base, 'DELETE', `/v1/documents/${doc.id}`);
    assert.equal(del.status, 401);
  });

  test('the key is checked before the body is read: malformed, oversized or untyped bodies without it are 401', async () => {
    const malformed = await request(base, 'POST', '/v1/documents', undefined, { raw: '{"documents": [' });
    assert.equal(malformed.status, 401);
    assert.equal(malformed.body.error.code, 'E_UNAUTHORIZED');
    const invalid = await request(base, 'POST', '/v1/documents', { documents: 'none' });
    assert.equal(invalid.status, 401);
    const huge = await request(base, 'POST', '/v1/documents', undefined, { raw: 'x'.repeat(1_500_000) });
    assert.equal(huge.status, 401);
    const untyped = await fetch(new URL('/v1/documents', base), {
      method: 'POST',
      body: 'not json at all',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(untyped.status, 401);
    // With the key, the same malformed body is 400.
    const keyed = await request(base, 'POST', '/v1/documents', undefined, {
      raw: '{"documents": [',
      headers: auth,
    });
    assert.equal(keyed.status, 400);
  });

  test('an added document is committed before the answer, searchable in every mode, and deletable', async () => {
    const before = (await request(base, 'GET', '/healthz')).body;
    const added = await request(base, 'POST', '/v1/documents', { documents: [doc] }, { headers: auth });
    assert.equal(added.status, 200);
    assert.equal(added.body.upserted, 1);
    assert.equal(added.body.documents, before.documents + 1);
    assert.ok(added.body.generation > before.generation);
    // Durable: a fresh reader of the index folder sees the document already.
    const onDisk = await SiftIndex.open(server.indexDir);
    assert.equal(onDisk.generation, added.body.generation);
    assert.equal(onDisk.docs.get(onDisk.docs.ordOf(doc.id)!).title, doc.title);
    for (const mode of ['bm25', 'dense', 'hybrid']) {
      const { body } = await search({ query: 'basket weaving under water', k: 3, mode });
      assert.equal(body.results[0].id, doc.id, mode);
    }
    const filtered = await search({ query: 'baskets', filters: { location: 'atlantis' } });
    assert.deepEqual(
      filtered.body.results.map((r: { id: string }) => r.id),
      [doc.id],
    );

    const deleted = await request(base, 'DELETE', `/v1/documents/${doc.id}`, undefined, { headers: auth });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deleted, doc.id);
    assert.equal(deleted.body.documents, before.documents);
    const afterDelete = await SiftIndex.open(server.indexDir);
    assert.equal(afterDelete.docs.ordOf(doc.id), undefined);
    for (const mode of ['bm25', 'dense']) {
      const { body } = await search({ query: 'basket weaving under water', k: 3, mode });
      assert.ok(
        body.results.every((r: { id: string }) => r.id !== doc.id),
        mode,
      );
    }
    const again = await request(base, 'DELETE', `/v1/documents/${doc.id}`, undefined, { headers: auth });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'E_UNKNOWN_DOC');
  });

  test('concurrent writes are group-committed and all durable', async () => {
    const docs = Array.from({ length: 6 }, (_, i) => ({ ...doc, id: `burst-${i}`, title: `Burst ${i}` }));
    const replies = await Promise.all(
      docs.map((d) => request(base, 'POST', '/v1/documents', { documents: [d] }, { headers: auth })),
    );
    for (const reply of replies) assert.equal(reply.status, 200);
    const onDisk = await SiftIndex.open(server.indexDir);
    for (const d of docs) assert.notEqual(onDisk.docs.ordOf(d.id), undefined);
    for (const d of docs) {
      assert.equal(
        (await request(base, 'DELETE', `/v1/documents/${d.id}`, undefined, { headers: auth })).status,
        200,
      );
    }
  });

  test('a malformed document is 400 and changes nothing', async () => {
    const before = (await request(base, 'GET', '/healthz')).body.generation;
    const response = await request(
      base,
      'POST',
      '/v1/documents',
      { documents: [{ title: 'no id', text: 'x' }] },
      { headers: auth },
    );
    assert.equal(response.status, 400);
    assert.equal((await request(base, 'GET', '/healthz')).body.generation, before);
  });
});

describe('serving engine', () => {
  test('a client that disconnects mid-request is counted as cancelled, its queued work dropped, and serving goes on', async () => {
    // The abandoned query's embedding is cached, so it goes straight to the ranker's queue.
    await search({ query: 'hospital nurse', k: 3, mode: 'hybrid' });
    const cancelledBefore = await metric(base, 'sift_requests_cancelled_total{reason="client"}');
    const batches = await metric(base, 'sift_batch_size_count{batcher="rank"}');
    // The first request holds the one model worker for a while...
    const holder = search({
      query: 'warehouse operative',
      k: 3,
      mode: 'hybrid',
      rerank: 'sleep-1500',
      rerankDepth: 5,
    });
    await waitFor(
      'the first rerank batch to start',
      async () => (await metric(base, 'sift_batch_size_count{batcher="rank"}')) > batches,
    );
    // ...so the second waits in the rank batcher's queue, where its client gives up.
    const controller = new AbortController();
    const abandoned = search(
      { query: 'hospital nurse', k: 3, mode: 'hybrid', rerank: 'sleep-1500', rerankDepth: 5 },
      { signal: controller.signal },
    );
    await waitFor(
      'the second request to queue',
      async () => (await metric(base, 'sift_queue_depth{queue="rank"}')) === 1,
    );
    controller.abort();
    await assert.rejects(abandoned, { name: 'AbortError' });
    await waitFor(
      'the cancellation to be counted',
      async () => (await metric(base, 'sift_requests_cancelled_total{reason="client"}')) > cancelledBefore,
    );
    assert.equal(
      await metric(base, 'sift_queue_depth{queue="rank"}'),
      0,
      'the abandoned work left the queue',
    );
    assert.equal((await holder).status, 200);
    // Only the holder's batch ran: the abandoned request never reached the model.
    assert.equal(await metric(base, 'sift_batch_size_count{batcher="rank"}'), batches + 1);
    const next = await search({ query: 'hospital nurse', k: 3, mode: 'hybrid' });
    assert.equal(next.status, 200);
    assert.equal(next.body.results.length, 3);
  });

  test('a busy ranker worker does not hold up dense search: embedding has its own worker', async () => {
    const batches = await metric(base, 'sift_batch_size_count{batcher="rank"}');
    const busy = request(base, 'POST', '/v1/rank', {
      ranker: 'sleep-1500',
      query: 'x',
      documents: [{ text: 'x' }],
    });
    await waitFor(
      'the rank call to start',
      async () => (await metric(base, 'sift_batch_size_count{batcher="rank"}')) > batches,
    );
    const started = performance.now();
    const dense = await search({ query: 'an uncached query about forklift drivers', k: 3, mode: 'dense' });
    const ms = performance.now() - started;
    assert.equal(dense.status, 200);
    assert.ok(ms < 1000, `dense search took ${ms.toFixed(0)} ms while the ranker was busy`);
    assert.equal((await busy).status, 200);
  });

  test('concurrent query embeddings are batched across requests', async () => {
    const before = await metric(base, 'sift_batch_size_count{batcher="embed-query"}');
    const queries = Array.from({ length: 12 }, (_, i) => `distinct query number ${i} for batching`);
    const replies = await Promise.all(queries.map((query) => search({ query, k: 2, mode: 'dense' })));
    for (const reply of replies) assert.equal(reply.status, 200);
    const batches = (await metric(base, 'sift_batch_size_count{batcher="embed-query"}')) - before;
    assert.ok(
      batches >= 1 && batches < queries.length,
      `${queries.length} queries took ${batches} model calls`,
    );
  });

  test('concurrent dense searches share kNN scans, and each answers as it does alone', async () => {
    const scans = () => metric(base, 'sift_batch_size_count{batcher="knn"}');
    const queries = Array.from({ length: 12 }, (_, i) => `warehouse shift lead number ${i}`);
    const ids = (reply: Awaited<ReturnType<typeof search>>) =>
      reply.body.results.map((hit: { id: string }) => hit.id);
    // Together first: their embeddings come back from one model batch, so their searches reach the
    // engine together. Alone afterwards, with the same (cached) query vectors.
    const beforeTogether = await scans();
    const together = await Promise.all(queries.map((query) => search({ query, k: 5, mode: 'dense' })));
    const scansTogether = (await scans()) - beforeTogether;
    assert.ok(
      scansTogether >= 1 && scansTogether < queries.length,
      `${queries.length} concurrent searches took ${scansTogether} scans`,
    );
    const beforeAlone = await scans();
    const alone = [];
    for (const query of queries) alone.push(ids(await search({ query, k: 5, mode: 'dense' })));
    assert.equal((await scans()) - beforeAlone, queries.length, 'a search sent alone is scanned alone');
    assert.deepEqual(together.map(ids), alone);
  });

  test('GET /metrics is Prometheus text with request counts, latencies, queue depths, batch sizes and loop delay', async () => {
    const { status, headers, body } = await request(base, 'GET', '/metrics');
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
    for (const name of [
      '# TYPE sift_http_requests_total counter',
      'sift_http_requests_total{route="/v1/search",method="POST",status="200"}',
      '# TYPE sift_http_request_duration_seconds histogram',
      'sift_http_request_duration_seconds_bucket{route="/v1/search",le="+Inf"}',
      'sift_queue_depth{queue="admission"}',
      'sift_queue_depth{queue="engine"}',
      'sift_batch_size_bucket{batcher="embed-query",le="1"}',
      'sift_stage_duration_seconds_count{stage="embed"}',
      'sift_event_loop_delay_seconds{quantile="0.99"}',
      'sift_process{fact="resident_memory_bytes"}',
    ]) {
      assert.ok(body.includes(name), name);
    }
  });
});
