// Test support: reads a label store's rows directly (SQLite), to check what a killed or retried labelling
// job left behind without going through the store's own code.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';

/** The `n` column of a one-row query on the store. */
export function count(store: string, sql: string): number {
  const db = new Database(store, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Every one of the store's `pairs` pairs has exactly one label row, and nothing failed. */
export function assertEveryPairLabelledOnce(store: string, pairs: number): void {
  assert.equal(count(store, 'SELECT count(*) AS n FROM labels'), pairs, 'one label row per pair');
  assert.equal(
    count(store, 'SELECT count(DISTINCT pair_id) AS n FROM labels'),
    pairs,
    'no pair labelled twice',
  );
  assert.equal(
    count(
      store,
      'SELECT count(*) AS n FROM pairs p WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.pair_id = p.id)',
    ),
    0,
    'no pair lost',
  );
  assert.equal(count(store, 'SELECT count(*) AS n FROM failures'), 0);
}
