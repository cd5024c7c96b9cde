// Watching a queued labelling job from the producer: progress summed over every worker, read from the
// store's job rows (which each chunk's commit advances) and from the chunks' states on the queue, until
// every chunk has finished or failed.

import { setTimeout as sleep } from 'node:timers/promises';
import type { LabelStore } from '../judge/index.js';
import { ProgressBar } from '../util/index.js';
import type { EnqueuedJudgeJob } from './enqueue-judge.js';
import { JUDGE_QUEUE } from './judge-chunk.js';
import { openChunkQueue, type QueueTarget } from './queue-connection.js';

export interface WatchJudgeJobOptions {
  target: QueueTarget;
  store: LabelStore;
  job: EnqueuedJudgeJob;
  /** Milliseconds between polls. Default 500. */
  pollMs?: number;
  quiet?: boolean;
  /** Aborting stops watching (the chunks go on on the workers). */
  signal?: AbortSignal;
}

export interface WatchedJudgeJob {
  /** False when the watch was aborted before every chunk finished. */
  settled: boolean;
  /** Pairs labelled, copied from cache or failed by the job's chunks while watched. */
  labelled: number;
  cached: number;
  failed: number;
  /** Chunks the queue gave up on, with the reason it recorded. */
  failedChunks: Array<{ id: string; reason: string }>;
  seconds: number;
}

const FINAL_STATES = new Set(['completed', 'failed', 'unknown']);

export async function watchJudgeJob(options: WatchJudgeJobOptions): Promise<WatchedJudgeJob> {
  const { store, job } = options;
  const started = performance.now();
  const rows = [job.jobId, ...job.earlierJobIds];
  const totals = (ids = rows) => {
    const sum = { labelled: 0, cached: 0, failed: 0 };
    for (const id of ids) {
      const row = store.job(id);
      sum.labelled += row?.labelled ?? 0;
      sum.cached += row?.cached ?? 0;
      sum.failed += row?.failed ?? 0;
    }
    return sum;
  };
  // The new job row counts only this job's chunks, from 0 (some may have committed before the watch
  // began); rows of earlier runs count only what they add from now on.
  const baseline = totals(job.earlierJobIds);
  const progress = new ProgressBar({
    label: `judging on workers (${job.chunkIds.length} chunks)`,
    total: job.pending,
    unit: 'pairs',
    quiet: options.quiet ?? false,
  });
  const { queue, close } = openChunkQueue(JUDGE_QUEUE, options.target);
  const unsettled = new Set(job.chunkIds);
  const failedChunks: WatchedJudgeJob['failedChunks'] = [];
  let shown = 0;
  try {
    while (unsettled.size > 0 && !options.signal?.aborted) {
      const ids = [...unsettled];
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
      let running = 0;
      for (const [i, state] of states.entries()) {
        const id = ids[i] as string;
        if (state === 'active') running++;
        if (!FINAL_STATES.has(state)) continue;
        unsettled.delete(id);
        if (state === 'failed') {
          const failed = await queue.getJob(id);
          failedChunks.push({ id, reason: failed?.failedReason ?? 'no reason recorded' });
        }
      }
      const now = totals();
      const done = Math.min(
        job.pending,
        now.labelled + now.cached + now.failed - baseline.labelled - baseline.cached - baseline.failed,
      );
      progress.setStatus(`${running} chunks running, ${unsettled.size} to go`);
      if (done > shown) {
        progress.tick(done - shown);
        shown = done;
      }
      if (unsettled.size > 0)
        await sleep(options.pollMs ?? 500, undefined, { signal: options.signal }).catch(() => {});
    }
  } finally {
    await close();
  }
  const end = totals();
  const watched: WatchedJudgeJob = {
    settled: unsettled.size === 0,
    labelled: end.labelled - baseline.labelled,
    cached: end.cached - baseline.cached,
    failed: end.failed - baseline.failed,
    failedChunks,
    seconds: (performance.now() - started) / 1000,
  };
  progress.finish(
    `${watched.labelled} labelled, ${watched.cached} from cache, ${watched.failed} failed` +
      (failedChunks.length > 0 ? `, ${failedChunks.length} chunks failed` : ''),
  );
  return watched;
}
