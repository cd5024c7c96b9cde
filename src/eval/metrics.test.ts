// Checks every metric against hand-computed values, trec_eval tie-breaking, and the query-set conventions.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import type { Qrels } from '../ingest/index.js';
import { evaluateQuery, evaluateRun, parseMetricSpec, parseMetricSpecs } from './metrics.js';
import { compareCodePoints, rankDocs, type ScoredDoc } from './ranking.js';
import type { Run } from './run.js';

const close = (actual: number | undefined, expected: number, tolerance = 1e-12): void => {
  assert.ok(actual !== undefined, 'metric missing');
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
};

const docs = (...pairs: Array<[string, number]>): ScoredDoc[] =>
  pairs.map(([docId, score]) => ({ docId, score }));

// Query q1: judged d1:3, d2:2, d3:0, d4:1, d5:2, so 4 relevant docs and ideal grades 3, 2, 2, 1.
const q1Judgments = new Map([
  ['d1', 3],
  ['d2', 2],
  ['d3', 0],
  ['d4', 1],
  ['d5', 2],
]);
// Retrieved, deliberately out of order: ranked by score it is dX (unjudged), d2, d3, d1, d4, so the
// grades in rank order are 0, 2, 0, 3, 1 and d5 is never retrieved.
const q1Run = docs(['d4', 0.5], ['d2', 0.8], ['dX', 0.9], ['d1', 0.6], ['d3', 0.7]);
const specs = parseMetricSpecs([
  'ndcg@10',
  'ndcg@3',
  'ndcg',
  'recall@100',
  'recall@3',
  'p@5',
  'p@10',
  'mrr@10',
  'mrr@1',
  'map',
  'map@4',
]);

describe('evaluateQuery', () => {
  const values = evaluateQuery(q1Run, q1Judgments, specs);

  it('computes nDCG with linear gains and log2(rank + 1) discounts', () => {
    // DCG@10  = 0/log2(2) + 2/log2(3) + 0/log2(4) + 3/log2(5) + 1/log2(6)
    //         = 1.2618595 + 1.2920297 + 0.3868528 = 2.9407420
    // IDCG@10 = 3/log2(2) + 2/log2(3) + 2/log2(4) + 1/log2(5)
    //         = 3 + 1.2618595 + 1 + 0.4306766 = 5.6925361
    // nDCG@10 = 2.9407420 / 5.6925361 = 0.5165961
    const dcg10 = 2 / Math.log2(3) + 3 / Math.log2(5) + 1 / Math.log2(6);
    const idcg10 = 3 + 2 / Math.log2(3) + 2 / 2 + 1 / Math.log2(5);
    close(values['ndcg@10'], dcg10 / idcg10);
    close(values['ndcg@10'], 0.5165961, 1e-7);
    // Without a cutoff the whole ranking counts: the same here, as only 5 docs were retrieved.
    close(values['ndcg'], dcg10 / idcg10);
    // DCG@3 = 2/log2(3) = 1.2618595; IDCG@3 = 3 + 2/log2(3) + 2/log2(4) = 5.2618595; nDCG@3 = 0.2398125
    close(values['ndcg@3'], 2 / Math.log2(3) / (3 + 2 / Math.log2(3) + 1));
    close(values['ndcg@3'], 0.2398125, 1e-7);
  });

  it('computes recall and precision at k', () => {
    // Relevant retrieved: d2 (rank 2), d1 (rank 4), d4 (rank 5) of 4 relevant.
    close(values['recall@100'], 3 / 4);
    close(values['recall@3'], 1 / 4);
    close(values['p@5'], 3 / 5);
    // trec_eval's P_10 divides by 10 even though only 5 documents were retrieved.
    close(values['p@10'], 3 / 10);
  });

  it('computes MRR within the cutoff', () => {
    close(values['mrr@10'], 1 / 2); // first relevant (d2) at rank 2
    close(values['mrr@1'], 0); // rank 1 holds the unjudged dX
  });

  it('computes average precision over all relevant documents', () => {
    // Precision at each relevant rank: 1/2 (rank 2), 2/4 (rank 4), 3/5 (rank 5); d5 missed contributes 0.
    // AP = (0.5 + 0.5 + 0.6) / 4 = 0.4
    close(values['map'], 0.4);
    // map@4 keeps ranks 2 and 4 only: (0.5 + 0.5) / 4 = 0.25
    close(values['map@4'], 0.25);
  });

  it('gives a clean DCG on a second small example', () => {
    // Ranking a(3), x(unjudged), b(2): DCG = 3/log2(2) + 0/log2(3) + 2/log2(4) = 3 + 0 + 1 = 4
    // IDCG = 3/log2(2) + 2/log2(3) = 3 + 1.2618595 = 4.2618595, nDCG = 4 / 4.2618595 = 0.9385580
    const result = evaluateQuery(
      docs(['a', 3], ['x', 2], ['b', 1]),
      new Map([
        ['a', 3],
        ['b', 2],
      ]),
      parseMetricSpecs(['ndcg@10']),
    );
    close(result['ndcg@10'], 4 / (3 + 2 / Math.log2(3)));
    close(result['ndcg@10'], 0.938558, 1e-6);
  });

  it('scores a perfect ranking as 1 on every metric but precision', () => {
    const perfect = docs(['d1', 5], ['d2', 4], ['d5', 3], ['d4', 2]);
    const result = evaluateQuery(perfect, q1Judgments, specs);
    for (const name of ['ndcg@10', 'ndcg', 'recall@100', 'mrr@10', 'mrr@1', 'map']) close(result[name], 1);
    close(result['p@5'], 4 / 5);
  });
});

