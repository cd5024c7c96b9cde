// One BullMQ worker on one of sift's queues, as every kind of chunk runs: a malformed job (bad data, an
// unknown name) or one whose inputs cannot be used (a SiftError) fails at once with its id and reason
// (BullMQ's UnrecoverableError: no retries) and the worker goes on with the next; other errors are
// retried by the queue with backoff. A worker that dies mid-chunk (kill -9) holds a lock that lapses
// after `lockSeconds`; another worker's stalled check then puts the chunk back.

import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { isSiftError } from '../errors.js';
import { type QueueTarget, queueClient } from './queue-connection.js';

export interface QueueWorkerOptions {
  target: QueueTarget;
  /** Chunks run at once by this process. Default 1. */
  concurrency?: number;
  /**
   * Seconds a chunk's lock lasts without renewal (renewed every half of it while the worker lives):
   * how long a dead worker's chunk waits before another worker takes it over. Default 30. It must
   * outlast the longest stretch the event loop is blocked (opening a model is synchronous for seconds):
   * a lock that lapses while the worker lives puts its chunk back as stalled, to be run twice (every
   * kind of chunk is idempotent, but the work is wasted).
   */
  lockSeconds?: number;
  /** One line per event (chunk done, chunk failed, connection trouble). Default: stderr. */
  log?: (line: string) => void;
  /** Log failures and trouble only, not each finished chunk. */
  quiet?: boolean;
}

export interface RunningQueueWorker {
  /** Chunks finished and failed since the worker started. */
  readonly stats: { completed: number; failed: number };
  /** Waits for the chunks in flight, then stops (`force`: stops now; their chunks return to the queue). */
  close(force?: boolean): Promise<void>;
}

export interface ChunkHandler<R> {
  queue: string;
  jobName: string;
  /** Runs one chunk (its data not yet checked). */
  run(job: Job, signal: AbortSignal | undefined): Promise<R>;
  /** The log line of a finished chunk. */
  describe(result: R): string;
  /** Releases what the handler holds (models), after the worker stopped. */
  close?(): Promise<void>;
}

export async function startQueueWorker<R>(
  handler: ChunkHandler<R>,
  options: QueueWorkerOptions,
): Promise<RunningQueueWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stats = { completed: 0, failed: 0 };
  const lockMs = (options.lockSeconds ?? 30) * 1000;

  const processChunk = async (job: Job, _token?: string, signal?: AbortSignal): Promise<R> => {
    if (job.name !== handler.jobName) {
      throw new UnrecoverableError(`job ${job.id ?? '?'}: unknown job name "${job.name}" [E_BAD_JOB]`);
    }
    try {
      return await handler.run(job, signal);
    } catch (error) {
      // A SiftError describes the job or its inputs (bad data, a missing file, an unknown model):
      // running it again cannot help.
      if (isSiftError(error)) throw new UnrecoverableError(error.message);
      throw error;
    }
  };

  const client = queueClient(options.target, 'worker');
  const worker = new Worker(handler.queue, processChunk, {
    connection: client.connection,
    prefix: options.target.prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A chunk may outlive one dead worker and then another; a third death fails it for a person to see.
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('completed', (job, result: R) => {
    stats.completed++;
    if (!options.quiet) log(`chunk ${job.id} done: ${handler.describe(result)}`);
  });
  worker.on('failed', (job, error) => {
    // Retried failures come here too; only the last attempt is final.
    const final =
      job === undefined ||
      error instanceof UnrecoverableError ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) stats.failed++;
    log(`chunk ${job?.id ?? '?'} ${final ? 'failed' : 'will be retried'}: ${error.message}`);
  });
  // Without a listener an 'error' event would throw and end the process: connection trouble is logged
  // and the client reconnects by itself.
  worker.on('error', (error) => log(`worker: ${error.message}`));
  await worker.waitUntilReady();
  worker
    .run()
    .catch((error: unknown) =>
      log(`worker stopped: ${error instanceof Error ? error.message : String(error)}`),
    );

  return {
    stats,
    async close(force = false) {
      await worker.close(force);
      await client.close();
      await handler.close?.();
    },
  };
}
