// A labelling job: every pair in the store that this (policy, judge) has not labelled yet goes to the
// judge, a few at a time; each label (or failure) is committed as it arrives. Identical (policy, judge,
// query text, document text) combinations are served from labels already in the store.

import { ProgressBar } from '../util/index.js';
import type { LabelStore, PairToJudge } from './label-store.js';
import { judgePair } from './pair-judgement.js';
import type { Policy } from './policy.js';
import type { Judge } from './types.js';

export interface LabelJobOptions {
  store: LabelStore;
  judge: Judge;
  policy: Policy;
  /** Pairs judged at once. Default 1 (a local model); raise it for servers that batch. ≥ 1. */
  concurrency?: number;
  /** Stop after this many pairs (the rest stay pending for the next run). */
  limit?: number;
  /** Recorded in the job row (how the job was run; no secrets). */
  description?: Record<string, unknown>;
  /** Aborting finishes in-flight writes, marks the job interrupted and returns. */
  signal?: AbortSignal;
  quiet?: boolean;
}

export interface LabelJobSummary {
  jobId: number;
  /** Pairs that were pending when the job started (before `limit`). */
  pending: number;
  /** New labels from the judge. */
  labelled: number;
  /** New labels copied from an identical earlier judgement. */
  cached: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  seconds: number;
  status: 'done' | 'interrupted';
}

export async function runLabelJob(options: LabelJobOptions): Promise<LabelJobSummary> {
  const { store, judge, policy } = options;
  const started = performance.now();
  store.savePolicy(policy);
  const jobId = store.startJob(policy.hash, judge.id, options.description ?? {});
  const pendingPairs = store.pendingPairs(policy.hash, judge.id);
  const queue = options.limit !== undefined ? pendingPairs.slice(0, options.limit) : pendingPairs;
  const summary: LabelJobSummary = {
    jobId,
    pending: pendingPairs.length,
    labelled: 0,
    cached: 0,
    failed: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
    seconds: 0,
    status: 'done',
  };
  const progress = new ProgressBar({
    label: `judging (${judge.id})`,
    total: queue.length,
    unit: 'pairs',
    quiet: options.quiet ?? false,
  });
  const signal = options.signal;

  let next = 0;
  // An unexpected error (a bug, a broken store) stops every worker; judge failures do not.
  let broken: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < queue.length && !signal?.aborted && broken === undefined) {
      const pair = queue[next++]!;
      try {
        await labelPair(pair);
      } catch (error) {
        broken ??= { error };
        return;
      }
      progress.tick();
    }
  };

  const labelPair = async (pair: PairToJudge): Promise<void> => {
    const outcome = await judgePair(pair, { store, judge, policy, jobId, ...(signal ? { signal } : {}) });
    if (outcome.kind === 'aborted') return;
    addUsage(outcome.usage);
    if (outcome.kind === 'failure') {
      store.addFailure(outcome.failure);
      summary.failed++;
    } else if (store.addLabel(outcome.label)) {
      if (outcome.cached) summary.cached++;
      else summary.labelled++;
    }
  };

  const addUsage = (usage: { promptTokens: number; completionTokens: number; costUsd?: number }) => {
    summary.promptTokens += usage.promptTokens;
    summary.completionTokens += usage.completionTokens;
    summary.costUsd += usage.costUsd ?? 0;
  };

  const workers = Math.max(1, Math.min(options.concurrency ?? 1, queue.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (broken !== undefined) {
    store.finishJob(jobId, 'failed', summary);
    progress.finish();
    throw broken.error;
  }
  summary.status = signal?.aborted ? 'interrupted' : 'done';
  summary.seconds = (performance.now() - started) / 1000;
  store.finishJob(jobId, summary.status, summary);
  progress.finish(
    `${summary.labelled} labelled, ${summary.cached} from cache, ${summary.failed} failed` +
      (summary.labelled > 0
        ? `, ${(summary.labelled / Math.max(summary.seconds, 1e-9)).toFixed(1)} labels/s`
        : ''),
  );
  return summary;
}
