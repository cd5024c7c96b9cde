// `sift worker`'s engine: a BullMQ worker on the judge queue that labels chunks into their stores.
//
// A malformed job (bad data, an unknown name) or one whose store, policy or judge cannot be used is
// failed at once with its id and the reason (BullMQ's UnrecoverableError: no retries), and the worker
// goes on with the next; other errors are retried by the queue with backoff. A worker that dies
// mid-chunk (kill -9) holds a lock that lapses after `lockSeconds`; another worker's stalled check then
// puts the chunk back, and since a chunk commits in one transaction nothing of it was written.

import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { isSiftError } from '../errors.js';
import type { ChunkSummary } from '../judge/index.js';
import { JUDGE_CHUNK_NAME, JUDGE_QUEUE, parseJudgeChunk } from './judge-chunk.js';
import { JudgeChunkRunner } from './judge-chunk-runner.js';
import type { QueueTarget } from './queue-connection.js';

export interface JudgeWorkerOptions {
  target: QueueTarget;
  /** Chunks run at once by this process. Default 1. Local models take turns; URL judges overlap. */
  concurrency?: number;
  /** Threads for a local model judge. Default: every core. */
  threads?: number;
  /**
   * Seconds a chunk's lock lasts without renewal (renewed every half of it while the worker lives):
   * how long a dead worker's chunk waits before another worker takes it over. Default 30. It must
   * outlast the longest stretch the event loop is blocked (opening a model is synchronous for seconds):
   * a lock that lapses while the worker lives puts its chunk back as stalled, to be run twice (the store
   * keeps one label per pair either way, but the work is wasted).
   */
  lockSeconds?: number;
  /** One line per event (chunk done, chunk failed, connection trouble). Default: stderr. */
  log?: (line: string) => void;
  /** Log failures and trouble only, not each finished chunk. */
  quiet?: boolean;
}

/** What a chunk's BullMQ job returns (stored by the queue; the producer sums nothing from it). */
export type ChunkResult = Omit<ChunkSummary, 'usage'> & { promptTokens: number; completionTokens: number };

export interface RunningJudgeWorker {
  /** Chunks finished and failed since the worker started. */
  readonly stats: { completed: number; failed: number };
  /** Waits for the chunks in flight, then stops (`force`: stops now; their chunks return to the queue). */
  close(force?: boolean): Promise<void>;
}

export async function startJudgeWorker(options: JudgeWorkerOptions): Promise<RunningJudgeWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runner = new JudgeChunkRunner(options.threads !== undefined ? { threads: options.threads } : {});
  const stats = { completed: 0, failed: 0 };
  const lockMs = (options.lockSeconds ?? 30) * 1000;

  const processChunk = async (job: Job, _token?: string, signal?: AbortSignal): Promise<ChunkResult> => {
    const id = job.id ?? '?';
    if (job.name !== JUDGE_CHUNK_NAME) {
      throw new UnrecoverableError(`job ${id}: unknown job name "${job.name}" [E_BAD_JOB]`);
    }
    try {
      const chunk = parseJudgeChunk(job.data, id);
      const summary = await runner.run(chunk, {
        ...(signal ? { signal } : {}),
        // Per-pair progress, so a watcher sees work in flight on every worker, not only committed chunks.
        onPair: (done, pending) => job.updateProgress({ done, pending }),
      });
      const { usage, ...totals } = summary;
      return { ...totals, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens };
    } catch (error) {
      // A SiftError describes the job or its inputs (bad data, a missing store, an unknown model):
      // running it again cannot help.
      if (isSiftError(error)) throw new UnrecoverableError(error.message);
      throw error;
    }
  };

  const worker = new Worker(JUDGE_QUEUE, processChunk, {
    connection: { ...options.target.connection, maxRetriesPerRequest: null },
    prefix: options.target.prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A chunk may outlive one dead worker and then another; a third death fails it for a person to see.
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('completed', (job, result: ChunkResult) => {
    stats.completed++;
    if (!options.quiet)
      log(
        `chunk ${job.id} done: ${result.labelled} labelled, ${result.cached} from cache, ${result.failed} failed of ${result.pending} pending`,
      );
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
      await runner.close();
    },
  };
}
