// Load shedding and lifecycle of `sift serve`, each on its own small server (bm25 only, deterministic
// test rankers that hold a model worker for a set time): 429 when the admission line is full, 503 when a
// model batcher's queue is full or a deadline passes (both with Retry-After), and a graceful shutdown
// that finishes in-flight requests and leaves the index committed.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SiftIndex } from '../src/index/sift-index.js';
import type { RunningServer, ServeConfig } from '../src/serve/index.js';
import { API_KEY, metric, request, startTestServer, tempHome, waitFor } from './lib/serve-harness.js';

let home: string;
let indexDir: string;

before(async () => {
  home = await tempHome();
  // Builds the synthetic corpus's index once; every server below serves that folder.
  const first = await startTestServer(home, { demoDocs: 40, embedder: 'none' });
  indexDir = first.indexDir;
  await first.close();
});

async function withServer(
  settings: Partial<Record<keyof ServeConfig, string | number>>,
  run: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(home, { index: indexDir, embedder: 'none', ...settings });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const rank = (base: string, ranker: string, query = 'nurse') =>
  request(base, 'POST', '/v1/rank', { ranker, query, documents: [{ text: 'registered nurse' }] });

/** Resolves once `n` rank batches have started in the model worker. */
const rankBatches = (base: string, n: number) =>
  waitFor(
    `${n} rank batch(es)`,
    async () => (await metric(base, 'sift_batch_size_count{batcher="rank"}')) >= n,
  );

test('a full admission line answers 429 with Retry-After; the admitted request still succeeds', async () => {
  await withServer({ maxInFlight: 1, maxWaiting: 0, retryAfterSeconds: 2 }, async ({ url }) => {
    const admitted = rank(url, 'sleep-800');
    await rankBatches(url, 1);
    const refused = await request(url, 'POST', '/v1/search', { query: 'nurse' });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'E_TOO_MANY_REQUESTS');
    assert.equal(refused.headers.get('retry-after'), '2');
    assert.equal((await admitted).status, 200);
    assert.equal((await request(url, 'POST', '/v1/search', { query: 'nurse' })).status, 200);
    assert.ok((await metric(url, 'sift_requests_rejected_total{code="E_TOO_MANY_REQUESTS"}')) >= 1);
  });
});

test('a full model batcher queue answers 503 with Retry-After', async () => {
  await withServer({ maxQueue: 1 }, async ({ url }) => {
    const running = rank(url, 'sleep-800', 'first');
    await rankBatches(url, 1);
    const queued = rank(url, 'sleep-800', 'second');
    await waitFor(
      'one queued rank job',
      async () => (await metric(url, 'sift_queue_depth{queue="rank"}')) === 1,
    );
    const refused = await rank(url, 'sleep-800', 'third');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, 'E_OVERLOADED');
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal((await running).status, 200);
    assert.equal((await queued).status, 200);
  });
});

test('a request past its deadline answers 503 E_TIMEOUT with Retry-After, and is counted', async () => {
  await withServer({ requestTimeoutMs: 200 }, async ({ url }) => {
    const late = await rank(url, 'sleep-1000');
    assert.equal(late.status, 503);
    assert.equal(late.body.error.code, 'E_TIMEOUT');
    assert.equal(late.headers.get('retry-after'), '1');
    assert.equal(await metric(url, 'sift_requests_cancelled_total{reason="timeout"}'), 1);
    // The worker finishes the abandoned call, then serves again.
    await waitFor('serving again', async () => (await rank(url, 'overlap')).status === 200);
  });
});

test('shutdown finishes in-flight requests, refuses new ones and leaves the index committed', async () => {
  const server = await startTestServer(home, { index: indexDir, embedder: 'none' });
  const { url } = server;
  const doc = { id: 'shutdown-doc', title: 'Lighthouse Keeper', text: 'Keep the light burning.' };
  const written = await request(
    url,
    'POST',
    '/v1/documents',
    { documents: [doc] },
    {
      headers: { authorization: `Bearer ${API_KEY}` },
    },
  );
  assert.equal(written.status, 200);
  const inFlight = rank(url, 'sleep-800');
  await rankBatches(url, 1);
  const closed = server.close();
  // The in-flight request completes normally although shutdown has begun.
  const finished = await inFlight;
  assert.equal(finished.status, 200);
  await closed;
  const refused = await request(url, 'GET', '/healthz').then(
    (response) => response.status,
    () => 'refused',
  );
  assert.ok(refused === 'refused' || refused === 503, `after shutdown: ${refused}`);
  const index = await SiftIndex.open(indexDir);
  assert.equal(index.generation, written.body.generation);
  assert.notEqual(index.docs.ordOf(doc.id), undefined);
});
