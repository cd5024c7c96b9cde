// Distributed labelling on a real Redis (redis-server on a free port) and real BullMQ: malformed jobs
// fail alone and the worker lives on; `sift judge run --queue` and two `sift worker`s label a store with
// the small local judge (SmolLM2-135M); a worker killed with SIGKILL mid-chunk loses and duplicates no
// label, checked from the store's rows; every key the queue writes carries the {sift} hash tag.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { JUDGE_QUEUE, type JudgeChunk, queueTarget } from '../src/jobs/index.js';
import { assertEveryPairLabelledOnce, count } from './lib/label-store-rows.js';
import { modelSkip } from './lib/model-skip.js';
import { queueTestRedis, startSiftWorker, until } from './lib/sift-workers.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');
const JUDGE = 'local:smollm2-135m-instruct-q4';

const redis = queueTestRedis();
const skipRedis = redis.skip;

test('a malformed job is failed with its id and reason, the worker lives on, and SIGTERM stops it cleanly', {
  skip: skipRedis,
}, async () => {
  const url = redis.url();
  const target = queueTarget(url);
  const worker = startSiftWorker(url);
  await until('the worker to start', () => worker.log().includes('waiting for chunks'));
  const queue = new Queue(JUDGE_QUEUE, { connection: target.connection, prefix: target.prefix });
  try {
    const good: JudgeChunk = {
      version: 1,
      store: '/nonexistent/labels.sqlite',
      jobId: 1,
      policyHash: 'a'.repeat(64),
      judge: { spec: JUDGE, id: JUDGE },
      pairIds: [1],
    };
    const bad = [
      { name: 'judge-chunk', data: 'not an object', field: 'data' },
      { name: 'judge-chunk', data: { ...good, store: 'relative/labels.sqlite' }, field: 'store' },
      { name: 'judge-chunk', data: { ...good, pairIds: [1, 'two'] }, field: 'pairIds[1]' },
      { name: 'judge-chunk', data: { ...good, judge: { spec: JUDGE } }, field: 'judge.id' },
      { name: 'resize-images', data: good, field: 'unknown job name' },
      // Well-formed, but its store is not there: failed at once too, naming the file.
      { name: 'judge-chunk', data: good, field: '/nonexistent/labels.sqlite' },
    ];
    const jobs = await Promise.all(
      bad.map((b, i) => queue.add(b.name, b.data, { jobId: `bad-${i}`, attempts: 3 })),
    );
    await until('every bad job to fail', async () => (await queue.getFailedCount()) === bad.length, 30_000);
    for (const [i, job] of jobs.entries()) {
      const failed = await queue.getJob(job.id!);
      assert.equal(failed?.attemptsMade, 1, `bad-${i} was not retried`);
      assert.ok(failed?.failedReason.includes(bad[i]!.field), `bad-${i}: ${failed?.failedReason}`);
      assert.match(worker.log(), new RegExp(`chunk bad-${i} failed: `));
    }
    assert.match(worker.log(), /job bad-1: field "store" is not an absolute path \[E_BAD_JOB\]/);
    assert.equal(worker.child.exitCode, null, 'the worker is still running');
  } finally {
    await queue.close();
  }
  worker.child.kill('SIGTERM');
  assert.equal(await worker.exited, 0);
  assert.match(worker.log(), /stopped \(0 chunks done, 6 failed\)/);
});

test('two workers label a store through the queue; SIGKILL of a worker mid-chunk loses and duplicates no label', {
  skip: skipRedis || modelSkip('smollm2-135m-instruct-q4'),
  timeout: 600_000,
}, async () => {
  const url = redis.url();
  const target = queueTarget(url);
  const store = join(await mkdtemp(join(tmpdir(), 'sift-queue-')), 'labels.sqlite');
  const folder = join(SHARED, 'data', 'cranfield');
  await run(SIFT, [
    'judge',
    'sample',
    '--collection',
    folder,
    '--queries',
    '2',
    '--per-query',
    '4',
    '--store',
    store,
    '--quiet',
  ]);
  const pairs = count(store, 'SELECT count(*) AS n FROM pairs');
  assert.equal(pairs, 8);
  const produce = [
    'judge',
    'run',
    '--store',
    store,
    '--judge',
    JUDGE,
    '--queue',
    url,
    '--chunk',
    '2',
    '--quiet',
  ];
  const { stdout: queued } = await run(SIFT, [...produce, '--no-wait']);
  assert.match(queued, /8 pending pairs in 4 chunks of up to 2 .*: 4 queued, 0 already queued/);
  // Enqueueing again adds nothing: the chunk ids come from their contents.
  const { stdout: again } = await run(SIFT, [...produce, '--no-wait']);
  assert.match(again, /4 chunks .*: 0 queued, 4 already queued/);

  const queue = new Queue(JUDGE_QUEUE, { connection: target.connection, prefix: target.prefix });
  try {
    // One worker, killed once a chunk is part way: at least one of its pairs judged, none committed.
    const doomed = startSiftWorker(url);
    let inFlight: number[] = [];
    await until(
      'a chunk part way through',
      async () => {
        for (const job of await queue.getActive()) {
          const progress = job.progress as { done?: number; pending?: number };
          if ((progress.done ?? 0) >= 1 && (progress.done ?? 0) < (progress.pending ?? 0)) {
            inFlight = (job.data as JudgeChunk).pairIds;
            return true;
          }
        }
        return false;
        // The worker opens the model first: minutes on a loaded 2-core machine.
      },
      300_000,
    );
    doomed.child.kill('SIGKILL');
    const finishedBeforeKill = await queue.getCompletedCount();
    assert.equal(await doomed.exited, 'SIGKILL');
    const labelled = count(store, 'SELECT count(*) AS n FROM labels');
    assert.ok(labelled < pairs, 'killed before the end');
    assert.equal(
      count(store, `SELECT count(*) AS n FROM labels WHERE pair_id IN (${inFlight.join(',')})`),
      0,
      'nothing of the chunk in flight was written',
    );

    // Two fresh workers; the producer watches until every chunk (the dead worker's too) is done.
    const workers = [startSiftWorker(url), startSiftWorker(url)];
    const { stdout } = await run(SIFT, produce);
    assert.match(stdout, /0 queued, \d+ already queued/);
    assert.match(stdout, new RegExp(`done: ${pairs - labelled} labelled, 0 from cache, 0 failed`));
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) assert.equal(await worker.exited, 0);
    // Between them the fresh workers ran every chunk not finished before the kill, the dead worker's too
    // (which one took which is the queue's business).
    const done = workers.map((w) => (w.log().match(/chunk judge-\w+ done/g) ?? []).length);
    assert.equal(
      done[0]! + done[1]!,
      4 - finishedBeforeKill,
      `chunks done by the two workers: ${done.join(', ')}`,
    );

    assertEveryPairLabelledOnce(store, pairs);
    // The chunks were made by the first run: its job row holds every label and counts each once.
    assert.equal(count(store, 'SELECT labelled AS n FROM jobs WHERE id = 1'), pairs);

    // Every key BullMQ wrote (the judge queue's, and the embed and score queues' that the same workers
    // watch) shares the {sift} hash tag, so the queues live in one Redis Cluster slot.
    // The queue's client is an ioredis instance; BullMQ's type names only what BullMQ itself calls.
    const client = (await queue.client) as unknown as { keys(pattern: string): Promise<string[]> };
    const keys = await client.keys('*');
    assert.ok(keys.length > 0);
    assert.deepEqual(
      keys.filter((key) => !/^\{sift\}:(judge|embed|score):/.test(key)),
      [],
    );
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
});
