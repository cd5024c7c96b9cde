// Paired significance tests between two systems' per-query scores: randomisation (permutation) and t-test.
//
// Both take two maps queryId → score over the same queries (e.g. `perQueryScores(result, 'ndcg@10')`)
// and test H0 "the two systems are interchangeable", two-sided. Smucker, Allan & Carterette (CIKM 2007)
// recommend the randomisation test for IR evaluation; the t-test is given because it is the common
// point of comparison and agrees closely with it on typical query counts.

import { SiftError } from '../errors.js';
import { xoshiro128ss } from '../util/index.js';
import type { EvalResult } from './metrics.js';
import { studentTTwoSided } from './student-t.js';

/** queryId → one system's score for that query on one metric. */
export type PerQueryScores = Readonly<Record<string, number>>;

export interface PairedTestResult {
  /** Two-sided p-value. */
  pValue: number;
  /** mean(a − b) over the queries. */
  meanDifference: number;
  /** Number of paired queries. */
  queries: number;
}

export interface RandomisationResult extends PairedTestResult {
  /** Sign assignments examined (2^m when exact, m = queries whose scores differ). */
  permutations: number;
  /** True when every sign assignment was enumerated, so the p-value is exact rather than estimated. */
  exact: boolean;
}

export interface TTestResult extends PairedTestResult {
  t: number;
  df: number;
}

export interface RandomisationOptions {
  /** Random sign assignments to draw; default 10,000. */
  permutations?: number;
  /** PRNG seed; the same seed and data always give the same p-value. Default 1. */
  seed?: number;
}

export const DEFAULT_PERMUTATIONS = 10_000;
export const DEFAULT_SEED = 1;

/** One metric's per-query values out of an evaluation, ready for the tests below. */
export function perQueryScores(result: EvalResult, metric: string): Record<string, number> {
  const entries: Array<[string, number]> = [];
  for (const [qid, values] of Object.entries(result.perQuery)) {
    const value = values[metric];
    if (value === undefined) {
      throw new SiftError('E_BAD_ARGUMENT', `metric "${metric}" was not computed for query "${qid}"`, {
        field: 'metric',
      });
    }
    entries.push([qid, value]);
  }
  return Object.fromEntries(entries);
}

/**
 * d_i = a_i − b_i, with the queries in a fixed order (sorted ids) so that a seeded test depends only on
 * the data, never on the order the maps were built in. Both maps must hold exactly the same queries.
 */
function pairedDifferences(a: PerQueryScores, b: PerQueryScores): number[] {
  const ids = Object.keys(a).sort();
  if (Object.keys(b).length !== ids.length) {
    throw new SiftError('E_BAD_ARGUMENT', `paired test needs the same queries on both sides`);
  }
  return ids.map((id) => {
    const x = a[id]!;
    const y = Object.hasOwn(b, id) ? b[id] : undefined;
    if (y === undefined) {
      throw new SiftError('E_BAD_ARGUMENT', `query "${id}" has a score on one side of the paired test only`);
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new SiftError('E_BAD_ARGUMENT', `query "${id}" has a score that is not a finite number`);
    }
    return x - y;
  });
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? 0 : sum / values.length;
}

/**
 * Paired two-sided randomisation test. Under H0 each query's pair of scores is exchangeable, so the sign
 * of each difference d_i is a fair coin. The statistic is |Σ d_i| (equivalently |mean|), and
 * p = P(|Σ s_i d_i| ≥ |Σ d_i|) over random signs s_i ∈ {−1, +1}.
 * - When 2^m ≤ permutations (m = queries with d_i ≠ 0; zero differences cannot change the sum), all 2^m
 *   assignments are enumerated and p is exact.
 * - Otherwise `permutations` assignments are drawn with the seeded PRNG and p = (c + 1) / (N + 1), counting
 *   the observed assignment as one of the sample (Phipson & Smyth 2010), so the estimate is never 0.
 * Identical inputs give p = 1.
 */
export function randomisationTest(
  a: PerQueryScores,
  b: PerQueryScores,
  options: RandomisationOptions = {},
): RandomisationResult {
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  if (!Number.isSafeInteger(permutations) || permutations < 1) {
    throw new SiftError('E_BAD_ARGUMENT', `permutations must be a positive integer, got ${permutations}`);
  }
  const differences = pairedDifferences(a, b);
  const meanDifference = mean(differences);
  const queries = differences.length;
  const nonZero = Float64Array.from(differences.filter((d) => d !== 0));
  const m = nonZero.length;
  let observed = 0;
  let scale = 0;
  for (const d of nonZero) {
    observed += d;
    scale += Math.abs(d);
  }
  observed = Math.abs(observed);
  // Sign-flipped sums equal to the observed one in exact arithmetic may differ in the last bits.
  const threshold = observed - 1e-10 * scale;

  if (m === 0) return { pValue: 1, meanDifference, queries, permutations: 1, exact: true };

  if (m < 31 && 2 ** m <= permutations) {
    const total = 2 ** m;
    let atLeast = 0;
    for (let mask = 0; mask < total; mask++) {
      let sum = 0;
      for (let i = 0; i < m; i++) sum += mask & (1 << i) ? nonZero[i]! : -nonZero[i]!;
      if (Math.abs(sum) >= threshold) atLeast += 1;
    }
    return { pValue: atLeast / total, meanDifference, queries, permutations: total, exact: true };
  }

  const next = xoshiro128ss(options.seed ?? DEFAULT_SEED);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    let sum = 0;
    let bits = 0;
    for (let i = 0; i < m; i++) {
      // One 32-bit draw supplies the signs of 32 queries.
      if ((i & 31) === 0) bits = next();
      sum += bits & (1 << (i & 31)) ? nonZero[i]! : -nonZero[i]!;
    }
    if (Math.abs(sum) >= threshold) atLeast += 1;
  }
  return {
    pValue: (atLeast + 1) / (permutations + 1),
    meanDifference,
    queries,
    permutations,
    exact: false,
  };
}

/**
 * Paired two-sided t-test: t = d̄ / (s_d / √n), s_d² = Σ (d_i − d̄)² / (n − 1), df = n − 1,
 * p = P(|T_df| ≥ |t|). Needs at least two queries. When every difference is equal, s_d = 0: p = 1 if they
 * are all zero, else p = 0 (t = ±∞).
 */
export function pairedTTest(a: PerQueryScores, b: PerQueryScores): TTestResult {
  const differences = pairedDifferences(a, b);
  const n = differences.length;
  if (n < 2) {
    throw new SiftError('E_BAD_ARGUMENT', `a paired t-test needs at least 2 queries, got ${n}`);
  }
  const meanDifference = mean(differences);
  let squares = 0;
  for (const d of differences) squares += (d - meanDifference) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  const df = n - 1;
  if (sd === 0) {
    if (meanDifference === 0) return { pValue: 1, meanDifference, queries: n, t: 0, df };
    const t = meanDifference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return { pValue: 0, meanDifference, queries: n, t, df };
  }
  const t = meanDifference / (sd / Math.sqrt(n));
  return { pValue: studentTTwoSided(t, df), meanDifference, queries: n, t, df };
}
