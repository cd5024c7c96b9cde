// Distributed embedding on a real Redis and real BullMQ: `sift index --embedder E --queue URL` and two
// `sift worker --only embed` processes embed a corpus with the real all-MiniLM-L6-v2, giving the vectors
// a local `sift index --embedder E` gives; a malformed embedding job fails alone with its id and reason;
// a chunk file that is not what its range needs is refused, naming the file.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { access, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { ensureDemoCollection } from '../src/demo/index.js';
import { isSiftError } from '../src/errors.js';
import { SiftIndex } from '../src/index/index.js';
import { chunkFile, EMBED_QUEUE, embedOnQueue, queueTarget } from '../src/jobs/index.js';
import { modelSkip } from './lib/model-skip.js';
import { startRedisCluster } from './lib/redis-server.js';
import { queueTestRedis, startSiftWorker, until } from './lib/sift-workers.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const EMBEDDER = 'all-minilm-l6-v2';
const DOCS = 300;

const redis = queueTestRedis();
const skipRedis = redis.skip;
const skipModel = modelSkip(EMBEDDER);

/** `sift index` of the collection into `out`, quietly, with more arguments. */
const index = (folder: string, out: string, ...extra: string[]) =>
  run(SIFT, ['index', folder, '--out', out, '--quiet', ...extra]);

test('sift index --queue embeds on two workers and gives the vectors a local sift index gives', {
  skip: skipRedis || skipModel,
}, async () => {
  const url = redis.url();
  const root = await mkdtemp(join(tmpdir(), 'sift-embed-queue-'));
  const demo = await ensureDemoCollection({ root, seed: 11, docs: DOCS });
  // Embedding chunks only, one thread each: two workers share the cores with the rest of the suite.
  const workers = [startSiftWorker(url, ['--only', 'embed']), startSiftWorker(url, ['--only', 'embed'])];
  await until('the workers to start', () =>
    workers.every((w) => w.log().includes('waiting for chunks (embed)')),
  );

  const localDir = join(root, 'local');
  const queuedDir = join(root, 'queued');
  await index(demo.folder, localDir, '--embedder', EMBEDDER);
  const { stdout } = await index(
    demo.folder,
    queuedDir,
    '--embedder',
    EMBEDDER,
    '--queue',
    url,
    '--chunk',
    '64',
  );
  assert.match(stdout, new RegExp(`embedded ${DOCS} documents with ${EMBEDDER} on workers .*\\(5 chunks\\)`));
  // Both workers took chunks (a worker logs a chunk after the producer may have seen its file: wait).
  await until('both workers to have embedded chunks', () =>
    workers.every((w) => /documents embedded/.test(w.log())),
  );

  const local = (await SiftIndex.open(localDir)).vectors(EMBEDDER)!;
  const queued = (await SiftIndex.open(queuedDir)).vectors(EMBEDDER)!;
  assert.equal(queued.rows, DOCS);
  assert.equal(queued.dimension, local.dimension);
  for (let ord = 0; ord < DOCS; ord++) {
    const a = local.vector(ord);
    const b = queued.vector(ord);
    let dot = 0;
    for (let j = 0; j < a.length; j++) dot += a[j]! * b[j]!;
    // Batches are cut differently (64-document chunks against the local run's 256), so padding and
    // summation order differ: the same vector up to float rounding.
    assert.ok(dot > 0.99999, `document ${ord}: cosine ${dot}`);
  }
  // The chunk files are gone once their vectors are committed; a second run has nothing to do.
  await assert.rejects(access(join(queuedDir, 'embed-chunks', EMBEDDER)));
  const again = await index(demo.folder, queuedDir, '--embedder', EMBEDDER, '--queue', url);
  assert.match(again.stdout, /vectors are current/);

  // A malformed job fails alone, with its id and reason, and the workers live on.
  const target = queueTarget(url);
  const queue = new Queue(EMBED_QUEUE, { connection: target.connection, prefix: target.prefix });
  try {
    await queue.add(
      'embed-chunk',
      { version: 1, index: 'relative/path', embedder: EMBEDDER, from: 0, to: 5 },
      {
        jobId: 'bad-embed-job',
      },
    );
    await until('the bad job to fail', async () => (await queue.getJobState('bad-embed-job')) === 'failed');
    const job = await queue.getJob('bad-embed-job');
    assert.match(job!.failedReason, /job bad-embed-job: field "index" is not an absolute path/);
  } finally {
    await queue.close();
  }
});