describe('trec_eval ordering', () => {
  it('breaks score ties by docId descending', () => {
    // trec_eval's comp_sim_docno: strcmp(docno2, docno1) on equal sims, so c, b, a.
    const ranked = rankDocs(docs(['a', 1], ['c', 1], ['b', 1], ['z', 0.5], ['y', 2]));
    assert.deepEqual(
      ranked.map((d) => d.docId),
      ['y', 'c', 'b', 'a', 'z'],
    );
  });

  it('compares scores in single precision, as trec_eval stores them in a C float', () => {
    // 1.00000001 rounds to the same float32 as 1.0, so the two tie and docId descending puts b first;
    // 1.0000001 is a distinct float32 and ranks above 1.0. (pytrec_eval gives MRR 0.5 and 1 here.)
    const judgments = new Map([['a', 1]]);
    const mrr = parseMetricSpecs(['mrr@10']);
    close(evaluateQuery(docs(['a', 1.00000001], ['b', 1]), judgments, mrr)['mrr@10'], 1 / 2);
    close(evaluateQuery(docs(['a', 1.0000001], ['b', 1]), judgments, mrr)['mrr@10'], 1);
  });

  it('uses that order for metrics, whatever the input order', () => {
    const judgments = new Map([['a', 1]]);
    const mrr = parseMetricSpecs(['mrr@10']);
    // All three tie; descending docId puts the relevant 'a' last: MRR = 1/3.
    for (const order of [
      docs(['a', 1], ['b', 1], ['c', 1]),
      docs(['c', 1], ['a', 1], ['b', 1]),
      docs(['b', 1], ['c', 1], ['a', 1]),
    ]) {
      close(evaluateQuery(order, judgments, mrr)['mrr@10'], 1 / 3);
    }
  });

  it('compares docIds by code point, as strcmp compares UTF-8 bytes', () => {
    const samples = ['a', 'b', 'ab', '', 'é', '\uFFFD', '\u{1F600}', '\uE000', 'z\u{10000}', 'z\uFFFF', 'Z'];
    for (const x of samples) {
      for (const y of samples) {
        const bytes = Math.sign(Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
        assert.equal(
          Math.sign(compareCodePoints(x, y)),
          bytes,
          `${JSON.stringify(x)} vs ${JSON.stringify(y)}`,
        );
      }
    }
  });
});

describe('evaluateRun', () => {
  const qrels: Qrels = new Map([
    ['q1', q1Judgments],
    [
      'q2',
      new Map([
        ['a', 1],
        ['b', 0],
      ]),
    ],
    // No relevant document: left out of the average.
    [
      'q3',
      new Map([
        ['a', 0],
        ['b', -1],
      ]),
    ],
  ]);

  it('returns exactly the four default metrics', () => {
    const run: Run = new Map([['q1', q1Run]]);
    const result = evaluateRun(run, qrels);
    assert.deepEqual(Object.keys(result.metrics), ['ndcg@10', 'recall@100', 'mrr@10', 'map']);
  });

  it('averages over qrels queries with a relevant doc, a missing run query scoring 0', () => {
    // q2 is not in the run; q3 has no relevant doc; 'q9' is in the run but not the qrels.
    const run: Run = new Map([
      ['q1', q1Run],
      ['q9', docs(['a', 1])],
    ]);
    const result = evaluateRun(run, qrels);
    assert.equal(result.queries, 2);
    assert.deepEqual(Object.keys(result.perQuery), ['q1', 'q2']);
    assert.deepEqual(result.perQuery['q2'], { 'ndcg@10': 0, 'recall@100': 0, 'mrr@10': 0, map: 0 });
    // Means over {q1, q2} = q1's value / 2.
    close(result.metrics['map'], 0.4 / 2);
    close(result.metrics['recall@100'], 0.75 / 2);
    close(result.metrics['mrr@10'], 0.5 / 2);
    close(result.metrics['ndcg@10'], 0.5165961 / 2, 1e-7);
  });

  it('excludes queries with no relevant documents even when the run answers them', () => {
    const run: Run = new Map([
      ['q1', q1Run],
      ['q2', docs(['a', 1])],
      ['q3', docs(['a', 1], ['b', 0.5])],
    ]);
    const result = evaluateRun(run, qrels, { metrics: ['mrr@10'] });
    assert.equal(result.queries, 2);
    assert.equal(result.perQuery['q3'], undefined);
    // q1 MRR 1/2, q2 MRR 1: mean 0.75.
    close(result.metrics['mrr@10'], 0.75);
  });

  it('takes configurable metric specs', () => {
    const run: Run = new Map([['q1', q1Run]]);
    const result = evaluateRun(run, new Map([['q1', q1Judgments]]), {
      metrics: ['P@5', 'recall@1000', 'nDCG@3'],
    });
    assert.deepEqual(Object.keys(result.metrics), ['p@5', 'recall@1000', 'ndcg@3']);
    close(result.metrics['p@5'], 0.6);
    close(result.metrics['recall@1000'], 0.75);
  });

  it('reports zero queries as zeros rather than NaN', () => {
    const result = evaluateRun(new Map(), new Map());
    assert.equal(result.queries, 0);
    assert.deepEqual(result.metrics, { 'ndcg@10': 0, 'recall@100': 0, 'mrr@10': 0, map: 0 });
  });

  it('keeps an awkward query id such as __proto__ as an ordinary key', () => {
    const awkward = '__proto__';
    const result = evaluateRun(
      new Map([[awkward, docs(['a', 1])]]),
      new Map([[awkward, new Map([['a', 1]])]]),
    );
    assert.ok(Object.hasOwn(result.perQuery, awkward));
    assert.equal(Object.getPrototypeOf(result.perQuery), Object.prototype);
    assert.equal(result.perQuery[awkward]?.['map'], 1);
  });

  it('refuses a document retrieved twice and a NaN score', () => {
    const judged: Qrels = new Map([['q', new Map([['a', 1]])]]);
    assert.throws(
      () => evaluateRun(new Map([['q', docs(['a', 1], ['a', 0.5])]]), judged),
      (error: unknown) => isSiftError(error, 'E_DUPLICATE_ID'),
    );
    assert.throws(
      () => evaluateRun(new Map([['q', docs(['a', Number.NaN])]]), judged),
      (error: unknown) => isSiftError(error, 'E_BAD_ARGUMENT'),
    );
  });
});

describe('parseMetricSpec', () => {
  it('canonicalises names', () => {
    assert.deepEqual(parseMetricSpec('nDCG@10'), { name: 'ndcg@10', kind: 'ndcg', cutoff: 10 });
    assert.deepEqual(parseMetricSpec('precision@5'), { name: 'p@5', kind: 'p', cutoff: 5 });
    assert.deepEqual(parseMetricSpec(' MAP '), { name: 'map', kind: 'map', cutoff: undefined });
    assert.deepEqual(
      parseMetricSpecs(['map', 'MAP', 'mrr@10']).map((s) => s.name),
      ['map', 'mrr@10'],
    );
  });

  it('rejects unknown metrics and bad cutoffs', () => {
    for (const bad of ['p', 'foo@3', 'ndcg@0', 'ndcg@x', 'recall@', '@10', '']) {
      assert.throws(
        () => parseMetricSpec(bad),
        (error: unknown) => isSiftError(error, 'E_BAD_ARGUMENT'),
        bad,
      );
    }
  });
});
