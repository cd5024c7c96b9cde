// Rank jobs on their way to the ranker workers: one job per worker call, through a bounded queue, under
// the request's abort signal and, for a reranked search, its latency budget. The budget is kept here, on
// the HTTP thread: a job still queued when it ends is withdrawn, and one already in a worker is answered
// with the chunks the worker has streamed back so far and told to stop, whatever the worker's scheduling.

import type { RankCandidate } from '../rank/index.js';
import { DynamicBatcher } from './batcher.js';
import type { ServeConfig } from './config.js';
import type { RequestLimits } from './gate.js';
import type { ServeMetrics } from './metrics.js';
import type { ModelPool } from './model-pool.js';
import type { RankJob, RankOutcome } from './model-protocol.js';
import { fromWireError } from './wire-error.js';

export class RankJobs {
  private readonly batcher: DynamicBatcher<RankJob, RankOutcome>;
  private nextKey = 1;

  constructor(
    private readonly pool: ModelPool,
    private readonly metrics: ServeMetrics,
    config: Pick<ServeConfig, 'maxBatch' | 'maxWaitMs' | 'maxQueue'>,
  ) {
    // One rank job per worker call. A worker scores a call's jobs one after another and answers them
    // together, and a job in a running call can no longer be withdrawn when its budget ends: batched with
    // a request that arrived later, a reranked search waited for that one's budget too (p99 near twice the
    // budget at 8 clients). Jobs waiting here are withdrawn at their budget's end; batching them would buy
    // nothing, since jobs share no model call. A job's weight (its candidates) still counts against maxQueue.
    this.batcher = new DynamicBatcher(
      {
        name: 'rank',
        maxBatch: config.maxBatch,
        maxWaitMs: config.maxWaitMs,
        maxQueue: config.maxQueue,
        concurrency: pool.size,
        onBatch: (size: number) => metrics.batchSize.observe({ batcher: 'rank' }, size),
        maxItems: 1,
      },
      (jobs) => pool.rank(jobs),
      (job) => job.candidates.length,
    );
    metrics.queueDepth.track({ queue: 'rank' }, () => this.batcher.depth);
  }

  /**
   * Scores through the ranker workers; a request that aborts tells the worker to stop at its next chunk.
   * With a budget, a job still queued when the budget ends is withdrawn and comes back with no scores:
   * the worker would only refuse it once it got there, after the request had waited for the job ahead.
   * A job already in the worker sends each chunk's scores as it finishes it, and at the budget's end the
   * search answers with the chunks it holds and tells the worker to stop: the deadline is kept here, on
   * the HTTP thread, not by a worker that the scheduler may be starving (it runs at a low priority).
   */
  async score(
    ranker: string,
    query: string,
    candidates: RankCandidate[],
    limits: RequestLimits,
    budgetEnd?: number,
  ): Promise<{ scores: Float32Array; rankerId: string; scoringMs: number }> {
    const { signal } = limits;
    signal.throwIfAborted();
    const job: RankJob = {
      key: this.nextKey++,
      ranker,
      query,
      candidates,
      deadline: limits.deadline,
      ...(budgetEnd !== undefined ? { budgetEnd, budgetMs: budgetEnd - limits.startedAt } : {}),
    };
    const onAbort = () => this.pool.cancel([job.key]);
    signal.addEventListener('abort', onAbort, { once: true });
    // The chunks finished so far, a best-first prefix.
    const held = { scores: new Float32Array(candidates.length), count: 0, ms: 0 };
    const unwatch =
      budgetEnd === undefined
        ? undefined
        : this.pool.watch(job.key, ({ from, scores, ms }) => {
            if (from !== held.count || from + scores.length > candidates.length) return;
            held.scores.set(scores, from);
            held.count += scores.length;
            held.ms += ms;
          });
    const budget = new AbortController();
    // Settles a turn after the budget ends, so that a job still queued (withdrawn at once, rejecting
    // `submitted`) is told apart from one already in the worker.
    const budgetEnded = new Promise<'budget'>((resolve) =>
      budget.signal.addEventListener('abort', () => setImmediate(() => resolve('budget')), { once: true }),
    );
    const timer =
      budgetEnd === undefined
        ? undefined
        : setTimeout(() => budget.abort(), Math.max(0, budgetEnd - Date.now()));
    const heldSoFar = () => ({
      scores: held.scores.slice(0, held.count),
      rankerId: ranker,
      scoringMs: held.ms,
    });
    try {
      const submitted = this.batcher.submit(job, AbortSignal.any([signal, budget.signal]));
      const first = await Promise.race([submitted, budgetEnded]);
      if (first === 'budget') {
        // In the worker past the budget: answer with what it finished, and stop it at its next chunk.
        submitted.catch(() => {});
        this.pool.cancel([job.key]);
        this.metrics.rankCutOff.inc();
        return heldSoFar();
      }
      if ('error' in first) throw fromWireError(first.error);
      return first;
    } catch (error) {
      if (budget.signal.aborted && !signal.aborted) {
        this.metrics.rankWithdrawn.inc();
        return heldSoFar();
      }
      throw error;
    } finally {
      clearTimeout(timer);
      unwatch?.();
      signal.removeEventListener('abort', onAbort);
    }
  }
}
