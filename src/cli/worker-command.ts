// `sift worker`: runs queued chunks of labelling work (made by `sift judge run --queue`) until stopped.
// Start as many as the machines allow, on one machine or many: every worker that can open the label
// store's path (the same file, or shared storage) can take any chunk.
//
//   sift worker --queue redis://HOST:PORT [--concurrency N] [--threads N] [--prefix {sift}]

import type { Command } from 'commander';
import { checkQueueReachable, DEFAULT_QUEUE_PREFIX, queueTarget, startJudgeWorker } from '../jobs/index.js';
import { parsePositiveInt } from './options.js';

interface WorkerCommandOptions {
  queue: string;
  prefix: string;
  concurrency: number;
  threads?: number;
  lockSeconds: number;
  quiet: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run queued labelling chunks (`sift judge run --queue`) into their label stores until stopped',
    )
    .requiredOption('--queue <url>', 'the Redis the chunks are queued on (redis://HOST:PORT[/DB])')
    .option('--prefix <prefix>', 'queue key prefix, as given to the producer', DEFAULT_QUEUE_PREFIX)
    .option(
      '--concurrency <n>',
      'chunks run at once by this process (a local model judges one pair at a time: start more workers instead)',
      parsePositiveInt,
      1,
    )
    .option('--threads <n>', 'threads for a local model judge (default: every core)', parsePositiveInt)
    .option(
      '--lock-seconds <n>',
      'how long a chunk of a worker that died waits before another worker takes it over',
      parsePositiveInt,
      30,
    )
    .option('--quiet', 'log only failures', false)
    .addHelpText(
      'after',
      `
A chunk is written into its store in one transaction, so a worker killed at any moment (even kill -9)
leaves nothing half-written; its chunk goes back to the queue after --lock-seconds and no pair is ever
labelled twice. SIGTERM or Ctrl-C finishes the chunks in flight, then stops; a second one stops at once.`,
    )
    .action(workerAction);
}

async function workerAction(opts: WorkerCommandOptions): Promise<void> {
  const target = queueTarget(opts.queue, opts.prefix);
  await checkQueueReachable(target);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const worker = await startJudgeWorker({
    target,
    concurrency: opts.concurrency,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    lockSeconds: opts.lockSeconds,
    log,
    quiet: opts.quiet,
  });
  if (!opts.quiet)
    log(
      `sift worker: waiting for chunks on ${target.display} (prefix ${target.prefix}, concurrency ${opts.concurrency})`,
    );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) {
        log('sift worker: stopping now; chunks in flight go back to the queue');
        void worker.close(true).then(resolve, resolve);
        return;
      }
      stopping = true;
      log('sift worker: finishing the chunks in flight (signal again to stop at once)');
      void worker.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log(`sift worker: stopped (${worker.stats.completed} chunks done, ${worker.stats.failed} failed)`);
}
