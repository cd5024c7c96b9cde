// The producer side of a queued labelling job: the store's pairs, in a fixed order, cut into chunks;
// each chunk that still has a pair this (policy, judge) has not labelled goes on the judge queue under
// an id derived from its contents, so enqueueing twice adds nothing twice.

import { realpathSync } from 'node:fs';
import type { LabelStore, Policy } from '../judge/index.js';
import {
  type ChunkJudge,
  JUDGE_CHUNK_NAME,
  JUDGE_CHUNK_VERSION,
  JUDGE_QUEUE,
  type JudgeChunk,
  judgeChunkId,
} from './judge-chunk.js';
import { openChunkQueue, type QueueTarget } from './queue-connection.js';

/** Pairs per chunk by default: a few seconds of a local model's time, small enough to lose little to a kill. */
export const DEFAULT_CHUNK_PAIRS = 16;

export interface EnqueueJudgeOptions {
  target: QueueTarget;
  /** Opened read-write: the policy and a job row are written to it. */
  store: LabelStore;
  policy: Policy;
  judge: ChunkJudge;
  /** Pairs per chunk (≥ 1). Default DEFAULT_CHUNK_PAIRS. */
  chunkPairs?: number;
  /** Enqueue chunks only until they hold this many pending pairs (the rest wait for the next run). */
  limit?: number;
  /** Recorded in the job row (how it was run; no secrets). */
  description?: Record<string, unknown>;
}

export interface EnqueuedJudgeJob {
  /** The store's job row new chunks label under. */
  jobId: number;
  /** Every chunk with pending pairs, queued now or already waiting or running. */
  chunkIds: string[];
  /** Pending pairs in those chunks. */
  pending: number;
  /** Chunks put on the queue by this call (new, or finished earlier and queued again for their pending pairs). */
  added: number;
  /** Chunks that were already waiting or running (left as they are). */
  alreadyQueued: number;
  /** Job rows the already queued chunks label under (from an earlier run). */
  earlierJobIds: number[];
}

/** Job states in which a chunk will still run; it is left alone. */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export async function enqueueJudgeJob(options: EnqueueJudgeOptions): Promise<EnqueuedJudgeJob> {
  const { store, policy, judge } = options;
  const chunkPairs = options.chunkPairs ?? DEFAULT_CHUNK_PAIRS;
  store.savePolicy(policy);
  const pending = new Set(store.pendingPairs(policy.hash, judge.id).map((pair) => pair.pairId));
  const order = store.pairOrder();
  // Workers open the store by this path: resolve links so that two spellings make one chunk id.
  const storePath = realpathSync(store.path);
  const jobId = store.startJob(policy.hash, judge.id, { ...options.description, queued: true, chunkPairs });

  const chunks: JudgeChunk[] = [];
  let pendingInChunks = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (let start = 0; start < order.length && pendingInChunks < limit; start += chunkPairs) {
    const pairIds = order.slice(start, start + chunkPairs);
    const open = pairIds.filter((id) => pending.has(id)).length;
    if (open === 0) continue;
    pendingInChunks += open;
    chunks.push({
      version: JUDGE_CHUNK_VERSION,
      store: storePath,
      jobId,
      policyHash: policy.hash,
      judge,
      pairIds,
    });
  }

  const { queue, close } = openChunkQueue(JUDGE_QUEUE, options.target);
  const result: EnqueuedJudgeJob = {
    jobId,
    chunkIds: [],
    pending: pendingInChunks,
    added: 0,
    alreadyQueued: 0,
    earlierJobIds: [],
  };
  try {
    const toAdd: Array<{ name: string; data: JudgeChunk; opts: { jobId: string } }> = [];
    const earlier = new Set<number>();
    for (const chunk of chunks) {
      const id = judgeChunkId(chunk);
      result.chunkIds.push(id);
      const state = await queue.getJobState(id);
      if (LIVE_STATES.has(state)) {
        result.alreadyQueued++;
        const queued = await queue.getJob(id);
        const earlierJob = (queued?.data as Partial<JudgeChunk> | undefined)?.jobId;
        if (typeof earlierJob === 'number' && earlierJob !== jobId) earlier.add(earlierJob);
        continue;
      }
      // Finished before (its pairs that failed, or that a worker lost, are pending again): run it again.
      if (state === 'completed' || state === 'failed') await (await queue.getJob(id))?.remove();
      toAdd.push({ name: JUDGE_CHUNK_NAME, data: chunk, opts: { jobId: id } });
    }
    for (let i = 0; i < toAdd.length; i += 500) await queue.addBulk(toAdd.slice(i, i + 500));
    result.added = toAdd.length;
    result.earlierJobIds = [...earlier];
  } finally {
    await close();
  }
  return result;
}
