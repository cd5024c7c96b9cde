import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyCalibration,
  type CalibrationFeature,
  calibrationFeatures,
  fitIsotonic,
  fitLogistic,
  gradeOnScale,
  parseCalibration,
} from './calibration.js';
import { auc, foldOfQuery, formAgreement, gradedPairs } from './form-agreement.js';

const columnsOf = (values: Partial<Record<CalibrationFeature, number[]>>) =>
  new Map(Object.entries(values) as Array<[CalibrationFeature, number[]]>);

test('isotonic regression pools violators into a non-decreasing step function', () => {
  const map = fitIsotonic(columnsOf({ grade: [0, 1, 2, 3, 4] }), [0, 0.5, 0.3, 0.9, 1], 'grade');
  assert.deepEqual(map.values, [0, 0.4, 0.9, 1]);
  const predicted = applyCalibration(map, columnsOf({ grade: [-1, 1.5, 2, 3.2, 10] }));
  assert.deepEqual(predicted, [0, 0.4, 0.4, 0.9, 1]);
  for (let i = 1; i < map.values.length; i++) assert.ok(map.values[i]! >= map.values[i - 1]!);
});

test('logistic calibration recovers the relation that generated fractional targets', () => {
  const x = Array.from({ length: 400 }, (_, i) => (i / 400) * 6 - 3);
  const targets = x.map((v) => 1 / (1 + Math.exp(-(0.5 + 2 * v))));
  const map = fitLogistic(columnsOf({ yes: x }), targets, ['yes'], 0);
  assert.ok(Math.abs(map.bias - 0.5) < 1e-4, `bias ${map.bias}`);
  assert.ok(Math.abs(map.weights[0]! - 2) < 1e-4, `weight ${map.weights[0]}`);
});

test('too few pairs to fit is a clear error, not a silent map', () => {
  assert.throws(
    () => fitLogistic(columnsOf({ grade: [0.1, 0.9] }), [0, 1], ['grade']),
    (error: unknown) => (error as { code?: string }).code === 'E_CALIBRATION',
  );
});

test('features: expected grade scaled, p(yes) as a clipped logit, query likelihood centred per query', () => {
  const columns = calibrationFeatures(
    [
      { queryId: 'a', scores: { expectedGrade: 3, pYes: 0.5, queryLogLikelihood: -1 } },
      { queryId: 'a', scores: { expectedGrade: 0, pYes: 1, queryLogLikelihood: -3 } },
      { queryId: 'b', scores: { expectedGrade: 1.5 } },
    ],
    3,
  );
  assert.deepEqual(columns.get('grade'), [1, 0, 0.5]);
  assert.deepEqual(columns.get('yes')?.slice(0, 2), [0, 8]);
  assert.deepEqual(columns.get('ql')?.slice(0, 2), [1, -1]);
  assert.ok(Number.isNaN(columns.get('ql')?.[2]));
});

test('grades on any scale come from calibrated relevance by rounding', () => {
  assert.equal(gradeOnScale(0.49, 2), 1);
  assert.equal(gradeOnScale(0.9, 4), 4);
  assert.equal(gradeOnScale(-0.1, 3), 0);
});

test('AUC counts ties as one half and is undefined with one class', () => {
  assert.equal(auc([1, 2, 3, 4], [false, false, true, true]), 1);
  assert.equal(auc([1, 1], [false, true]), 0.5);
  assert.equal(auc([4, 3, 2, 1], [false, false, true, true]), 0);
  assert.equal(auc([1, 2], [true, true]), null);
});

test('folds are a function of the query id', () => {
  assert.equal(foldOfQuery('q1', 5), foldOfQuery('q1', 5));
  const folds = new Set(Array.from({ length: 100 }, (_, i) => foldOfQuery(`q${i}`, 5)));
  assert.equal(folds.size, 5);
});

test('form agreement: a judge whose scores follow the human grades agrees, one that does not, does not', () => {
  const labels = [];
  const qrels = new Map<string, Map<string, number>>();
  for (let q = 0; q < 40; q++) {
    const byDoc = new Map<string, number>();
    qrels.set(`q${q}`, byDoc);
    for (let d = 0; d < 6; d++) {
      const human = (q + d) % 3;
      byDoc.set(`d${d}`, human);
      const noise = ((q * 7 + d * 13) % 10) / 40;
      labels.push({
        queryId: `q${q}`,
        docId: `d${d}`,
        grade: human,
        scores: {
          expectedGrade: human + noise,
          pYes: human === 2 ? 0.9 - noise : 0.2 + noise,
          queryLogLikelihood: -2,
        },
      });
    }
  }
  const rows = formAgreement(labels, qrels, { maxGrade: 2 });
  const byForm = new Map(rows.map((row) => [row.form, row]));
  assert.equal(byForm.get('raw-grade')?.kappa_linear, 1);
  assert.ok((byForm.get('expected-grade')?.spearman ?? 0) > 0.9);
  assert.ok((byForm.get('calibrated')?.kappa_linear ?? 0) > 0.8);
  // Query likelihood is constant here: no better than chance.
  assert.equal(byForm.get('query-likelihood')?.auc, 0.5);
});

test('a judged pair the qrels do not list is left out, or counts as grade 0 as trec_eval counts it', () => {
  const qrels = new Map([['q1', new Map([['listed', 2]])]]);
  const label = (queryId: string, docId: string) => ({
    queryId,
    docId,
    grade: 1,
    scores: { expectedGrade: 1 },
  });
  const labels = [label('q1', 'listed'), label('q1', 'unlisted'), label('q2', 'no-qrels-for-query')];
  const skipped = gradedPairs(labels, qrels, 3);
  assert.deepEqual(
    skipped.labels.map((l) => l.docId),
    ['listed'],
  );
  const counted = gradedPairs(labels, qrels, 3, 'not-relevant');
  assert.deepEqual(
    counted.labels.map((l) => l.docId),
    ['listed', 'unlisted'],
    'a query without qrels is still left out: trec_eval skips it',
  );
  assert.deepEqual(counted.human, [2, 0]);
  assert.deepEqual(counted.targets, [1, 0]);
});

test('a malformed calibration file is refused naming the file', () => {
  assert.throws(
    () => parseCalibration('{"format": "other"}', 'cal.json'),
    (error: unknown) =>
      (error as { code?: string }).code === 'E_CALIBRATION' && String(error).includes('cal.json'),
  );
});

test('the identity map is the expected grade on its own scale, clipped, and round-trips through a file', () => {
  const map = { kind: 'identity', feature: 'grade' } as const;
  assert.deepEqual(applyCalibration(map, columnsOf({ grade: [0, 0.5, 1.2] })), [0, 0.5, 1]);
  const text = JSON.stringify({
    format: 'sift-judge-calibration',
    version: 1,
    judgeId: 'llama:x',
    scoringTemplate: 3,
    map,
    fittedOn: [],
    createdAt: '2026-12-06T00:00:00Z',
  });
  assert.deepEqual(parseCalibration(text, 'cal.json').map, map);
});
