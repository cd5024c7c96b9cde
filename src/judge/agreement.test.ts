import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageRanks, cohensKappa, confusionMatrix, kendallTauB, spearman } from './agreement.js';

// Worked by hand: n = 30, row sums 12/12/6, column sums 13/12/5; rows are the first rater.
const COUNTS = [
  [10, 2, 0],
  [3, 8, 1],
  [0, 2, 4],
];

function expand(counts: number[][]): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  counts.forEach((row, i) => {
    row.forEach((n, j) => {
      for (let k = 0; k < n; k++) {
        a.push(i);
        b.push(j);
      }
    });
  });
  return { a, b };
}

test('confusion matrix counts pairs by (first, second) grade', () => {
  const { a, b } = expand(COUNTS);
  assert.deepEqual(confusionMatrix(a, b), { categories: [0, 1, 2], counts: COUNTS });
  assert.deepEqual(confusionMatrix([0], [3], [0, 1, 2, 3]).counts[0], [0, 0, 0, 1]);
});

test("Cohen's kappa: unweighted, linear and quadratic weights match hand-computed values", () => {
  const { a, b } = expand(COUNTS);
  const matrix = confusionMatrix(a, b);
  // po = 22/30, pe = 330/900 → κ = 11/19.
  assert.ok(Math.abs(cohensKappa(matrix) - 11 / 19) < 1e-12);
  // Σw·O/n = 4/30, Σw·E = 354/900 → κ = 1 − 120/354.
  assert.ok(Math.abs(cohensKappa(matrix, 'linear') - (1 - 120 / 354)) < 1e-12);
  // Σw·O/n = 2/30, Σw·E = 246/900 → κ = 1 − 60/246.
  assert.ok(Math.abs(cohensKappa(matrix, 'quadratic') - (1 - 60 / 246)) < 1e-12);
});

test('kappa is 1 on perfect agreement and undefined (NaN) when nothing varies', () => {
  const perfect = confusionMatrix([0, 1, 2, 2], [0, 1, 2, 2]);
  for (const w of ['none', 'linear', 'quadratic'] as const) assert.equal(cohensKappa(perfect, w), 1);
  assert.ok(Number.isNaN(cohensKappa(confusionMatrix([1, 1], [1, 1]))));
  assert.ok(Number.isNaN(cohensKappa(confusionMatrix([], []))));
});

test('weights use grade distance even when a middle grade is never used', () => {
  // Categories 0 and 2 only: one step apart in position but two grades apart.
  const m = confusionMatrix([0, 2, 0, 2], [0, 2, 2, 0], [0, 1, 2]);
  const linear = cohensKappa(m, 'linear');
  assert.ok(Math.abs(linear - cohensKappa(confusionMatrix([0, 2, 0, 2], [0, 2, 2, 0]), 'linear')) < 1e-12);
});

test('Spearman uses average ranks for ties', () => {
  assert.deepEqual(averageRanks([1, 2, 2, 3, 4]), [1, 2.5, 2.5, 4, 5]);
  // Ranks x [1, 2.5, 2.5, 4, 5], y [2, 1, 3.5, 3.5, 5]: Σdxdy = 7.25, Σdx² = Σdy² = 9.5.
  assert.ok(Math.abs(spearman([1, 2, 2, 3, 4], [2, 1, 3, 3, 5]) - 7.25 / 9.5) < 1e-12);
  assert.equal(spearman([1, 2, 3], [10, 20, 30]), 1);
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
});

test("Kendall's tau-b corrects for ties", () => {
  assert.ok(Math.abs(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-12);
  // C = 3, D = 1, one tie in each list: (3 − 1) / √(5 · 5).
  assert.ok(Math.abs(kendallTauB([1, 2, 2, 3], [1, 3, 2, 2]) - 0.4) < 1e-12);
  assert.equal(kendallTauB([0.3, 0.2, 0.1], [0.9, 0.5, 0.4]), 1);
  assert.equal(kendallTauB([0.3, 0.2, 0.1], [0.1, 0.5, 0.9]), -1);
});
