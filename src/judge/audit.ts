// Audits judge labels against human qrels: agreement on the pairs both have, and whether the judge's
// labels rank retrieval systems the way human labels do.
//
// Treatment of unjudged pairs: BEIR qrels list only the pairs assessors saw (mostly relevant ones), so a
// pair missing from the qrels is not "human grade 0". Agreement is computed on exactly the pairs both
// the judge and the qrels grade; judge labels without a human grade are counted (`judge_only`) and left
// out. Scales: when the policy's grades differ from the qrels' (web-search 0–3 vs DBpedia 0–2 or
// Cranfield 0–4), `gradeMap` maps each judge grade onto the human scale before the confusion matrix and
// the kappas; it is reported with the results. Spearman's ρ uses the unmapped grades (a monotone map
// would only add ties).

import { SiftError } from '../errors.js';
import { evaluateRun, type Run } from '../eval/index.js';
import type { Qrels } from '../ingest/index.js';
import { type ConfusionMatrix, cohensKappa, confusionMatrix, kendallTauB, spearman } from './agreement.js';

export interface JudgeLabel {
  queryId: string;
  docId: string;
  grade: number;
}

export interface AuditOptions {
  /** Judge grade → human-scale grade; grades not in the map pass unchanged. */
  gradeMap?: ReadonlyMap<number, number>;
}

export interface AuditReport {
  /** Pairs graded by both the judge and the human qrels: the pairs every statistic below is over. */
  pairs: number;
  kappa_linear: number | null;
  kappa_quadratic: number | null;
  /** Unweighted Cohen's kappa. */
  kappa: number | null;
  spearman: number | null;
  /** Share of pairs where the mapped judge grade equals the human grade. */
  exact_agreement: number | null;
  /** Judge labels in the audited set. */
  labels: number;
  /** Judge labels with no human grade (left out of every statistic). */
  judge_only: number;
  /** Rows: the judge's (mapped) grade; columns: the human grade. */
  confusion: ConfusionMatrix;
  grade_map: Record<string, number> | null;
}

export function auditAgreement(
  labels: readonly JudgeLabel[],
  qrels: Qrels,
  options: AuditOptions = {},
): AuditReport {
  const judgeRaw: number[] = [];
  const judgeMapped: number[] = [];
  const human: number[] = [];
  for (const label of labels) {
    const grade = qrels.get(label.queryId)?.get(label.docId);
    if (grade === undefined) continue;
    judgeRaw.push(label.grade);
    judgeMapped.push(options.gradeMap?.get(label.grade) ?? label.grade);
    human.push(grade);
  }
  const all = [...judgeMapped, ...human];
  const low = all.length > 0 ? Math.min(...all) : 0;
  const high = all.length > 0 ? Math.max(...all) : 0;
  // Every grade between the lowest and highest seen is a category, so weights reflect grade distance.
  const categories = Array.from({ length: high - low + 1 }, (_, i) => low + i);
  const matrix = confusionMatrix(judgeMapped, human, categories);
  const agree = judgeMapped.filter((g, i) => g === human[i]).length;
  return {
    pairs: human.length,
    kappa_linear: finite(cohensKappa(matrix, 'linear')),
    kappa_quadratic: finite(cohensKappa(matrix, 'quadratic')),
    kappa: finite(cohensKappa(matrix, 'none')),
    spearman: finite(spearman(judgeRaw, human)),
    exact_agreement: human.length > 0 ? agree / human.length : null,
    labels: labels.length,
    judge_only: labels.length - human.length,
    confusion: matrix,
    grade_map: options.gradeMap
      ? Object.fromEntries([...options.gradeMap].map(([k, v]) => [String(k), v]))
      : null,
  };
}

export interface SystemScore {
  name: string;
  ndcg_human: number;
  ndcg_judge: number;
}

export interface SystemOrdering {
  /** Queries scored: those with a relevant document under both the human qrels and the judge labels. */
  queries: number;
  systems: SystemScore[];
  /** Kendall's τ-b between the systems' NDCG@10 under human labels and under judge labels. */
  kendall_tau: number | null;
}

/**
 * Scores each run by NDCG@10 under the human qrels and under the judge's labels (as qrels, mapped to the
 * human scale), over the same queries, and compares the two orderings of the systems. Pairs the judge
 * did not label count as not relevant under its labels, as unjudged documents do in trec_eval.
 */
export function compareSystemOrdering(
  runs: ReadonlyMap<string, Run>,
  humanQrels: Qrels,
  labels: readonly JudgeLabel[],
  options: AuditOptions = {},
): SystemOrdering {
  const judgeQrels: Qrels = new Map();
  for (const label of labels) {
    let judged = judgeQrels.get(label.queryId);
    if (judged === undefined) {
      judged = new Map();
      judgeQrels.set(label.queryId, judged);
    }
    judged.set(label.docId, options.gradeMap?.get(label.grade) ?? label.grade);
  }
  const hasRelevant = (judged: ReadonlyMap<string, number> | undefined) =>
    judged !== undefined && [...judged.values()].some((grade) => grade > 0);
  const shared = [...judgeQrels.keys()].filter(
    (q) => hasRelevant(judgeQrels.get(q)) && hasRelevant(humanQrels.get(q)),
  );
  const restrict = (qrels: Qrels): Qrels => new Map(shared.map((q) => [q, qrels.get(q)!]));
  const human = restrict(humanQrels);
  const judge = restrict(judgeQrels);
  const systems = [...runs].map(([name, run]) => ({
    name,
    ndcg_human: evaluateRun(run, human, { metrics: ['ndcg@10'] }).metrics['ndcg@10']!,
    ndcg_judge: evaluateRun(run, judge, { metrics: ['ndcg@10'] }).metrics['ndcg@10']!,
  }));
  return {
    queries: shared.length,
    systems,
    kendall_tau:
      systems.length >= 2 && shared.length > 0
        ? finite(
            kendallTauB(
              systems.map((s) => s.ndcg_human),
              systems.map((s) => s.ndcg_judge),
            ),
          )
        : null,
  };
}

/** Parses `0:0,1:1,2:1,3:2` (judge grade:human grade). */
export function parseGradeMap(text: string): Map<number, number> {
  const map = new Map<number, number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*:\s*(-?\d+)\s*$/.exec(part);
    if (match === null) throw badMap(`"${part.trim()}" is not judge:human, e.g. 3:2`);
    const from = Number(match[1]);
    if (map.has(from)) throw badMap(`judge grade ${from} is mapped twice`);
    map.set(from, Number(match[2]));
  }
  return map;
}

function badMap(detail: string): SiftError {
  return new SiftError('E_BAD_ARGUMENT', `--map-grades: ${detail}`, { field: 'map-grades' });
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
