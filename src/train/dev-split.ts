// The dev split of training data: which training queries are held back to pick the checkpoint and stop
// early. A fixed hash of the query key (never a seeded shuffle), so a query stays on its side across
// runs, resumes and growing label sets. It only ever divides training queries: a collection's test
// queries (src/ingest/query-split.ts) never reach training at all.

import { createHash } from 'node:crypto';

export type DevSplit = 'train' | 'dev';

/** sha256("sift-dev-v1:" + key)'s first byte below 205 (≈ 0.8 · 256) → train, else dev. */
export function devSplit(key: string): DevSplit {
  const first = createHash('sha256').update(`sift-dev-v1:${key}`).digest()[0]!;
  return first < Math.round(0.8 * 256) ? 'train' : 'dev';
}