test('on a Redis Cluster (redis+cluster://, 3 masters) the same producer and worker embed a corpus, every key in the {sift} slot', {
  skip: redis.skip || skipModel,
}, async () => {
  const cluster = await startRedisCluster(3);
  try {
    const root = await mkdtemp(join(tmpdir(), 'sift-embed-cluster-'));
    const demo = await ensureDemoCollection({ root, seed: 13, docs: 120 });
    const worker = startSiftWorker(cluster.url, ['--only', 'embed']);
    await until('the worker to start', () => worker.log().includes('waiting for chunks (embed)'));
    const dir = join(root, 'queued');
    const { stdout } = await index(
      demo.folder,
      dir,
      '--embedder',
      EMBEDDER,
      '--queue',
      cluster.url,
      '--chunk',
      '40',
    );
    assert.match(stdout, /embedded 120 documents with all-minilm-l6-v2 on workers .*\(3 chunks\)/);
    assert.equal((await SiftIndex.open(dir)).vectors(EMBEDDER)?.rows, 120);
    // BullMQ's multi-key scripts work on a cluster only when a queue's keys share a slot: every key
    // on every master carries the {sift} hash tag.
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.port }]);
    try {
      // The client knows the masters once it has read the slot map.
      await new Promise((resolve) => client.once('ready', resolve));
      const keys = (await Promise.all(client.nodes('master').map((node) => node.keys('*')))).flat();
      assert.ok(keys.length > 0);
      assert.deepEqual(
        keys.filter((key) => !key.startsWith('{sift}:')),
        [],
      );
    } finally {
      client.disconnect();
    }
  } finally {
    await cluster.stop();
  }
});

test('a chunk file that does not hold its range is refused, naming the file', {
  skip: skipRedis,
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'sift-embed-chunk-'));
  const demo = await ensureDemoCollection({ root, seed: 12, docs: 40 });
  const dir = join(root, 'index');
  await index(demo.folder, dir);
  const opened = await SiftIndex.open(dir);
  // An earlier run's file for the one range, but cut short: the producer queues nothing and reads it.
  const file = chunkFile({ index: realpathSync(dir), embedder: 'test-embedder', from: 0, to: 40 });
  await mkdir(join(dir, 'embed-chunks', 'test-embedder'), { recursive: true });
  await writeFile(file, Buffer.from('SIFTVEC1\u0028\u0000\u0000\u0000\u0004\u0000\u0000\u0000'));
  await assert.rejects(
    embedOnQueue({
      target: queueTarget(redis.url()),
      index: opened,
      embedder: 'test-embedder',
      encoder: { id: 'test-embedder', dimension: 4, normalized: true },
      quiet: true,
    }),
    (error: unknown) =>
      isSiftError(error) && error.code === 'E_INDEX_CORRUPT' && error.message.includes('truncated'),
  );
  // Nothing was committed: the index still has no vectors on disk.
  assert.equal((await SiftIndex.open(dir)).vectors('test-embedder'), undefined);
});

test('sift index --queue without --embedder is refused before any work', async () => {
  await assert.rejects(
    run(SIFT, ['index', 'no-such-folder', '--queue', 'redis://127.0.0.1:9']),
    (error: { stderr?: string }) => /--queue embeds on workers: it needs --embedder/.test(error.stderr ?? ''),
  );
});
