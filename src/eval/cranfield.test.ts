// Reads the real Cranfield qrels from the shared data folder and checks their shape, and that a perfect run scores 1.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { evaluateRun } from './metrics.js';
import type { Run } from './run.js';
import { readQrels } from './run.js';

const shared = resolve(process.cwd(), process.env['SIFT_SHARED'] ?? '../shared');
const path = resolve(shared, 'data/cranfield/qrels/test.tsv');
// No skip when the file is missing: CI has ../shared, and a missing collection must fail loudly.
describe('Cranfield qrels (BEIR test split)', () => {
  it('has 225 queries and 1837 judgments, every query with a relevant document', async () => {
    // Counted from the file itself (1838 lines: a header and 1837 judgments).
    const qrels = await readQrels(path);
    assert.equal(qrels.size, 225);
    let judgments = 0;
    let relevant = 0;
    const grades = new Set<number>();
    for (const judged of qrels.values()) {
      judgments += judged.size;
      let queryRelevant = 0;
      for (const grade of judged.values()) {
        grades.add(grade);
        if (grade > 0) queryRelevant += 1;
      }
      assert.ok(queryRelevant >= 1);
      relevant += queryRelevant;
    }
    assert.equal(judgments, 1837);
    assert.equal(relevant, 1612);
    assert.deepEqual(
      [...grades].sort((a, b) => a - b),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual([...(qrels.get('1')?.entries() ?? [])].slice(0, 4), [
      ['184', 3],
      ['29', 3],
      ['31', 3],
      ['12', 2],
    ]);
  });

  it('scores a run that lists the judged documents by grade as perfect', async () => {
    const qrels = await readQrels(path);
    const run: Run = new Map();
    for (const [qid, judged] of qrels) {
      run.set(
        qid,
        [...judged].map(([docId, grade]) => ({ docId, score: grade })),
      );
    }
    const result = evaluateRun(run, qrels);
    assert.equal(result.queries, 225);
    for (const [name, value] of Object.entries(result.metrics)) {
      assert.ok(Math.abs(value - 1) < 1e-12, `${name} = ${value}`);
    }
  });
});
