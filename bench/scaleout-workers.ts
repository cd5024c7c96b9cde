// Question: how many pairs a second does queued labelling reach with 1, 2 and 4 `sift worker`
// processes on this machine, with the small local judge (SmolLM2-135M-Instruct on sift's runtime)?
//
//   node dist/bench/scaleout-workers.js [--queries 8] [--per-query 4] [--chunk 4] [--workers 1,2,4]
//
// One redis-server (a free loopback port, no persistence) for the whole run. A store of sampled
// cranfield pairs is made once and copied, unlabelled, for each worker count, so every count labels the
// same pairs. Each count gets fresh worker processes (threads per worker: cores / workers, at least 1);
// a warm-up job of one-pair chunks makes every worker open the model first, then the timed job runs:
// `sift judge run --queue` from enqueue until every chunk is committed. Counts run in the given order,
// in this one run, so they share the machine's state.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startRedis } from '../test/lib/redis-server.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');
const JUDGE = 'local:smollm2-135m-instruct-q4';
const queries = positiveIntArg('--queries', 8);
const perQuery = positiveIntArg('--per-query', 4);
const chunk = positiveIntArg('--chunk', 4);
const counts = stringArg('--workers', '1,2,4')
  .split(',')
  .map((n) => Number(n));
const cores = availableParallelism();

function labelsIn(store: string): number {
  const db = new Database(store, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM labels').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function startWorker(url: string, threads: number): { child: ChildProcess; log: () => string } {
  const child = spawn(SIFT, ['worker', '--queue', url, '--threads', String(threads)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (data: Buffer) => {
    log += data.toString();
  });
  return { child, log: () => log };
}

async function stop(workers: Array<{ child: ChildProcess }>): Promise<void> {
  await Promise.all(
    workers.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

const dir = await mkdtemp(join(tmpdir(), 'sift-bench-workers-'));
const sampled = join(dir, 'sampled.sqlite');
await run(SIFT, [
  'judge',
  'sample',
  '--collection',
  join(SHARED, 'data', 'cranfield'),
  '--queries',
  String(queries),
  '--per-query',
  String(perQuery),
  '--store',
  sampled,
  '--seed',
  '7',
  '--quiet',
]);
const redis = await startRedis();
const load = loadavg()[0] ?? 0;
const rows: Array<Record<string, string | number>> = [];
try {
  for (const workerCount of counts) {
    const threads = Math.max(1, Math.floor(cores / workerCount));
    const store = join(dir, `labels-${workerCount}.sqlite`);
    const warm = join(dir, `warm-${workerCount}.sqlite`);
    copyFileSync(sampled, store);
    copyFileSync(sampled, warm);
    const workers = Array.from({ length: workerCount }, () => startWorker(redis.url, threads));
    try {
      // Warm-up: one-pair chunks, twice as many as workers; each worker's first chunk opens the model.
      await run(SIFT, [
        'judge',
        'run',
        '--store',
        warm,
        '--judge',
        JUDGE,
        '--queue',
        redis.url,
        '--chunk',
        '1',
        '--limit',
        String(2 * workerCount),
        '--quiet',
      ]).catch(() => undefined);
      const warmed = workers.filter((w) => / done:/.test(w.log())).length;
      const started = performance.now();
      await run(SIFT, [
        'judge',
        'run',
        '--store',
        store,
        '--judge',
        JUDGE,
        '--queue',
        redis.url,
        '--chunk',
        String(chunk),
        '--quiet',
      ]);
      const seconds = (performance.now() - started) / 1000;
      const labelled = labelsIn(store);
      rows.push({
        workers: workerCount,
        threads_per_worker: threads,
        warmed_workers: warmed,
        pairs: labelled,
        seconds: Number(seconds.toFixed(1)),
        pairs_per_s: Number((labelled / seconds).toFixed(3)),
      });
    } finally {
      await stop(workers);
    }
    await sleep(500);
  }
} finally {
  await redis.stop();
}
const base = Number(rows[0]?.pairs_per_s ?? 0);
for (const row of rows) row.speedup = base > 0 ? Number((Number(row.pairs_per_s) / base).toFixed(2)) : 0;
printTable(rows, 3);
writeResult('scaleout-workers', {
  question: 'queued labelling throughput (pairs/s) with 1, 2 and 4 sift worker processes, small local judge',
  judge: JUDGE,
  collection: 'cranfield',
  queries,
  perQuery,
  chunkPairs: chunk,
  cores,
  loadAverageAtStart: Number(load.toFixed(2)),
  cpu: machineInfo().cpu,
  rows,
  note:
    'Each worker count labels the same sampled pairs (a fresh copy of the store), after a warm-up job that ' +
    'makes each worker open the model. Threads per worker = cores / workers (min 1). On a machine with few ' +
    'cores the workers share them, so scaling stops at the core count; a background job sharing the ' +
    'machine lowers every row alike.',
});
