// A labelling job: every pair in the store that this (policy, judge) has not labelled yet goes to the
// judge, a few at a time; each label (or failure) is committed as it arrives. Identical (policy, judge,
// query text, document text) combinations are served from labels already in the store.

import { createHash } from 'node:crypto';
import { isSiftError } from '../errors.js';
import { ProgressBar } from '../util/index.js';
import type { LabelStore, PairToJudge } from './label-store.js';
import type { Policy } from './policy.js';
import { type Judge, JudgeFailure } from './types.js';

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

/** sha256 of what a judgement depends on besides the prompt template: the label cache key. */
export function labelCacheKey(
  policyHash: string,
  judgeId: string,
  pair: Pick<PairToJudge, 'query' | 'title' | 'text'>,
): string {
  return createHash('sha256')
    .update(JSON.stringify([policyHash, judgeId, pair.query, pair.title, pair.text]))
    .digest('hex');
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
    const cacheKey = labelCacheKey(policy.hash, judge.id, pair);
    const cached = store.cachedLabel(cacheKey);
    if (cached) {
      const added = store.addLabel({
        pairId: pair.pairId,
        policyHash: policy.hash,
        judgeId: judge.id,
        promptHash: cached.promptHash,
        jobId,
        cacheKey,
        grade: cached.grade,
        ...(cached.rationale !== null ? { rationale: cached.rationale } : {}),
        ...(cached.softLabel !== null ? { softLabel: cached.softLabel } : {}),
        ...(cached.scores !== null ? { scores: cached.scores } : {}),
        cachedFrom: cached.id,
        promptTokens: 0,
        completionTokens: 0,
        latencyMs: 0,
        attempts: 0,
      });
      if (added) summary.cached++;
      return;
    }
    try {
      const judgement = await judge.judge(
        { policy, query: pair.query, document: { id: pair.docId, title: pair.title, text: pair.text } },
        signal,
      );
      const added = store.addLabel({
        pairId: pair.pairId,
        policyHash: policy.hash,
        judgeId: judge.id,
        promptHash: judgement.promptHash,
        jobId,
        cacheKey,
        grade: judgement.grade,
        ...(judgement.rationale !== undefined ? { rationale: judgement.rationale } : {}),
        ...(judgement.softLabel !== undefined ? { softLabel: judgement.softLabel } : {}),
        ...(judgement.scores !== undefined ? { scores: judgement.scores } : {}),
        promptTokens: judgement.usage.promptTokens,
        completionTokens: judgement.usage.completionTokens,
        ...(judgement.usage.costUsd !== undefined ? { costUsd: judgement.usage.costUsd } : {}),
        latencyMs: judgement.latencyMs,
        attempts: judgement.attempts,
      });
      if (added) summary.labelled++;
      addUsage(judgement.usage);
    } catch (error) {
      if (signal?.aborted) return;
      if (!(error instanceof JudgeFailure) && !isSiftError(error, 'E_JUDGE_OUTPUT')) throw error;
      const failure = error instanceof JudgeFailure ? error : undefined;
      store.addFailure({
        pairId: pair.pairId,
        policyHash: policy.hash,
        judgeId: judge.id,
        jobId,
        attempts: failure?.attempts ?? 1,
        errorCode: error.code,
        message: error.message,
        promptTokens: failure?.usage.promptTokens ?? 0,
        completionTokens: failure?.usage.completionTokens ?? 0,
      });
      if (failure) addUsage(failure.usage);
      summary.failed++;
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
