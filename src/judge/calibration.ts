// Calibration of a scoring judge onto human grades (../shared/SYSTEM.md §2–3: LinkedIn fits its judge to a
// golden set of a few hundred human-graded pairs, and calibrates by isotonic regression).
//
// A scoring judge reads several raw scores per pair (scoring-judge.ts). Calibration turns them into one
// calibrated relevance r ∈ [0, 1], the expected human grade as a fraction of the human scale's top
// grade (the normalised gain that trec_eval's NDCG uses), so one calibration serves collections graded
// 0–2, 0–3 or 0–4 alike; a grade on any scale 0..M is then round(r · M).
//
// Two fits, both small enough to be checked by hand (and `identity`, no fit: the expected grade over
// the top grade, the judge's own scale, which needs no golden set and carries no other corpus's base rate):
// - `logistic`: r = σ(b + w · x) over the features below, fitted by Newton's method on the cross-entropy
//   with fractional targets and a little L2 (a "small logistic combination");
// - `isotonic`: r = a monotone step function of one feature (pool-adjacent-violators), the classic
//   calibration map, for one form at a time.
//
// Features (each computable from one pair's scores plus its query's other pairs):
// - `grade`: expected grade / max grade;
// - `yes`: logit p(yes), clipped to ±8;
// - `ql`: query log likelihood minus the mean over the same query's pairs (query likelihood ranks the
//   documents of one query; across queries it mostly measures how predictable the query's words are).

import { SiftError } from '../errors.js';
import type { JudgeScores } from './types.js';

export type CalibrationFeature = 'grade' | 'yes' | 'ql';
export const CALIBRATION_FEATURES: readonly CalibrationFeature[] = ['grade', 'yes', 'ql'];

/** One labelled pair as calibration sees it. */
export interface ScoredPair {
  queryId: string;
  scores: JudgeScores;
}

export interface LogisticCalibration {
  kind: 'logistic';
  features: CalibrationFeature[];
  weights: number[];
  bias: number;
}

export interface IsotonicCalibration {
  kind: 'isotonic';
  feature: CalibrationFeature;
  /** Increasing feature values at which the step function changes, with the value from there on. */
  thresholds: number[];
  values: number[];
}

/** No fit: r is the feature itself, clipped to [0, 1] (`grade`: the expected grade over the top grade). */
export interface IdentityCalibration {
  kind: 'identity';
  feature: 'grade';
}

export type CalibrationMap = LogisticCalibration | IsotonicCalibration | IdentityCalibration;

/** A calibration as stored beside the labels or shipped with the default judge. */
export interface Calibration {
  format: 'sift-judge-calibration';
  version: 1;
  /** The judge whose scores this maps (e.g. `llama:qwen2.5-coder-1.5b-instruct-q4`). */
  judgeId: string;
  /** The scoring prompts' template version the scores came from. */
  scoringTemplate: number;
  map: CalibrationMap;
  /** Which golden sets it was fitted on: collection, policy (name and sha256) and pairs used. */
  fittedOn: Array<{ collection: string; policy: string; policyHash: string; pairs: number }>;
  createdAt: string;
}

/** The feature rows of `pairs` (same order); `ql` is centred on each query's mean. */
export function calibrationFeatures(
  pairs: readonly ScoredPair[],
  maxGrade: number,
): Map<CalibrationFeature, number[]> {
  const qlMean = new Map<string, { sum: number; n: number }>();
  for (const pair of pairs) {
    const ql = pair.scores.queryLogLikelihood;
    if (ql === undefined) continue;
    const entry = qlMean.get(pair.queryId) ?? { sum: 0, n: 0 };
    entry.sum += ql;
    entry.n += 1;
    qlMean.set(pair.queryId, entry);
  }
  const columns = new Map<CalibrationFeature, number[]>(CALIBRATION_FEATURES.map((f) => [f, []]));
  for (const pair of pairs) {
    const { expectedGrade, pYes, queryLogLikelihood } = pair.scores;
    const mean = qlMean.get(pair.queryId);
    columns.get('grade')!.push(expectedGrade === undefined ? Number.NaN : expectedGrade / maxGrade);
    columns.get('yes')!.push(pYes === undefined ? Number.NaN : clippedLogit(pYes));
    columns
      .get('ql')!
      .push(queryLogLikelihood === undefined || !mean ? Number.NaN : queryLogLikelihood - mean.sum / mean.n);
  }
  return columns;
}

/** Calibrated relevance r ∈ [0, 1] of each row; NaN where a feature the map needs is missing. */
export function applyCalibration(
  map: CalibrationMap,
  columns: ReadonlyMap<CalibrationFeature, number[]>,
): number[] {
  if (map.kind === 'identity') {
    return requireColumn(columns, map.feature).map((value) => Math.min(1, Math.max(0, value)));
  }
  if (map.kind === 'isotonic') {
    const x = requireColumn(columns, map.feature);
    return x.map((value) => (Number.isNaN(value) ? Number.NaN : stepValue(map, value)));
  }
  const xs = map.features.map((feature) => requireColumn(columns, feature));
  const rows = xs[0]?.length ?? 0;
  return Array.from({ length: rows }, (_, i) => {
    let z = map.bias;
    for (let j = 0; j < xs.length; j++) z += (map.weights[j] as number) * ((xs[j] as number[])[i] as number);
    return sigmoid(z);
  });
}

/** A grade on the scale 0..maxGrade from calibrated relevance. */
export function gradeOnScale(relevance: number, maxGrade: number): number {
  return Math.min(maxGrade, Math.max(0, Math.round(relevance * maxGrade)));
}

/**
 * Fits r = σ(b + w·x) to targets in [0, 1] by Newton's method on the mean cross-entropy plus
 * `l2`·|w|²/2 (the bias is not penalised). Rows with a missing feature are skipped.
 */
