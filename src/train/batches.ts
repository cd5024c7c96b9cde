// Mixed-length batches bucketed by length: each epoch shuffles the examples (seeded by seed and epoch, so
// a resumed run rebuilds the same epoch), sorts each window of 50 batches' worth of examples by token
// length, cuts the window into batches, and shuffles the batches. Batches then hold similar lengths (little
// padding) while their order stays random.

import { Mulberry32 } from '../util/index.js';
import type { TokenBatch } from './embeddings.js';
import type { CandidateGroup } from './losses.js';

/** A tokenized pair: "[CLS] query [SEP] document [SEP]" ids and segment ids. */
export interface EncodedPair {
  ids: Int32Array;
  typeIds: Int32Array;
}

const WINDOW_BATCHES = 50;

/** Example indices of every batch of `epoch`, in training order. */
export function epochBatches(
  lengths: readonly number[],
  batchSize: number,
  seed: number,
  epoch: number,
): number[][] {
  const rng = new Mulberry32((seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const window = batchSize * WINDOW_BATCHES;
  for (let start = 0; start < order.length; start += window) {
    const part = order.slice(start, start + window).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    for (let b = 0; b < part.length; b += batchSize) batches.push(part.slice(b, b + batchSize));
  }
  return rng.shuffle(batches);
}

/**
 * Batches of whole queries for listwise losses: example indices grouped by query key, the queries
 * shuffled per epoch (a function of seed and epoch, so a resumed run sees the same batches), then packed
 * in that order while a batch stays within `batchSize` examples (a query larger than that is a batch of
 * its own). A query's examples are consecutive in its batch.
 */
export function queryBatches(
  queryKeys: readonly string[],
  batchSize: number,
  seed: number,
  epoch: number,
): number[][] {
  const byQuery = new Map<string, number[]>();
  queryKeys.forEach((key, i) => {
    const rows = byQuery.get(key);
    if (rows) rows.push(i);
    else byQuery.set(key, [i]);
  });
  const rng = new Mulberry32((seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
  const queries = rng.shuffle([...byQuery.values()]);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const rows of queries) {
    if (current.length > 0 && current.length + rows.length > batchSize) {
      batches.push(current);
      current = [];
    }
    current.push(...rows);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The runs of consecutive rows with the same query key, as candidate groups over those rows. */
export function queryGroups(rows: readonly number[], keyOf: (row: number) => string): CandidateGroup[] {
  const groups: CandidateGroup[] = [];
  rows.forEach((row, i) => {
    const last = groups[groups.length - 1];
    if (last && keyOf(rows[i - 1]!) === keyOf(row)) last.count++;
    else groups.push({ start: i, count: 1 });
  });
  return groups;
}

/** Right-pads the rows' pairs to the longest of them. */
export function tokenBatch(pairs: readonly EncodedPair[], rows: readonly number[]): TokenBatch {
  const seq = Math.max(...rows.map((r) => pairs[r]!.ids.length));
  const batch = rows.length;
  const ids = new Int32Array(batch * seq);
  const typeIds = new Int32Array(batch * seq);
  const lengths = new Int32Array(batch);
  rows.forEach((r, b) => {
    const pair = pairs[r]!;
    ids.set(pair.ids, b * seq);
    typeIds.set(pair.typeIds, b * seq);
    lengths[b] = pair.ids.length;
  });
  return { batch, seq, ids, typeIds, lengths };
}
