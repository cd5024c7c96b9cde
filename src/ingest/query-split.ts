// The fixed split of a collection's queries into training and test halves, by a hash of the query id.
//
// Labels for training (judge label sets, golden-set calibration, distillation) are only ever made on
// training queries, and learned models are evaluated only on test queries, so no model sees the labels
// it is scored on. A hash of the id (not a seeded shuffle) keeps a query on its side whatever else the
// collection holds, in every tool, forever; half and half keeps the test side as large as the training
// side on small collections (50 DBpedia queries).

import { createHash } from 'node:crypto';

export type QuerySplit = 'train' | 'test';

/** Which half a query id belongs to: sha256("sift-split-v1:" + id), first 32 bits, below 2^31 → train. */
export function querySplit(queryId: string): QuerySplit {
  const digest = createHash('sha256').update(`sift-split-v1:${queryId}`).digest();
  return digest.readUInt32BE(0) < 0x8000_0000 ? 'train' : 'test';
}

/** The items whose query id falls on `split` (`all` keeps every item). */
export function inSplit<T>(items: readonly T[], split: QuerySplit | 'all', idOf: (item: T) => string): T[] {
  return split === 'all' ? [...items] : items.filter((item) => querySplit(idOf(item)) === split);
}
