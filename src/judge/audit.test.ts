import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import type { Run } from '../eval/index.js';
import type { Qrels } from '../ingest/index.js';
import { auditAgreement, compareSystemOrdering, parseGradeMap } from './audit.js';

const qrels: Qrels = new Map([
  [
    'q1',
    new Map([
      ['a', 2],
      ['b', 1],
      ['c', 0],
    ]),
  ],
  ['q2', new Map([['d', 2]])],
]);

test('agreement is over the pairs both graded; judge-only pairs are counted and left out', () => {
  const labels = [
    { queryId: 'q1', docId: 'a', grade: 2 },
    { queryId: 'q1', docId: 'b', grade: 1 },
    { queryId: 'q1', docId: 'c', grade: 0 },
    { queryId: 'q1', docId: 'unjudged', grade: 2 },
    { queryId: 'q2', docId: 'd', grade: 2 },
  ];
  const report = auditAgreement(labels, qrels);
  assert.equal(report.pairs, 4);
  assert.equal(report.labels, 5);
  assert.equal(report.judge_only, 1);
  assert.equal(report.kappa_linear, 1);
  assert.equal(report.kappa_quadratic, 1);
  assert.equal(report.spearman, 1);
  assert.equal(report.exact_agreement, 1);
  assert.deepEqual(report.confusion.categories, [0, 1, 2]);
  assert.equal(report.grade_map, null);
});

test('a grade map puts the judge on the human scale for kappa; Spearman sees raw grades', () => {
  const labels = [
    { queryId: 'q1', docId: 'a', grade: 3 },
    { queryId: 'q1', docId: 'b', grade: 1 },
    { queryId: 'q1', docId: 'c', grade: 0 },
    { queryId: 'q2', docId: 'd', grade: 2 },
  ];
  const raw = auditAgreement(labels, qrels);
  assert.deepEqual(raw.confusion.categories, [0, 1, 2, 3]);
  assert.ok(raw.kappa_linear! < 1);
  const mapped = auditAgreement(labels, qrels, { gradeMap: parseGradeMap('0:0,1:1,2:2,3:2') });
  assert.equal(mapped.kappa_linear, 1);
  assert.equal(mapped.exact_agreement, 1);
  assert.deepEqual(mapped.grade_map, { '0': 0, '1': 1, '2': 2, '3': 2 });
  assert.equal(mapped.spearman, raw.spearman);
});

test('statistics with nothing to compare are null, not NaN', () => {
  const report = auditAgreement([{ queryId: 'q9', docId: 'x', grade: 1 }], qrels);
  assert.equal(report.pairs, 0);
  assert.equal(report.kappa_linear, null);
  assert.equal(report.spearman, null);
});

test('system ordering compares NDCG@10 under human and judge labels with Kendall tau', () => {
  const run = (order: string[]): Run =>
    new Map([['q1', order.map((docId, i) => ({ docId, score: 10 - i }))]]);
  const runs = new Map([
    ['good', run(['a', 'b', 'c'])],
    ['middle', run(['b', 'a', 'c'])],
    ['bad', run(['c', 'x', 'b'])],
  ]);
  const agreeing = compareSystemOrdering(runs, qrels, [
    { queryId: 'q1', docId: 'a', grade: 2 },
    { queryId: 'q1', docId: 'b', grade: 1 },
    { queryId: 'q1', docId: 'c', grade: 0 },
  ]);
  assert.equal(agreeing.queries, 1, 'q2 has no judge labels, so it is left out of both');
  assert.equal(agreeing.kendall_tau, 1);
  const reversed = compareSystemOrdering(runs, qrels, [
    { queryId: 'q1', docId: 'c', grade: 2 },
    { queryId: 'q1', docId: 'x', grade: 1 },
  ]);
  assert.ok(reversed.kendall_tau! < 0);
  assert.deepEqual(
    reversed.systems.map((s) => s.name),
    ['good', 'middle', 'bad'],
  );
});

test('a malformed grade map is E_BAD_ARGUMENT', () => {
  assert.throws(
    () => parseGradeMap('0:0,1=1'),
    (e: unknown) => isSiftError(e, 'E_BAD_ARGUMENT'),
  );
  assert.throws(
    () => parseGradeMap('1:0,1:1'),
    (e: unknown) => isSiftError(e, 'E_BAD_ARGUMENT'),
  );
});
