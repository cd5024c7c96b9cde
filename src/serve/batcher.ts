// Dynamic batching across requests: items from concurrent requests are queued, gathered into batches
// of at most `maxBatch` items (or whatever arrived within `maxWaitMs` of the first one), run as one model
// call, and each caller gets its own result back.
//
// The queue is bounded (`maxQueue`): a submit past it fails at once with E_OVERLOADED, so a burst turns
// into fast 503s instead of unbounded memory and latency. An item whose request is aborted (client gone,
// deadline passed) while it still waits is removed from the queue and never reaches the model. At most
// `concurrency` batches run at a time (one per model worker); while they run, new items accumulate, so
// batches grow with load, which is what makes batching pay.
//
// Items of `low` priority (the first stage of reranked searches) wait behind every `high` one and run in
// batches of their own, at most `lowMaxBatch` weight, so a flood of them delays a plain search by one
// small batch at most.

import { SiftError } from '../errors.js';
import { abortReason, type Priority } from './gate.js';

export interface BatcherOptions {
  /** Name used in errors and metrics, e.g. "embed" or "rank". */
  name: string;
  /** Most items (weighted by `weight`) in one batch. */
  maxBatch: number;
  /** How long the first item of a batch waits for others, in ms. */
  maxWaitMs: number;
  /** Most items waiting; past it, submit fails with E_OVERLOADED. */
  maxQueue: number;
  /** Batches running at once. Default 1. */
  concurrency?: number;
  /** Told the size of each batch as it starts. */
  onBatch?: (size: number) => void;
  /** Most weight in a batch of low-priority items. Default maxBatch / 4. */
  lowMaxBatch?: number;
  /**
   * Most items in one batch, whatever their weight (default: no limit). At 1 nothing is batched: an item
   * is dispatched as soon as a runner is free, and until then it can still be withdrawn.
   */
  maxItems?: number;
}

interface Pending<I, O> {
  item: I;
  weight: number;
  priority: Priority;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export type BatchRunner<I, O> = (items: I[]) => Promise<O[]>;

export class DynamicBatcher<I, O> {
  private readonly queue: Array<Pending<I, O>> = [];
  private queuedWeight = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;

  constructor(
    private readonly options: BatcherOptions,
    private readonly run: BatchRunner<I, O>,
    /** Weight of an item against maxBatch (e.g. a ranker job's candidate count). Default 1. */
    private readonly weightOf: (item: I) => number = () => 1,
  ) {
    this.concurrency = options.concurrency ?? 1;
  }

  /** Items waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues one item; resolves with its result, rejects with E_CANCELLED if `signal` aborts first. */
  submit(item: I, signal?: AbortSignal, priority: Priority = 'high'): Promise<O> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(
        new SiftError(
          'E_OVERLOADED',
          `the ${this.options.name} queue is full (${this.options.maxQueue} waiting)`,
          {
            queue: this.options.name,
          },
        ),
      );
    }
    return new Promise<O>((resolve, reject) => {
      const pending: Pending<I, O> = {
        item,
        weight: Math.max(1, this.weightOf(item)),
        priority,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        pending.onAbort = () => this.withdraw(pending);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      // High-priority items go ahead of every low-priority one; each class stays first come, first served.
      const firstLow = priority === 'high' ? this.queue.findIndex((p) => p.priority === 'low') : -1;
      if (firstLow >= 0) this.queue.splice(firstLow, 0, pending);
      else this.queue.push(pending);
      this.queuedWeight += pending.weight;
      this.schedule();
    });
  }

  private withdraw(pending: Pending<I, O>): void {
    const at = this.queue.indexOf(pending);
    if (at < 0) return; // already in a running batch: its result will simply be ignored
    this.queue.splice(at, 1);
    this.queuedWeight -= pending.weight;
    pending.reject(abortReason(pending.signal!));
  }

  private schedule(): void {
    if (this.queue.length === 0 || this.running >= this.concurrency) return;
    if (
      this.queuedWeight >= this.options.maxBatch ||
      this.queue.length >= (this.options.maxItems ?? Number.POSITIVE_INFINITY) ||
      this.options.maxWaitMs <= 0
    ) {
      this.dispatch();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.running < this.concurrency) this.dispatch();
    }, this.options.maxWaitMs);
  }

  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Take items up to maxBatch (lowMaxBatch for low-priority ones, which never share a batch with high
    // ones); a single item heavier than that still goes, alone.
    const batch: Array<Pending<I, O>> = [];
    let weight = 0;
    const priority = this.queue[0]?.priority;
    const limit =
      priority === 'low'
        ? (this.options.lowMaxBatch ?? Math.max(1, Math.floor(this.options.maxBatch / 4)))
        : this.options.maxBatch;
    const maxItems = this.options.maxItems ?? Number.POSITIVE_INFINITY;
    while (this.queue.length > 0 && batch.length < maxItems) {
      const next = this.queue[0]!;
      if (next.priority !== priority) break;
      if (batch.length > 0 && weight + next.weight > limit) break;
      this.queue.shift();
      this.queuedWeight -= next.weight;
      weight += next.weight;
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      batch.push(next);
    }
    if (batch.length === 0) return;
    this.running++;
    this.options.onBatch?.(weight);
    this.run(batch.map((pending) => pending.item))
      .then(
        (results) => {
          if (results.length !== batch.length) {
            throw new SiftError(
              'E_INTERNAL',
              `${this.options.name} batch of ${batch.length} returned ${results.length} results`,
            );
          }
          batch.forEach((pending, i) => {
            pending.resolve(results[i]!);
          });
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .catch((error: unknown) => {
        for (const pending of batch) pending.reject(error);
      })
      .finally(() => {
        this.running--;
        // Items that queued up while this batch ran have already waited; run them now.
        if (this.queue.length > 0 && this.running < this.concurrency) this.dispatch();
        else this.schedule();
      });
  }
}
