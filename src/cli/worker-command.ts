// `sift worker`: runs queued chunks of work until stopped: labelling (made by `sift judge run --queue`),
// embedding (made by `sift index --embedder E --queue`) and teacher scoring (made by `sift prune
// --recover --queue` and `sift train --preset student --queue`). Start as many as the machines allow, on one machine or many: every worker that
// can open the label store's, the index's or the model's path (the same file, or shared storage) can
// take any chunk.
//
//   sift worker --queue redis://HOST:PORT [--concurrency N] [--threads N] [--prefix {sift}] [--only judge|embed|score]

import type { Command } from 'commander';
import { SiftError } from '../errors.js';
import {
  checkQueueReachable,
  DEFAULT_QUEUE_PREFIX,
  EMBED_QUEUE,
  JUDGE_QUEUE,
  queueTarget,
  type RunningQueueWorker,
  SCORE_QUEUE,
  startEmbedWorker,
  startJudgeWorker,
  startScoreWorker,
} from '../jobs/index.js';
import { parsePositiveInt } from './options.js';

interface WorkerCommandOptions {
  queue: string;
  prefix: string;
  concurrency: number;
  threads?: number;
  lockSeconds: number;
  only?: string;
  quiet: boolean;
}

const QUEUES = [JUDGE_QUEUE, EMBED_QUEUE, SCORE_QUEUE] as const;
const STARTERS = {
  [JUDGE_QUEUE]: startJudgeWorker,
  [EMBED_QUEUE]: startEmbedWorker,
  [SCORE_QUEUE]: startScoreWorker,
};

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run queued chunks until stopped: labelling (`sift judge run --queue`) into label stores, embedding (`sift index --queue`) beside indexes, teacher scoring (`sift prune --recover --queue`, `sift train --preset student --queue`)',
    )
    .requiredOption('--queue <url>', 'the Redis the chunks are queued on (redis://HOST:PORT[/DB])')
    .option('--prefix <prefix>', 'queue key prefix, as given to the producer', DEFAULT_QUEUE_PREFIX)
    .option(
      '--concurrency <n>',
      'chunks run at once by this process (a local model judges one pair at a time: start more workers instead)',
      parsePositiveInt,
      1,
    )
    .option(
      '--threads <n>',
      'threads per model: a local judge, an embedder, a teacher (default: every core)',
      parsePositiveInt,
    )
    .option(
      '--lock-seconds <n>',
      'how long a chunk of a worker that died waits before another worker takes it over',
      parsePositiveInt,
      30,
    )
    .option('--only <queue>', `take chunks from one queue only: ${QUEUES.join(' or ')}`)
    .option('--quiet', 'log only failures', false)
    .addHelpText(
      'after',
      `
A labelling chunk is written into its store in one transaction, and an embedding or teacher-scoring chunk
into its own file atomically, so a worker killed at any moment (even kill -9) leaves nothing half-written; its chunk goes
back to the queue after --lock-seconds and no pair is ever labelled twice. SIGTERM or Ctrl-C finishes the chunks in flight, then stops; a second one stops at once.`,
    )
    .action(workerAction);
}

async function workerAction(opts: WorkerCommandOptions): Promise<void> {
  if (opts.only !== undefined && !(QUEUES as readonly string[]).includes(opts.only)) {
    throw new SiftError('E_BAD_ARGUMENT', `--only takes ${QUEUES.join(' or ')}, not "${opts.only}"`, {
      field: 'only',
    });
  }
  const target = queueTarget(opts.queue, opts.prefix);
  await checkQueueReachable(target);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const settings = {
    target,
    concurrency: opts.concurrency,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    lockSeconds: opts.lockSeconds,
    log,
    quiet: opts.quiet,
  };
  const queues = opts.only ? [opts.only] : [...QUEUES];
  const workers: RunningQueueWorker[] = [];
  for (const queue of queues) {
    workers.push(await STARTERS[queue as (typeof QUEUES)[number]](settings));
  }
  const close = (force?: boolean) => Promise.all(workers.map((w) => w.close(force)));
  if (!opts.quiet)
    log(
      `sift worker: waiting for chunks (${queues.join(', ')}) on ${target.display} (prefix ${target.prefix}, concurrency ${opts.concurrency})`,
    );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) {
        log('sift worker: stopping now; chunks in flight go back to the queue');
        void close(true).then(() => resolve(), resolve);
        return;
      }
      stopping = true;
      log('sift worker: finishing the chunks in flight (signal again to stop at once)');
      void close().then(() => resolve(), resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const total = (key: 'completed' | 'failed') => workers.reduce((sum, w) => sum + w.stats[key], 0);
  log(`sift worker: stopped (${total('completed')} chunks done, ${total('failed')} failed)`);
}
