// `sift worker`'s labelling side: chunks of the judge queue labelled into their stores. A chunk commits
// in one transaction, so a worker killed mid-chunk wrote nothing of it, and the chunk runs again
// elsewhere once its lock lapses (queue-worker.ts).

import type { ChunkSummary } from '../judge/index.js';
import { JUDGE_CHUNK_NAME, JUDGE_QUEUE, parseJudgeChunk } from './judge-chunk.js';
import { JudgeChunkRunner } from './judge-chunk-runner.js';
import { type QueueWorkerOptions, type RunningQueueWorker, startQueueWorker } from './queue-worker.js';

export interface JudgeWorkerOptions extends QueueWorkerOptions {
  /** Threads for a local model judge. Default: every core. Local models take turns; URL judges overlap. */
  threads?: number;
}

/** What a chunk's BullMQ job returns (stored by the queue; the producer sums nothing from it). */
export type ChunkResult = Omit<ChunkSummary, 'usage'> & { promptTokens: number; completionTokens: number };

export type RunningJudgeWorker = RunningQueueWorker;

export function startJudgeWorker(options: JudgeWorkerOptions): Promise<RunningJudgeWorker> {
  const runner = new JudgeChunkRunner(options.threads !== undefined ? { threads: options.threads } : {});
  return startQueueWorker<ChunkResult>(
    {
      queue: JUDGE_QUEUE,
      jobName: JUDGE_CHUNK_NAME,
      async run(job, signal) {
        const chunk = parseJudgeChunk(job.data, job.id ?? '?');
        const summary = await runner.run(chunk, {
          ...(signal ? { signal } : {}),
          // Per-pair progress, so a watcher sees work in flight on every worker, not only committed chunks.
          onPair: (done, pending) => job.updateProgress({ done, pending }),
        });
        const { usage, ...totals } = summary;
        return { ...totals, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens };
      },
      describe: (result) =>
        `${result.labelled} labelled, ${result.cached} from cache, ${result.failed} failed of ${result.pending} pending`,
      close: () => runner.close(),
    },
    options,
  );
}
