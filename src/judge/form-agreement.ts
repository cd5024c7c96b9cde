// How well each of a scoring judge's forms agrees with human grades on one collection: the table that
// decides which form (or combination) the default judge uses.
//
// For every form the same four statistics, on the pairs that both the judge and the human qrels grade:
// - Spearman's ρ between the form's raw score and the human grade (calibration-free);
// - AUC: how often a relevant pair (human grade > 0, trec_eval's binary convention) outscores a
//   non-relevant one (calibration-free; ties count one half);
// - linear-weighted Cohen's kappa of a grade on the human scale. Forms with no grade of their own are
//   put on the human scale by an isotonic map fitted on the *other* queries (k-fold by query), so no
//   pair is graded by a map that saw its own human grade;
// - Kendall's τ between the orderings of retrieval systems under human and judge grades (when runs are
//   given).
// `raw-grade` is the judge's own answer (its most likely digit) put linearly on the human scale;
// `calibrated` is the logistic combination of every feature, cross-validated the same way.

import type { Run } from '../eval/index.js';
import type { Qrels } from '../ingest/index.js';
import { cohensKappa, confusionMatrix, spearman } from './agreement.js';
import { compareSystemOrdering } from './audit.js';
import {
  applyCalibration,
  CALIBRATION_FEATURES,
  type CalibrationFeature,
  type CalibrationMap,
  calibrationFeatures,
  fitIsotonic,
  fitLogistic,
  gradeOnScale,
} from './calibration.js';
import type { JudgeScores } from './types.js';

export interface GradedLabel {
  queryId: string;
  docId: string;
  /** The judge's own grade (its most likely digit). */
  grade: number;
  scores: JudgeScores;
}

export type FormName = 'raw-grade' | 'expected-grade' | 'yes-no' | 'query-likelihood' | 'calibrated';
export const FORM_NAMES: readonly FormName[] = [
  'raw-grade',
  'expected-grade',
  'yes-no',
  'query-likelihood',
  'calibrated',
];

export interface FormAgreement {
  form: FormName;
  pairs: number;
  kappa_linear: number | null;
  spearman: number | null;
  auc: number | null;
  kendall_tau: number | null;
}

export interface FormAgreementOptions {
  /** The policy's top grade (the judge's scale). */
  maxGrade: number;
  /** Folds of the by-query cross-validation. Default 5. */
  folds?: number;
  /** Runs of a few retrieval systems over the collection, for the system-ordering τ. */
  runs?: ReadonlyMap<string, Run>;
  /**
   * A calibration fitted elsewhere (another collection): when given, `calibrated` uses it as is
   * instead of cross-validating on this collection (leave-one-collection-out).
   */
  external?: CalibrationMap;
  /** How a pair missing from the qrels counts. Default `skip`, as the audit (audit.ts). */
  unjudged?: Unjudged;
}

/**
 * How a judged pair that the qrels do not list counts: `skip` leaves it out (the audit's reading: BEIR
 * qrels list what assessors saw, so absence is not a grade); `not-relevant` gives it human grade 0, as
 * trec_eval does when it computes the NDCG every ranker here is measured by. Only queries with qrels
 * count either way.
 */
export type Unjudged = 'skip' | 'not-relevant';

const FEATURE_OF: Partial<Record<FormName, CalibrationFeature>> = {
  'expected-grade': 'grade',
  'yes-no': 'yes',
  'query-likelihood': 'ql',
};

/** The human-graded subset of `labels`, their features, targets and fold of each pair. */
export function gradedPairs(
  labels: readonly GradedLabel[],
  qrels: Qrels,
  maxGrade: number,
  unjudged: Unjudged = 'skip',
) {
  const humanGrade = (label: GradedLabel): number | undefined => {
    const byDoc = qrels.get(label.queryId);
    if (byDoc === undefined) return undefined;
    return byDoc.get(label.docId) ?? (unjudged === 'not-relevant' ? 0 : undefined);
  };
  const kept = labels.filter((label) => humanGrade(label) !== undefined);
  const human = kept.map((label) => humanGrade(label) as number);
  const humanMax = Math.max(1, ...human);
  return {
    labels: kept,
    human,
    humanMax,
    targets: human.map((grade) => Math.max(0, grade) / humanMax),
    columns: calibrationFeatures(kept, maxGrade),
  };
}

