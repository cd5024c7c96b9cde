// Cross-request batching for exact kNN. An exhaustive scan reads every row once per batch of queries, so
// at 100k+ rows one query at a time is bound by memory bandwidth, while a batch of 32 reads the rows once
// for all of them (bench/knn.ts: 8× the queries per second at batch 32 on the same rows). The server's
// engine thread answers one search message at a time, and the native scan holds that thread while it
// runs, so searches that arrive during a scan wait anyway: this searcher gathers them and scans them
// together when the thread is next free.
//
// The wait is bounded by construction: a query is scanned at the first `setImmediate` after it was
// queued (the event loop's check phase, after every message already delivered has queued its query), or
// at once when its group reaches `maxBatch`. With `maxWaitMs` > 0 the first query of a group waits that
// long for company instead. Under no load a query is therefore scanned alone, with no added latency.
//
// Queries are grouped by k and dimension, so every member of a batch gets the top k a scan of its own
// would return (the int8 rescoring depth follows k; final scores are exact dot products either way, and
// only the kernel's rounding at near-ties can pick a different row), and a wrong dimension fails only
// its own group.
// Filtered and multi-query searches go straight to the wrapped searcher: their bitmaps differ per request.

import type { VectorSearcher } from './dense.js';
import type { ScoredOrdinal } from './top-k.js';

export interface CoalescingKnnOptions {
  /** Most queries scanned together. Default 64 (ExactKnn's own query batch). */
  maxBatch?: number;
  /** How long the first query of a group waits for others, ms. Default 0: only until the thread is free. */
  maxWaitMs?: number;
  /** Told the number of queries of each scan it starts. */
  onBatch?: (queries: number) => void;
}

interface Waiting {
  vector: Float32Array;
  resolve: (results: ScoredOrdinal[][]) => void;
  reject: (error: unknown) => void;
}

interface Group {
  k: number;
  waiting: Waiting[];
}

export class CoalescingKnn implements VectorSearcher {
  private readonly groups = new Map<string, Group>();
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private flushScheduled = false;

  constructor(
    private readonly searcher: VectorSearcher,
    private readonly options: CoalescingKnnOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 0);
  }

  search(
    queries: Float32Array,
    numQueries: number,
    k: number,
    options: { allowed?: Uint8Array } = {},
  ): Promise<ScoredOrdinal[][]> {
    if (numQueries !== 1 || options.allowed !== undefined) {
      this.options.onBatch?.(numQueries);
      return this.searcher.search(queries, numQueries, k, options);
    }
    const key = `${k}:${queries.length}`;
    return new Promise((resolve, reject) => {
      let group = this.groups.get(key);
      if (!group) {
        group = { k, waiting: [] };
        this.groups.set(key, group);
      }
      group.waiting.push({ vector: queries, resolve, reject });
      if (group.waiting.length >= this.maxBatch) {
        this.groups.delete(key);
        void this.scan(group);
      } else this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const flush = () => {
      this.flushScheduled = false;
      const groups = [...this.groups.values()];
      this.groups.clear();
      for (const group of groups) void this.scan(group);
    };
    if (this.maxWaitMs > 0) setTimeout(flush, this.maxWaitMs);
    else setImmediate(flush);
  }

  private async scan({ k, waiting }: Group): Promise<void> {
    const dimension = waiting[0]!.vector.length;
    const batch = new Float32Array(waiting.length * dimension);
    waiting.forEach(({ vector }, i) => {
      batch.set(vector, i * dimension);
    });
    this.options.onBatch?.(waiting.length);
    try {
      const results = await this.searcher.search(batch, waiting.length, k);
      waiting.forEach(({ resolve }, i) => {
        resolve([results[i] ?? []]);
      });
    } catch (error) {
      for (const { reject } of waiting) reject(error);
    }
  }
}
