// Load shedding and lifecycle of `sift serve`, each on its own small server (bm25 only, deterministic
// test rankers that hold a model worker for a set time): 429 when the admission line is full, 503 when a
// model batcher's queue is full or a deadline passes (both with Retry-After), and a graceful shutdown
// that finishes in-flight requests and leaves the index committed.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SiftIndex } from '../src/index/sift-index.js';
import type { RunningServer, ServeConfig } from '../src/serve/index.js';
import {
  API_KEY,
  homeWithDemoIndex,
  metric,
  request,
  startTestServer,
  waitFor,
} from './lib/serve-harness.js';

let home: string;
let indexDir: string;

before(async () => {
  // The synthetic corpus's index, built once; every server below serves that folder.
  ({ home, indexDir } = await homeWithDemoIndex(40));
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
    const refused = await rank(url, 'overlap');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'E_TOO_MANY_REQUESTS');
    assert.equal(refused.headers.get('retry-after'), '2');
    // Ranking work has its own admission slots: a plain search is not refused while ranking is full.
    assert.equal((await request(url, 'POST', '/v1/search', { query: 'nurse' })).status, 200);
    assert.equal((await admitted).status, 200);
    assert.equal((await rank(url, 'overlap')).status, 200);
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

/** Ranks `documents` copies of one text; with the per-<ms> ranker that costs <ms> per document. */
const rankMany = (base: string, ranker: string, documents: number, init?: Parameters<typeof request>[4]) =>
  request(
    base,
    'POST',
    '/v1/rank',
    {
      ranker,
      query: 'nurse',
      documents: Array.from({ length: documents }, (_, i) => ({ text: `registered nurse ${i}` })),
    },
    init,
  );

/** Milliseconds a request takes. */
async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

test('an expired request is stopped between chunks: the worker is free again at once, not after the work', async () => {
  await withServer(
    { requestTimeoutMs: 600, rankers: 'overlap,per-100', rankChunkMs: 100 },
    async ({ url }) => {
      // 60 documents at 100 ms each would hold the one ranker worker for 6 s.
      const late = await timed(rankMany(url, 'per-100', 60));
      assert.equal(late.value.status, 503);
      assert.equal(late.value.body.error.code, 'E_TIMEOUT');
      assert.ok(late.ms < 1500, `answered at the deadline (${late.ms.toFixed(0)} ms)`);
      // The next request is scored as soon as the current chunk ends, not 6 s later.
      const next = await timed(rankMany(url, 'overlap', 3));
      assert.equal(next.value.status, 200);
      assert.ok(next.ms < 1000, `the worker was freed (${next.ms.toFixed(0)} ms)`);
    },
  );
});

test('a client that disconnects mid-rerank stops the ranker at its next chunk', async () => {
  // A query that most postings match, so the first stage hands over up to 40 candidates (seconds of
  // work): 'nurse' has a few hits in this 40-posting corpus, and on an idle machine the search then
  // finished before the client went away.
  await withServer({ rankers: 'overlap,per-100', rankChunkMs: 100 }, async ({ url }) => {
    const controller = new AbortController();
    const abandoned = request(
      url,
      'POST',
      '/v1/search',
      { query: 'team role work', k: 5, rerank: 'per-100', rerankDepth: 40, rerankBudgetMs: 20_000 },
      { signal: controller.signal },
    );
    await rankBatches(url, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await assert.rejects(abandoned, { name: 'AbortError' });
    await waitFor(
      'the cancellation to be counted',
      async () => (await metric(url, 'sift_requests_cancelled_total{reason="client"}')) === 1,
    );
    // 40 candidates would take 4 s; the worker stops at its next chunk and scores the next request.
    const next = await timed(rankMany(url, 'overlap', 3));
    assert.equal(next.value.status, 200);
    assert.ok(next.ms < 1000, `the worker was freed (${next.ms.toFixed(0)} ms)`);
  });
});

test('an unknown ranker is 404 at once while the ranker worker is busy', async () => {
  await withServer({ rankers: 'overlap,per-100' }, async ({ url }) => {
    const busy = rankMany(url, 'per-100', 30);
    await rankBatches(url, 1);
    const unknown = await timed(rankMany(url, 'no-such-ranker', 1));
    assert.equal(unknown.value.status, 404);
    assert.equal(unknown.value.body.error.code, 'E_RANKER_UNKNOWN');
    const search = await timed(
      request(url, 'POST', '/v1/search', { query: 'nurse', rerank: 'no-such-ranker' }),
    );
    assert.equal(search.value.status, 404);
    assert.ok(unknown.ms < 500 && search.ms < 500, `${unknown.ms} ms, ${search.ms} ms`);
    assert.equal((await busy).status, 200);
  });
});

test('a ranker not yet built is refused with 503 and Retry-After, reported by /v1/info, and /healthz waits for it', async () => {
  const server = await startTestServer(
    home,
    { index: indexDir, embedder: 'none', rankers: 'overlap,slowopen-2500' },
    { waitReady: false },
  );
  const { url } = server;
  try {
    assert.equal((await request(url, 'GET', '/livez')).status, 200, 'alive while starting');
    const health = await request(url, 'GET', '/healthz');
    assert.equal(health.status, 503);
    assert.equal(health.body.error.code, 'E_RANKER_NOT_READY');
    assert.ok(health.headers.get('retry-after'));
    const refused = await timed(rankMany(url, 'slowopen-2500', 1));
    assert.equal(refused.value.status, 503);
    assert.equal(refused.value.body.error.code, 'E_RANKER_NOT_READY');
    assert.equal(refused.value.headers.get('retry-after'), '5');
    assert.ok(refused.ms < 500, 'refused at once, not after a timeout');
    const info = await request(url, 'GET', '/v1/info');
    const status = (id: string) =>
      info.body.rankerStatus.find((r: { id: string }) => r.id === id)?.state as string;
    assert.equal(status('slowopen-2500'), 'loading');
    // A plain search works while the ranker loads.
    assert.equal((await request(url, 'POST', '/v1/search', { query: 'nurse' })).status, 200);
    // A known ranker nobody configured is built on first request, which is refused meanwhile.
    const onDemand = await rankMany(url, 'sleep-10', 1);
    assert.equal(onDemand.status, 503);
    assert.equal(onDemand.body.error.code, 'E_RANKER_NOT_READY');
    assert.equal(await server.ready, true);
    assert.equal((await request(url, 'GET', '/healthz')).status, 200);
    assert.equal((await rankMany(url, 'slowopen-2500', 1)).status, 200);
    await waitFor('the on-demand ranker', async () => (await rankMany(url, 'sleep-10', 1)).status === 200);
  } finally {
    await server.close();
  }
});

test('a reranked search that waits for a ranking slot past its budget is refused (429); plain search is not held up', async () => {
  await withServer({ maxRankInFlight: 1 }, async ({ url }) => {
    let holderDone = false;
    const holder = rank(url, 'sleep-1500').finally(() => {
      holderDone = true;
    });
    await rankBatches(url, 1);
    const refused = await request(url, 'POST', '/v1/search', {
      query: 'nurse',
      rerank: 'overlap',
      rerankBudgetMs: 200,
    });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'E_TOO_MANY_REQUESTS');
    assert.ok(refused.headers.get('retry-after'));
    assert.equal(holderDone, false, 'refused when its budget ran out, not when the slot freed');
    const plain = await request(url, 'POST', '/v1/search', { query: 'nurse' });
    assert.equal(plain.status, 200);
    assert.equal(holderDone, false, 'the plain search did not wait for the ranking slot');
    assert.equal((await holder).status, 200);
  });
});

test('a reranked search that could no longer answer within its budget is refused at once, not when the budget ends', async () => {
  await withServer({ maxRankInFlight: 1, rankers: 'overlap,sleep-1500' }, async ({ url }) => {
    // The server runs in this process: hold its event loop for 600 ms. Its measured loop delay (folded in
    // once a second) then says a request may be seen, and a timer fire, that late: more than a 300 ms
    // budget has.
    const until = performance.now() + 600;
    while (performance.now() < until) {}
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const holder = rank(url, 'sleep-1500');
    await rankBatches(url, 1);
    const started = performance.now();
    const refused = await request(url, 'POST', '/v1/search', {
      query: 'nurse',
      rerank: 'overlap',
      rerankBudgetMs: 300,
    });
    const ms = performance.now() - started;
    assert.equal(refused.status, 429);
    assert.ok(refused.headers.get('retry-after'));
    assert.ok(ms < 150, `refused after ${ms.toFixed(0)} ms of a 300 ms budget`);
    assert.equal((await holder).status, 200);
  });
});

test('a reranked search whose job is in the worker when its budget ends answers then, with the chunks finished', async () => {
  await withServer({ maxRankInFlight: 4, rankers: 'overlap,sleep-400' }, async ({ url }) => {
    // sleep-400: 400 ms per scoring call. The first call is a one-candidate probe that no estimate can
    // stop; the search must not wait for it past its budget.
    const plain = await request(url, 'POST', '/v1/search', { query: 'nurse', k: 5 });
    const started = performance.now();
    const budgeted = await request(url, 'POST', '/v1/search', {
      query: 'nurse',
      k: 5,
      rerank: 'sleep-400',
      rerankBudgetMs: 200,
    });
    const ms = performance.now() - started;
    assert.equal(budgeted.status, 200);
    assert.ok(ms < 390, `answered after ${ms.toFixed(0)} ms, not when the 400 ms call ended`);
    assert.equal(budgeted.body.rerank.depth, 0);
    assert.deepEqual(
      budgeted.body.results.map((r: { id: string }) => r.id),
      plain.body.results.map((r: { id: string }) => r.id),
    );
    assert.equal(await metric(url, 'sift_rank_jobs_cut_off_total'), 1);
  });
});

test('a reranked search whose job is still queued when its budget ends answers on time, in first-stage order', async () => {
  await withServer({ maxRankInFlight: 4, rankers: 'overlap,sleep-3000' }, async ({ url }) => {
    // One scoring call holds the only ranker worker for 3 s.
    let holderDone = false;
    const holder = rank(url, 'sleep-3000').finally(() => {
      holderDone = true;
    });
    await rankBatches(url, 1);
    const plain = await request(url, 'POST', '/v1/search', { query: 'nurse', k: 5 });
    const budgeted = await request(url, 'POST', '/v1/search', {
      query: 'nurse',
      k: 5,
      rerank: 'overlap',
      rerankBudgetMs: 300,
    });
    assert.equal(budgeted.status, 200);
    assert.equal(holderDone, false, 'answered when its budget ended, not after the job ahead');
    assert.equal(budgeted.body.rerank.depth, 0);
    assert.deepEqual(
      budgeted.body.results.map((r: { id: string }) => r.id),
      plain.body.results.map((r: { id: string }) => r.id),
    );
    assert.equal(await metric(url, 'sift_rank_jobs_withdrawn_total'), 1);
    assert.equal((await holder).status, 200);
  });
});

test('the ranker workers run at the priority asked for, and /v1/info says which', async () => {
  await withServer({ rankNice: 7 }, async ({ url }) => {
    const info = await request(url, 'GET', '/v1/info');
    assert.equal(info.body.rerank.nice, 7);
  });
});

test('with caches off, reranking scores every candidate each time and still answers the same', async () => {
  await withServer({ cacheEntries: 0 }, async ({ url }) => {
    const body = { query: 'nurse team', k: 5, rerank: 'overlap', rerankDepth: 10 };
    const first = await request(url, 'POST', '/v1/search', body);
    const again = await request(url, 'POST', '/v1/search', body);
    assert.equal(first.status, 200);
    assert.ok(first.body.rerank.depth > 0);
    assert.deepEqual(again.body.results, first.body.results);
    assert.equal(await metric(url, 'sift_cache_lookups_total{cache="ranker-score",result="hit"}'), 0);
    assert.equal(
      await metric(url, 'sift_cache_lookups_total{cache="ranker-score",result="miss"}'),
      2 * first.body.rerank.depth,
    );
  });
});
