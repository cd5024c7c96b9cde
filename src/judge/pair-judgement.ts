// One pair through the judge: a label (fresh, or copied from an identical earlier judgement) or a
// recorded failure, as rows to write. Writing is the caller's: a local job commits each row as it
// arrives, a queued chunk commits all of its rows in one transaction.

import { createHash } from 'node:crypto';
import { isSiftError } from '../errors.js';
import type { LabelStore, NewFailure, NewLabel, PairToJudge } from './label-store.js';
import type { Policy } from './policy.js';
import { type Judge, JudgeFailure, type TokenUsage } from './types.js';

/** What judging one pair produced. `aborted`: the signal fired mid-pair, so there is nothing to write. */
export type PairOutcome =
  | { kind: 'label'; label: NewLabel; cached: boolean; usage: TokenUsage }
  | { kind: 'failure'; failure: NewFailure; usage: TokenUsage }
  | { kind: 'aborted' };

export interface JudgePairContext {
  store: LabelStore;
  judge: Judge;
  policy: Policy;
  /** The store's job row the label is written under. */
  jobId: number;
  signal?: AbortSignal;
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

/**
 * Judges one pair. Judge failures (a typed JudgeFailure, or a judge that kept answering garbage) become
 * a failure row; any other error (a bug, a broken store) is thrown.
 */
export async function judgePair(pair: PairToJudge, context: JudgePairContext): Promise<PairOutcome> {
  const { store, judge, policy, jobId, signal } = context;
  const cacheKey = labelCacheKey(policy.hash, judge.id, pair);
  const cached = store.cachedLabel(cacheKey);
  if (cached) {
    return {
      kind: 'label',
      cached: true,
      usage: { promptTokens: 0, completionTokens: 0 },
      label: {
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
      },
    };
  }
  try {
    const judgement = await judge.judge(
      { policy, query: pair.query, document: { id: pair.docId, title: pair.title, text: pair.text } },
      signal,
    );
    return {
      kind: 'label',
      cached: false,
      usage: judgement.usage,
      label: {
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
      },
    };
  } catch (error) {
    if (signal?.aborted) return { kind: 'aborted' };
    if (!(error instanceof JudgeFailure) && !isSiftError(error, 'E_JUDGE_OUTPUT')) throw error;
    const failure = error instanceof JudgeFailure ? error : undefined;
    const usage = failure?.usage ?? { promptTokens: 0, completionTokens: 0 };
    return {
      kind: 'failure',
      usage,
      failure: {
        pairId: pair.pairId,
        policyHash: policy.hash,
        judgeId: judge.id,
        jobId,
        attempts: failure?.attempts ?? 1,
        errorCode: error.code,
        message: error.message,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
      },
    };
  }
}
