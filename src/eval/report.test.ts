// Checks the side-by-side metrics table (alignment, significance marks, footnote) and the JSON report.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvalResult } from './metrics.js';
import { formatMetricsTable, toJsonReport } from './report.js';

/** An EvalResult over queries q1..qn with the given per-query values for ndcg@10 and map. */
function result(ndcg: readonly number[], map: readonly number[]): EvalResult {
  const perQuery = Object.fromEntries(
    ndcg.map((value, i) => [`q${i + 1}`, { 'ndcg@10': value, map: map[i]! }]),
  );
  const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  return { metrics: { 'ndcg@10': mean(ndcg), map: mean(map) }, queries: ndcg.length, perQuery };
}

const n = 20;
const baseline = result(
  Array.from({ length: n }, (_, i) => 0.3 + (i % 5) / 20),
  Array.from({ length: n }, (_, i) => 0.2 + (i % 4) / 20),
);
// Much better on nDCG for every query; the same MAP as the baseline.
const improved = result(
  Array.from({ length: n }, (_, i) => 0.6 + (i % 5) / 20),
  Array.from({ length: n }, (_, i) => 0.2 + (i % 4) / 20),
);

describe('formatMetricsTable', () => {
  it('prints one run without significance marks', () => {
    const text = formatMetricsTable([{ name: 'bm25', result: baseline }]);
    assert.equal(text, 'run   queries  ndcg@10  map\nbm25       20  0.4000   0.2750\n');
  });

  it('marks runs against the baseline with p-values, aligned, with a footnote', () => {
    const text = formatMetricsTable([
      { name: 'bm25', result: baseline },
      { name: 'dense-long-name', result: improved },
    ]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const [header, base, other, blank, footnote] = lines as [string, string, string, string, string];
    assert.match(other, /^dense-long-name {2}\s*20 {2}0\.7000† \(p<0\.0001\) {2}0\.2750 {2}\(p=1\.0000\)$/);
    assert.match(base, /^bm25\s+20 {2}0\.4000\s+0\.2750$/);
    // Columns start at the same offset on every line.
    for (const title of ['queries', 'ndcg@10', 'map']) {
      const column = header.indexOf(title);
      assert.ok(column > 0);
      assert.notEqual(other[column - 1], undefined);
      assert.equal(other.slice(column - 2, column), '  ', `column ${title} misaligned`);
    }
    assert.equal(base.indexOf('0.4000'), header.indexOf('ndcg@10'));
    assert.equal(other.indexOf('0.7000'), header.indexOf('ndcg@10'));
    assert.equal(other.lastIndexOf('0.2750'), header.indexOf('map'));
    assert.equal(blank, '');
    assert.match(footnote, /^† p < 0\.05 against baseline "bm25" \(paired two-sided randomisation test/);
  });

  it('can use the t-test and a chosen metric list', () => {
    const text = formatMetricsTable(
      [
        { name: 'a', result: baseline },
        { name: 'b', result: improved },
      ],
      { metrics: ['ndcg@10', 'recall@100'], test: 't-test', decimals: 3 },
    );
    assert.match(text, /^b\s+20 {2}0\.700† \(p<0\.001\) {2}-$/m);
    assert.match(text, /paired two-sided t-test/);
  });

  it('returns nothing for no runs', () => {
    assert.equal(formatMetricsTable([]), '');
  });
});

describe('toJsonReport', () => {
  it('produces exactly metrics, queries and perQuery', () => {
    const extra = { ...baseline, note: 'not reported' };
    const parsed: unknown = JSON.parse(toJsonReport(extra));
    assert.deepEqual(Object.keys(parsed as object), ['metrics', 'queries', 'perQuery']);
    assert.deepEqual(parsed, {
      metrics: baseline.metrics,
      queries: baseline.queries,
      perQuery: baseline.perQuery,
    });
    assert.equal(
      toJsonReport(result([1], [1]), 0),
      '{"metrics":{"ndcg@10":1,"map":1},"queries":1,"perQuery":{"q1":{"ndcg@10":1,"map":1}}}',
    );
  });
});
