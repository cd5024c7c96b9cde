// Agreement statistics between two raters: confusion matrix, Cohen's kappa (unweighted, linear and
// quadratic weights), Spearman's rank correlation and Kendall's tau-b.

/** Counts of (row rater's grade, column rater's grade) over the ordered categories. */
export interface ConfusionMatrix {
  /** The grades, ascending; row i and column i stand for categories[i]. */
  categories: number[];
  /** counts[i][j]: pairs the first rater put in categories[i] and the second in categories[j]. */
  counts: number[][];
}

export function confusionMatrix(
  first: readonly number[],
  second: readonly number[],
  categories?: number[],
): ConfusionMatrix {
  const cats = categories ?? [...new Set([...first, ...second])].sort((a, b) => a - b);
  const at = new Map(cats.map((c, i) => [c, i]));
  const counts = cats.map(() => cats.map(() => 0));
  first.forEach((a, k) => {
    const i = at.get(a);
    const j = at.get(second[k]!);
    if (i === undefined || j === undefined)
      throw new RangeError(`grade outside the categories ${cats.join(',')}`);
    counts[i]![j]!++;
  });
  return { categories: cats, counts };
}

export type KappaWeights = 'none' | 'linear' | 'quadratic';

/**
 * Cohen's kappa, κ = 1 − Σ w·O / Σ w·E, with disagreement weights w_ij = 0/1 (unweighted),
 * |a−b|/span (linear) or (|a−b|/span)² (quadratic) between grades a and b, span being the highest
 * category minus the lowest (Cohen 1968); with contiguous grades that is the usual |i−j|/(k−1).
 * NaN when it is undefined (no pairs, or both raters always give one and the same grade).
 */
export function cohensKappa(matrix: ConfusionMatrix, weights: KappaWeights = 'none'): number {
  const k = matrix.categories.length;
  const n = matrix.counts.reduce((sum, row) => sum + row.reduce((s, c) => s + c, 0), 0);
  if (n === 0) return Number.NaN;
  if (k < 2) return Number.NaN;
  const rows = matrix.counts.map((row) => row.reduce((s, c) => s + c, 0));
  const cols = matrix.categories.map((_, j) => matrix.counts.reduce((s, row) => s + row[j]!, 0));
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const distance = Math.abs(matrix.categories[i]! - matrix.categories[j]!);
      const span = matrix.categories[k - 1]! - matrix.categories[0]!;
      const w =
        weights === 'none'
          ? i === j
            ? 0
            : 1
          : weights === 'linear'
            ? distance / span
            : (distance / span) ** 2;
      observed += (w * matrix.counts[i]![j]!) / n;
      expected += (w * rows[i]! * cols[j]!) / (n * n);
    }
  }
  return expected === 0 ? Number.NaN : 1 - observed / expected;
}

/** Ranks 1..n with ties given the average of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) ranks[order[i]![1]] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Spearman's ρ: Pearson's correlation of the average ranks (correct with ties). NaN if either is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(averageRanks(x), averageRanks(y));
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/**
 * Kendall's τ-b: (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)), ties in either list corrected
 * (Kendall 1945). O(n²), meant for the handful of systems an audit compares. NaN if either is constant.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiesX) * (pairs - tiesY));
  return denominator === 0 ? Number.NaN : (concordant - discordant) / denominator;
}