export function formAgreement(
  labels: readonly GradedLabel[],
  qrels: Qrels,
  options: FormAgreementOptions,
): FormAgreement[] {
  const graded = gradedPairs(labels, qrels, options.maxGrade, options.unjudged);
  const folds = options.folds ?? 5;
  const foldOf = graded.labels.map((label) => foldOfQuery(label.queryId, folds));
  const rows: FormAgreement[] = [];
  for (const form of FORM_NAMES) {
    let score: number[];
    let humanScaleGrade: number[];
    if (form === 'raw-grade') {
      score = graded.labels.map((label) => label.grade);
      humanScaleGrade = score.map((grade) => gradeOnScale(grade / options.maxGrade, graded.humanMax));
    } else {
      const feature = FEATURE_OF[form];
      if (feature !== undefined) score = graded.columns.get(feature) as number[];
      const relevance =
        form === 'calibrated' && options.external
          ? applyCalibration(options.external, graded.columns)
          : crossValidated(graded.columns, graded.targets, foldOf, folds, (columns, targets) =>
              feature !== undefined
                ? fitIsotonic(columns, targets, feature)
                : fitLogistic(columns, targets, CALIBRATION_FEATURES),
            );
      if (feature === undefined) score = relevance;
      humanScaleGrade = relevance.map((r) =>
        Number.isFinite(r) ? gradeOnScale(r, graded.humanMax) : Number.NaN,
      );
    }
    rows.push(statistics(form, score!, humanScaleGrade, graded, options.runs));
  }
  return rows;
}

function statistics(
  form: FormName,
  score: readonly number[],
  grade: readonly number[],
  graded: ReturnType<typeof gradedPairs>,
  runs: ReadonlyMap<string, Run> | undefined,
): FormAgreement {
  const keep = score.map((s, i) => Number.isFinite(s) && Number.isFinite(grade[i] as number));
  const pick = <T>(values: readonly T[]) => values.filter((_, i) => keep[i]);
  const s = pick(score);
  const g = pick(grade);
  const h = pick(graded.human);
  if (s.length === 0)
    return { form, pairs: 0, kappa_linear: null, spearman: null, auc: null, kendall_tau: null };
  const low = Math.min(...g, ...h);
  const high = Math.max(...g, ...h);
  const categories = Array.from({ length: high - low + 1 }, (_, i) => low + i);
  const kappa = cohensKappa(confusionMatrix(g, h, categories), 'linear');
  let tau: number | null = null;
  if (runs !== undefined && runs.size >= 2) {
    const judged = pick(graded.labels).map((label, i) => ({ ...label, grade: g[i] as number }));
    tau = compareSystemOrdering(runs, restrictQrels(graded), judged).kendall_tau;
  }
  return {
    form,
    pairs: s.length,
    kappa_linear: finite(kappa),
    spearman: finite(spearman(s, h)),
    auc: auc(
      s,
      h.map((grade) => grade > 0),
    ),
    kendall_tau: tau,
  };
}

/** Human qrels over the audited pairs only, so both orderings are judged on the same pairs. */
function restrictQrels(graded: ReturnType<typeof gradedPairs>): Qrels {
  const qrels: Qrels = new Map();
  graded.labels.forEach((label, i) => {
    let byDoc = qrels.get(label.queryId) as Map<string, number> | undefined;
    if (!byDoc) {
      byDoc = new Map();
      qrels.set(label.queryId, byDoc);
    }
    byDoc.set(label.docId, graded.human[i] as number);
  });
  return qrels;
}

/** Each pair's calibrated relevance from a map fitted on the folds its query is not in. */
function crossValidated(
  columns: ReadonlyMap<CalibrationFeature, number[]>,
  targets: readonly number[],
  foldOf: readonly number[],
  folds: number,
  fit: (columns: ReadonlyMap<CalibrationFeature, number[]>, targets: number[]) => CalibrationMap,
): number[] {
  const out = new Array<number>(targets.length).fill(Number.NaN);
  for (let fold = 0; fold < folds; fold++) {
    const train = targets.map((_, i) => foldOf[i] !== fold);
    const test = targets.map((_, i) => foldOf[i] === fold);
    if (!test.some(Boolean) || train.filter(Boolean).length < 8) continue;
    const select = (which: boolean[]) =>
      new Map([...columns].map(([feature, values]) => [feature, values.filter((_, i) => which[i])]));
    let map: CalibrationMap;
    try {
      map = fit(
        select(train),
        targets.filter((_, i) => train[i]),
      );
    } catch {
      continue;
    }
    const predicted = applyCalibration(map, select(test));
    let k = 0;
    test.forEach((inFold, i) => {
      if (inFold) out[i] = predicted[k++] as number;
    });
  }
  return out;
}

/** A query's fold: a hash of its id, so folds never split a query and never depend on order. */
export function foldOfQuery(queryId: string, folds: number): number {
  let hash = 2166136261;
  for (let i = 0; i < queryId.length; i++) hash = Math.imul(hash ^ queryId.charCodeAt(i), 16777619) >>> 0;
  return hash % folds;
}

/** Area under the ROC curve of `scores` for the positives (Mann–Whitney, ties count one half). */
export function auc(scores: readonly number[], positive: readonly boolean[]): number | null {
  const order = scores
    .map((score, i) => ({ score, positive: positive[i] as boolean }))
    .sort((a, b) => a.score - b.score);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]!.score === order[i]!.score) j++;
    const meanRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (order[k]!.positive) {
        positives++;
        rankSum += meanRank;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
