// `sift judge run --queue redis://…`: instead of labelling here, the pending pairs go on the judge queue
// in chunks for `sift worker` processes, and this command watches them (a progress bar summed over the
// workers) until every chunk has finished, then settles the job row. `--no-wait` only enqueues.

import { resolve } from 'node:path';
import { SiftError } from '../errors.js';
import {
  type ChunkJudge,
  checkQueueReachable,
  enqueueJudgeJob,
  queueTarget,
  watchJudgeJob,
} from '../jobs/index.js';
import { isUrlJudge, LabelStore, loadPolicy, resolveJudgeIdentity } from '../judge/index.js';
import type { JudgeRunSettings } from './judge-shared.js';

export interface QueuedRunOptions extends JudgeRunSettings {
  queue: string;
  prefix: string;
  chunk: number;
  limit?: number;
  wait: boolean;
  quiet: boolean;
}

export async function queuedRunAction(opts: QueuedRunOptions): Promise<void> {
  const target = queueTarget(opts.queue, opts.prefix);
  await checkQueueReachable(target);
  const policy = await loadPolicy(opts.policy);
  const url = isUrlJudge(opts.judge);
  const apiKey = url ? process.env[opts.apiKeyEnv] : undefined;
  const identity = await resolveJudgeIdentity(opts.judge, {
    http: { ...(opts.model ? { model: opts.model } : {}), ...(apiKey ? { apiKey } : {}) },
  });
  const judge: ChunkJudge = {
    spec: opts.judge,
    id: identity.id,
    ...(identity.model ? { model: identity.model } : {}),
    ...(url ? { apiKeyEnv: opts.apiKeyEnv, timeoutSeconds: opts.timeout, retries: opts.retries } : {}),
    outputAttempts: opts.outputAttempts,
    ...(opts.maxDocChars !== undefined ? { maxDocChars: opts.maxDocChars } : {}),
    softLabels: opts.softLabels,
    ...(opts.priceIn !== undefined ? { priceIn: opts.priceIn } : {}),
    ...(opts.priceOut !== undefined ? { priceOut: opts.priceOut } : {}),
  };
  const store = LabelStore.open(resolve(opts.store));
  try {
    const job = await enqueueJudgeJob({
      target,
      store,
      policy,
      judge,
      chunkPairs: opts.chunk,
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      description: { judge: opts.judge, policy: policy.source, queue: target.display, prefix: target.prefix },
    });
    console.log(
      `job ${job.jobId}: ${job.pending} pending pairs in ${job.chunkIds.length} chunks of up to ${opts.chunk} on ` +
        `${target.display} (prefix ${target.prefix}): ${job.added} queued, ${job.alreadyQueued} already queued ` +
        `(judge ${judge.id}, policy ${policy.name} ${policy.hash.slice(0, 12)})`,
    );
    if (job.chunkIds.length === 0) {
      store.settleJob(job.jobId, 'done');
      return;
    }
    if (!opts.wait) {
      console.log('not waiting: start `sift worker --queue` processes; run this again to watch or resume');
      return;
    }
    const controller = new AbortController();
    const onSignal = () => {
      if (!opts.quiet) console.error('\nsift: stopped watching; the chunks stay queued for the workers');
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let watched: Awaited<ReturnType<typeof watchJudgeJob>>;
    try {
      watched = await watchJudgeJob({ target, store, job, quiet: opts.quiet, signal: controller.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (!watched.settled) return;
    store.settleJob(job.jobId, watched.failedChunks.length > 0 ? 'failed' : 'done');
    const rate = watched.seconds > 0 ? watched.labelled / watched.seconds : 0;
    console.log(
      `job ${job.jobId} ${watched.failedChunks.length > 0 ? 'failed' : 'done'}: ${watched.labelled} labelled, ` +
        `${watched.cached} from cache, ${watched.failed} failed of ${job.pending} pending; ` +
        `${watched.seconds.toFixed(1)} s, ${rate.toFixed(2)} labels/s`,
    );
    for (const failed of watched.failedChunks.slice(0, 5))
      console.log(`  chunk ${failed.id}: ${failed.reason}`);
    const counts = store.counts();
    console.log(`${opts.store}: ${counts.pairs} pairs, ${counts.labels} labels`);
    if (watched.failedChunks.length > 0) {
      throw new SiftError('E_JOB_FAILED', `${watched.failedChunks.length} chunk(s) failed (reasons above)`, {
        file: opts.store,
      });
    }
  } finally {
    store.close();
  }
}