export function fitLogistic(
  columns: ReadonlyMap<CalibrationFeature, number[]>,
  targets: readonly number[],
  features: readonly CalibrationFeature[],
  l2 = 1e-3,
): LogisticCalibration {
  const xs = features.map((feature) => requireColumn(columns, feature));
  const rows: number[][] = [];
  const y: number[] = [];
  targets.forEach((target, i) => {
    const row = xs.map((column) => column[i] as number);
    if (row.some((value) => !Number.isFinite(value))) return;
    rows.push([1, ...row]);
    y.push(target);
  });
  if (rows.length < features.length + 2) {
    throw new SiftError(
      'E_CALIBRATION',
      `${rows.length} pairs with every feature (${features.join(', ')}) are too few to fit a calibration`,
      { field: 'labels' },
    );
  }
  const d = features.length + 1;
  let beta = new Array<number>(d).fill(0);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Array<number>(d).fill(0);
    const hessian = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    rows.forEach((row, i) => {
      const p = sigmoid(dot(beta, row));
      const w = p * (1 - p);
      for (let a = 0; a < d; a++) {
        gradient[a]! += ((p - (y[i] as number)) * (row[a] as number)) / rows.length;
        for (let b = 0; b < d; b++)
          hessian[a]![b]! += (w * (row[a] as number) * (row[b] as number)) / rows.length;
      }
    });
    for (let a = 1; a < d; a++) {
      gradient[a]! += l2 * (beta[a] as number);
      hessian[a]![a]! += l2;
    }
    const step = solve(hessian, gradient);
    beta = beta.map((value, a) => value - (step[a] as number));
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { kind: 'logistic', features: [...features], weights: beta.slice(1), bias: beta[0] as number };
}

/** Fits a non-decreasing step function of one feature to the targets (pool adjacent violators). */
export function fitIsotonic(
  columns: ReadonlyMap<CalibrationFeature, number[]>,
  targets: readonly number[],
  feature: CalibrationFeature,
): IsotonicCalibration {
  const x = requireColumn(columns, feature);
  const points = targets
    .map((target, i) => ({ x: x[i] as number, y: target }))
    .filter((point) => Number.isFinite(point.x))
    .sort((a, b) => a.x - b.x);
  if (points.length < 2) {
    throw new SiftError(
      'E_CALIBRATION',
      `${points.length} pairs with "${feature}" are too few to fit a calibration`,
      {
        field: 'labels',
      },
    );
  }
  // Blocks of pooled points: [first x, sum of y, count].
  const blocks: Array<{ x: number; sum: number; n: number }> = [];
  for (const point of points) {
    blocks.push({ x: point.x, sum: point.y, n: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const before = blocks[blocks.length - 2]!;
      if (before.sum / before.n <= last.sum / last.n) break;
      before.sum += last.sum;
      before.n += last.n;
      blocks.pop();
    }
  }
  return {
    kind: 'isotonic',
    feature,
    thresholds: blocks.map((block) => block.x),
    values: blocks.map((block) => block.sum / block.n),
  };
}

export function parseCalibration(text: string, file: string): Calibration {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SiftError('E_CALIBRATION', `not JSON: ${(error as Error).message}`, { file }, { cause: error });
  }
  const calibration = value as Partial<Calibration>;
  if (calibration.format !== 'sift-judge-calibration' || calibration.version !== 1) {
    throw new SiftError('E_CALIBRATION', 'not a sift judge calibration (format/version)', {
      file,
      field: 'format',
    });
  }
  const map = calibration.map as Partial<CalibrationMap> | undefined;
  const valid =
    map?.kind === 'identity' ||
    (map?.kind === 'logistic'
      ? Array.isArray(map.features) &&
        Array.isArray(map.weights) &&
        map.features.length === map.weights.length
      : map?.kind === 'isotonic' &&
        Array.isArray(map.thresholds) &&
        map.thresholds.length === map.values?.length);
  if (!valid || typeof calibration.judgeId !== 'string') {
    throw new SiftError('E_CALIBRATION', 'the calibration map or judge id is malformed', {
      file,
      field: 'map',
    });
  }
  return calibration as Calibration;
}

function stepValue(map: IsotonicCalibration, value: number): number {
  // The value of the last block whose first x is ≤ value (the first block below every threshold).
  let lo = 0;
  let hi = map.thresholds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((map.thresholds[mid] as number) <= value) lo = mid;
    else hi = mid - 1;
  }
  return map.values[lo] as number;
}

function requireColumn(
  columns: ReadonlyMap<CalibrationFeature, number[]>,
  feature: CalibrationFeature,
): number[] {
  const column = columns.get(feature);
  if (!column)
    throw new SiftError('E_CALIBRATION', `no "${feature}" scores to calibrate`, { field: feature });
  return column;
}

function clippedLogit(p: number): number {
  const z = Math.log(p) - Math.log1p(-p);
  return Math.max(-8, Math.min(8, Number.isFinite(z) ? z : p > 0.5 ? 8 : -8));
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** Solves A x = b for a small symmetric positive definite A (Gaussian elimination, partial pivoting). */
function solve(matrix: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++)
      if (Math.abs(a[row]![col]!) > Math.abs(a[pivot]![col]!)) pivot = row;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]! || 1e-12;
    for (let row = col + 1; row < n; row++) {
      const factor = a[row]![col]! / p;
      for (let k = col; k <= n; k++) a[row]![k]! -= factor * a[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = a[row]![n]!;
    for (let k = row + 1; k < n; k++) sum -= a[row]![k]! * x[k]!;
    x[row] = sum / (a[row]![row]! || 1e-12);
  }
  return x;
}
