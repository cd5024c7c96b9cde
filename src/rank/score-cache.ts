// A bounded cache of ranker scores keyed by content: sha256 of (ranker, query, title, text).
//
// Keys hash the texts, not ids, so an edited document misses the cache and a re-indexed one still hits.
// Eviction is least-recently-used (a Map keeps insertion order; a hit moves the entry to the end).

import { createHash } from 'node:crypto';

export class ScoreCache {
  private readonly entries = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {}

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
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: number): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
