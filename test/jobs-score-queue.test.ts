// Queued teacher scoring on a real Redis and real BullMQ: `sift prune --recover --queue URL` with two
// `sift worker --only score` processes grades the recovery's candidate lists on the workers and installs
// the same model a local `sift prune --recover` installs, and so does `sift train --preset student
// --queue` for a distilled student; lists scored on the queue get the scores the
// teacher gives them in process, and a second run reuses every chunk's file; a malformed scoring job
// fails alone with its id and field; `--queue` without `--recover` is refused before any work. The
// teacher is the tiny formula-weight cross-encoder (random weights: wiring and equality are checked
// here, never quality).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { queueTarget, SCORE_QUEUE, type ScoreList, scoreListsOnQueue } from '../src/jobs/index.js';
import { installedTrainedModel } from '../src/models/index.js';
import { loadCrossEncoder } from '../src/rank/index.js';
import { openCollection } from '../src/search/index.js';
import { installTinyCrossEncoder, tinyCrossEncoderHome } from './lib/installed-cross-encoder.js';
import { queueTestRedis, startSiftWorker, until } from './lib/sift-workers.js';
import { tinyCrossEncoderSkip } from './lib/tiny-cross-encoder.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');

const redis = queueTestRedis();

describe('queued teacher scoring', { skip: redis.skip || tinyCrossEncoderSkip }, () => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  tinyCrossEncoderHome('tiny-ce', (made) => ({ home, env } = made));

  it('scores lists on two workers exactly as the teacher does in process, and a rerun reuses every file', async () => {
    const url = redis.url();
    const workers = [startSiftWorker(url, ['--only', 'score']), startSiftWorker(url, ['--only', 'score'])];
    await until('the workers to start', () =>
      workers.every((w) => w.log().includes('waiting for chunks (score)')),
    );
    // Ten lists of real cranfield documents, four candidates each (one list of one, which is allowed).
    const { collection, index } = await openCollection(CRANFIELD, join(home, 'indexes'), true);
    const docs = Array.from({ length: 37 }, (_, ord) => {
      const doc = index.docs.get(ord);
      return { id: doc.id, title: doc.title, text: doc.text };
    });
    const lists: ScoreList[] = collection.queries.slice(0, 10).map((query, i) => ({
      query: query.text,
      docs: docs.slice(i * 4, i * 4 + (i === 9 ? 1 : 4)),
    }));
    const model = installedTrainedModel('tiny-ce', home)!;
    const out = join(home, 'chunks');
    const queued = await scoreListsOnQueue({
      target: queueTarget(url),
      model,
      modelId: 'tiny-ce',
      maxLength: 64,
      lists,
      out,
      chunkLists: 3,
      pollMs: 100,
      quiet: true,
    });
    assert.equal(queued.chunks, 4);
    assert.equal(queued.reused, 0);
    // A worker logs a chunk once the queue has it as completed, which can be after the producer saw the
    // chunk's file: wait for the lines rather than race them.
    await until('both workers to have scored chunks', () =>
      workers.every((w) => /pairs in \d+ lists scored/.test(w.log())),
    );

    const teacher = await loadCrossEncoder(model, { id: 'tiny-ce', maxLength: 64 });
    try {
      for (const [i, list] of lists.entries()) {
        const here = Array.from(await teacher.score(list.query, list.docs));
        assert.equal(queued.scores[i]!.length, list.docs.length, `list ${i}: one score per candidate`);
        for (const [j, score] of queued.scores[i]!.entries()) {
          assert.ok(Math.abs(score - here[j]!) <= 1e-6, `list ${i}, candidate ${j}: ${score} vs ${here[j]}`);
        }
      }
    } finally {
      await teacher.release();
    }

    // Every chunk left its file: a second run queues nothing and reads the same scores.
    assert.equal((await readdir(out)).length, 4);
    const again = await scoreListsOnQueue({
      target: queueTarget(url),
      model,
      modelId: 'tiny-ce',
      maxLength: 64,
      lists,
      out,
      chunkLists: 3,
      quiet: true,
    });
    assert.deepEqual({ chunks: again.chunks, reused: again.reused }, { chunks: 4, reused: 4 });
    assert.deepEqual(again.scores, queued.scores);

    // A malformed job fails alone, with its id and field, and the workers live on.
    const target = queueTarget(url);
    const queue = new Queue(SCORE_QUEUE, { connection: target.connection, prefix: target.prefix });
    try {
      await queue.add(
        'score-chunk',
        {
          version: 1,
          model,
          modelId: 'tiny-ce',
          maxLength: 64,
          out,
          lists: [{ query: 'q', docs: [{ id: 'd' }] }],
        },
        { jobId: 'bad-score-job' },
      );
      await until('the bad job to fail', async () => (await queue.getJobState('bad-score-job')) === 'failed');
      const job = await queue.getJob('bad-score-job');
      assert.match(
        job!.failedReason,
        /job bad-score-job: field "lists\[0\]\.docs\[0\]\.title" is not a string/,
      );
    } finally {
      await queue.close();
    }
    for (const worker of workers) assert.equal(worker.child.exitCode, null, 'the workers are still running');
  });

  it('sift prune --recover --queue installs the model a local sift prune --recover installs', async () => {
    const url = redis.url();
    const worker = startSiftWorker(url, ['--only', 'score']);
    await until('the worker to start', () => worker.log().includes('waiting for chunks (score)'));
    const prune = (out: string, ...extra: string[]) =>
      run(
        SIFT,
        [
          'prune',
          '--model',
          'tiny-ce',
          '--mlp',
          '0.5',
          '--pairs',
          '24',
          '--calibration',
          CRANFIELD,
          '--out',
          out,
          '--recover',
          '--quiet',
          ...extra,
        ],
        { env, maxBuffer: 1 << 24 },
      );
    const local = await prune('tiny-local');
    const queued = await prune('tiny-queued', '--queue', url, '--chunk', '8');
    assert.match(
      queued.stdout,
      /teacher tiny-ce scored \d+ candidate lists on workers in .* \(\d+ chunks, 0 already done\)/,
    );
    await until('the worker to have scored chunks', () => /pairs in \d+ lists scored/.test(worker.log()));
    // The same teacher scores, the same seed: the same training run, step for step.
    const steps = (stdout: string) =>
      /recovery fine-tune from tiny-ce, (\d+) steps on (\d+) candidates/.exec(stdout)?.slice(1);
    assert.deepEqual(steps(queued.stdout), steps(local.stdout));
    await assertSameModel(home, 'tiny-local', 'tiny-queued');
  });

  it('sift train --preset student --queue installs the student a local run installs', async () => {
    const url = redis.url();
    const worker = startSiftWorker(url, ['--only', 'score']);
    await until('the worker to start', () => worker.log().includes('waiting for chunks (score)'));
    await installTinyCrossEncoder(home, 'tiny-start');
    const train = (id: string, ...extra: string[]) =>
      run(
        SIFT,
        [
          'train',
          '--preset',
          'student',
          '--teacher',
          'tiny-ce',
          '--from',
          'tiny-start',
          '--collection',
          CRANFIELD,
          '--titles',
          '3',
          '--max-queries',
          '3',
          '--epochs',
          '1',
          '--id',
          id,
          '--quiet',
          ...extra,
        ],
        { env, maxBuffer: 1 << 24 },
      );
    await train('student-local');
    const queued = await train('student-queued', '--queue', url, '--chunk', '2');
    assert.match(
      queued.stdout,
      /teacher tiny-ce scored 6 candidate lists on workers in .* \(3 chunks, 0 already done\)/,
    );
    await assertSameModel(home, 'student-local', 'student-queued');
  });

  it('--queue without --recover is refused before any work', async () => {
    await assert.rejects(
      run(
        SIFT,
        [
          'prune',
          '--model',
          'tiny-ce',
          '--mlp',
          '0.5',
          '--calibration',
          CRANFIELD,
          '--out',
          'x',
          '--queue',
          'redis://127.0.0.1:9',
        ],
        { env },
      ),
      (error: { stderr?: string }) =>
        /--queue runs the recovery's teacher scoring on workers: it needs --recover/.test(error.stderr ?? ''),
    );
  });
});

/** The queued run installed the local run's model byte for byte, and its chunk files went with the install. */
async function assertSameModel(home: string, local: string, queued: string): Promise<void> {
  const weights = async (id: string) => readFile(join(installedTrainedModel(id, home)!, 'model.safetensors'));
  assert.ok((await weights(queued)).equals(await weights(local)), `${queued} has ${local}'s weights`);
  await assert.rejects(access(join(home, 'train', queued, 'teacher-chunks')));
}
