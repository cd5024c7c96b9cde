// One chunk of a queued labelling job: the pairs of a fixed list that this (policy, judge) has not
// labelled are judged one after another, then every label and failure is committed in one transaction
// (LabelStore.commitChunk). A worker killed part way commits nothing, so a retried chunk starts clean;
// one killed after the commit but before the queue heard of it finds its pairs labelled and adds none.

import { SiftError } from '../errors.js';
import type { JobTotals, LabelStore, NewFailure, NewLabel } from './label-store.js';
import { judgePair } from './pair-judgement.js';
import type { Policy } from './policy.js';
import type { Judge, TokenUsage } from './types.js';

export interface LabelChunkOptions {
  store: LabelStore;
  judge: Judge;
  policy: Policy;
  /** The store's job row the labels are written under (the producer made it). */
  jobId: number;
  pairIds: readonly number[];
  /** Aborting stops before the next pair and commits nothing; the chunk is to be run again. */
  signal?: AbortSignal;
  /** Called after each pair is judged (not yet committed), with how many of the chunk's pending are done. */
  onPair?: (done: number, pending: number) => void | Promise<void>;
}

export interface ChunkSummary extends JobTotals {
  /** Pairs of the chunk that were not labelled when it started. */
  pending: number;
  usage: TokenUsage;
}

export async function labelChunk(options: LabelChunkOptions): Promise<ChunkSummary> {
  const { store, judge, policy, jobId, signal } = options;
  if (store.job(jobId) === undefined) {
    throw new SiftError('E_STORE', `the chunk's job ${jobId} is not in this store`, {
      file: store.path,
      field: 'jobId',
    });
  }
  const missing = store.missingPairs(options.pairIds);
  if (missing.length > 0) {
    throw new SiftError(
      'E_STORE',
      `the chunk names ${missing.length} pair(s) this store does not have (first: ${missing[0]})`,
      { file: store.path, field: 'pairIds' },
    );
  }
  const pending = store.pendingPairsAmong(policy.hash, judge.id, options.pairIds);
  const labels: NewLabel[] = [];
  const failures: NewFailure[] = [];
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
  for (const [i, pair] of pending.entries()) {
    signal?.throwIfAborted();
    const outcome = await judgePair(pair, { store, judge, policy, jobId, ...(signal ? { signal } : {}) });
    if (outcome.kind === 'aborted') signal?.throwIfAborted();
    if (outcome.kind === 'label') labels.push(outcome.label);
    if (outcome.kind === 'failure') failures.push(outcome.failure);
    if (outcome.kind !== 'aborted') {
      usage.promptTokens += outcome.usage.promptTokens;
      usage.completionTokens += outcome.usage.completionTokens;
      usage.costUsd = (usage.costUsd ?? 0) + (outcome.usage.costUsd ?? 0);
    }
    await options.onPair?.(i + 1, pending.length);
  }
  signal?.throwIfAborted();
  const totals = store.commitChunk(jobId, labels, failures);
  return { ...totals, pending: pending.length, usage };
}
