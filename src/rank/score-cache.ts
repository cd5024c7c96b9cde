// A bounded cache of ranker scores keyed by content: sha256 of (ranker, query, title, text).
//
// Keys hash the texts, not ids, so an edited document misses the cache and a re-indexed one still hits.
// Eviction is least-recently-used (the shared LruCache); hits and misses are counted for reporting.

import { createHash } from 'node:crypto';
import { LruCache } from '../util/index.js';

export class ScoreCache {
  private readonly entries: LruCache<string, number>;
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {
    this.entries = new LruCache(capacity);
  }

  static key(ranker: string, query: string, title: string, text: string): string {
    const hash = createHash('sha256');
    for (const part of [ranker, query, title, text]) hash.update(`${part.length}:${part}`);
    return hash.digest('base64url');
  }

  get(key: string): number | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return value;
  }

  set(key: string, value: number): void {
    this.entries.set(key, value);
  }

  get size(): number {
    return this.entries.size;
  }
}
