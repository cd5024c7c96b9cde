// The ranker worker's side of deadlines, cancellation and budgets, through a real model pool running the
// deterministic test rankers (per-100: 100 ms per candidate): a job already expired costs nothing, a
// cancelled one stops at its next chunk, and a budget keeps the best-first prefix that fits.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isSiftError } from '../src/errors.js';
import { ModelPool } from '../src/serve/model-pool.js';
import type { RankJob } from '../src/serve/model-protocol.js';
import { fromWireError } from '../src/serve/wire-error.js';
import { TEST_RANKERS, tempHome } from './lib/serve-harness.js';

let pool: ModelPool;
let nextKey = 1;

before(async () => {
  pool = await ModelPool.start({
    size: 1,
    embedder: undefined,
    home: await tempHome(),
    threads: 1,
    rankerModule: pathToFileURL(TEST_RANKERS).href,
    chunkMs: 100,
  });
  await pool.loadRanker('per-100');
  // Measures the ranker's speed, so that later chunks are sized from it.
  await pool.rank([job(2)]);
});
after(() => pool.close());

function job(candidates: number, limits: Partial<Pick<RankJob, 'deadline' | 'budgetEnd'>> = {}): RankJob {
  return {
    key: nextKey++,
    ranker: 'per-100',
    query: 'nurse',
    candidates: Array.from({ length: candidates }, (_, i) => ({
      id: String(i),
      title: '',
      text: `nurse ${i}`,
    })),
    deadline: Date.now() + 60_000,
    ...limits,
  };
}

async function outcome(rankJob: RankJob) {
  const [result] = await pool.rank([rankJob]);
  return result!;
}

test('a job whose deadline has passed is dropped before any scoring', async () => {
  const started = performance.now();
  const result = await outcome(job(50, { deadline: Date.now() - 1 }));
  assert.ok('error' in result && isSiftError(fromWireError(result.error), 'E_TIMEOUT'));
  assert.ok(performance.now() - started < 80, 'no candidate was scored');
});

test('a job past its deadline while running stops at the next chunk', async () => {
  const started = performance.now();
  const result = await outcome(job(50, { deadline: Date.now() + 350 }));
  assert.ok('error' in result && isSiftError(fromWireError(result.error), 'E_TIMEOUT'));
  const ms = performance.now() - started;
  assert.ok(ms < 600, `stopped after ${ms.toFixed(0)} ms, not 5 s`);
});

test('a cancelled job stops at its next chunk; the next job runs at once', async () => {
  const running = job(50);
  const started = performance.now();
  const pending = outcome(running);
  setTimeout(() => pool.cancel([running.key]), 250);
  const result = await pending;
  assert.ok('error' in result && isSiftError(fromWireError(result.error), 'E_CANCELLED'));
  assert.ok(performance.now() - started < 600);
  const next = await outcome(job(1));
  assert.ok('scores' in next && next.scores.length === 1);
});

test('under a budget the worker scores the best-first prefix that fits', async () => {
  const started = performance.now();
  const result = await outcome(job(50, { budgetEnd: Date.now() + 450 }));
  assert.ok('scores' in result);
  const ms = performance.now() - started;
  assert.ok(result.scores.length >= 2 && result.scores.length <= 5, `${result.scores.length} scored`);
  assert.ok(ms < 600, `${ms.toFixed(0)} ms`);
  assert.ok(result.scoringMs > 0);
});

test('under a budget, chunks are sized by length: a long candidate after short ones does not overrun', async () => {
  // tok-2: 2 ms per word. Five short candidates (10 words, 20 ms) teach the cost; then 150-word ones
  // (300 ms each). A cost per candidate learned from the short ones would admit a long one with 100 ms left.
  await pool.loadRanker('tok-2');
  const words = (count: number, i: number) => Array.from({ length: count }, (_, w) => `w${i}x${w}`).join(' ');
  const candidates = Array.from({ length: 12 }, (_, i) => ({
    id: String(i),
    title: '',
    text: words(i < 5 ? 10 : 150, i),
  }));
  // The cost is learned from one job, as a served ranker's is from the jobs before.
  await outcome({ ...job(0), ranker: 'tok-2', candidates: candidates.slice(0, 5) });
  const started = performance.now();
  const budgetEnd = Date.now() + 450;
  const result = await outcome({ ...job(0), ranker: 'tok-2', candidates, budgetEnd, budgetMs: 450 });
  const ms = performance.now() - started;
  assert.ok('scores' in result);
  assert.ok(result.scores.length >= 5, `${result.scores.length} scored`);
  assert.ok(result.scores.length < 12);
  assert.ok(Date.now() <= budgetEnd + 100, `scoring ended ${(ms - 450).toFixed(0)} ms after the budget`);
});

test('a ranker that reads stored vectors is refused: requests carry no vectors', async () => {
  await assert.rejects(pool.loadRanker('vectors'), (error: unknown) => {
    assert.ok(isSiftError(error, 'E_RANKER_VECTORS'), String(error));
    assert.match((error as Error).message, /experimental and not served/);
    return true;
  });
  const still = await outcome(job(1));
  assert.ok('scores' in still, 'the worker goes on serving its other rankers');
});
