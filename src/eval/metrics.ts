// Per-query and averaged retrieval metrics (nDCG, recall, precision, MRR, MAP), with trec_eval's conventions.
//
// Conventions, each chosen to agree with trec_eval 9.x (and so with pytrec_eval and BEIR):
// - Order: a query's documents are ranked by score descending (compared in float32, as trec_eval stores
//   them), ties by docId descending (ranking.ts); the order of the input list does not matter.
// - Relevance: a document is relevant when its grade is > 0; unjudged documents count as grade 0.
// - Query set: the average is taken over every query in the qrels that has at least one relevant
//   document; a query the run does not answer scores 0 on every metric. This is trec_eval's `-c` (complete)
//   averaging, except that qrels queries with no relevant document are left out rather than averaged in
//   as zeros: they cannot tell two systems apart, and nDCG/recall/MAP are 0/0 on them. (BEIR's qrels give
//   every query at least one relevant document, so on BEIR both rules give the same number.) Run queries
//   absent from the qrels are ignored, as in trec_eval.

import { SiftError } from '../errors.js';
import type { Qrels } from '../ingest/index.js';
import { rankDocs, type ScoredDoc } from './ranking.js';
import type { Run } from './run.js';

export type MetricKind = 'ndcg' | 'recall' | 'p' | 'mrr' | 'map';

/** One metric to compute; `cutoff` undefined means the whole ranking. */
export interface MetricSpec {
  /** Canonical name, the key in results: `ndcg@10`, `recall@100`, `p@10`, `mrr@10`, `map`, `map@100`. */
  readonly name: string;
  readonly kind: MetricKind;
  readonly cutoff: number | undefined;
}

/** What `evaluateRun` computes when not told otherwise. */
export const DEFAULT_METRICS: readonly string[] = ['ndcg@10', 'recall@100', 'mrr@10', 'map'];

const KIND_ALIASES: Readonly<Record<string, MetricKind>> = {
  ndcg: 'ndcg',
  recall: 'recall',
  p: 'p',
  precision: 'p',
  mrr: 'mrr',
  map: 'map',
};

const SPEC_PATTERN = /^([a-z]+)(?:@(\d+))?$/;

/** Parses `ndcg@10`, `recall@1000`, `p@10`, `mrr@10`, `map`, ... (case-insensitive); `p` needs a cutoff. */
export function parseMetricSpec(text: string): MetricSpec {
  const match = SPEC_PATTERN.exec(text.trim().toLowerCase());
  const kind = match?.[1] === undefined ? undefined : KIND_ALIASES[match[1]];
  if (match === null || kind === undefined) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `unknown metric "${text}"; expected ndcg[@k], recall[@k], p@k, mrr[@k] or map[@k]`,
      { field: 'metric' },
    );
  }
  const cutoffText = match[2];
  const cutoff = cutoffText === undefined ? undefined : Number(cutoffText);
  if (cutoff !== undefined && (!Number.isSafeInteger(cutoff) || cutoff < 1)) {
    throw new SiftError('E_BAD_ARGUMENT', `metric "${text}" needs a cutoff of at least 1`, {
      field: 'metric',
    });
  }
  if (kind === 'p' && cutoff === undefined) {
    throw new SiftError('E_BAD_ARGUMENT', `metric "${text}" needs a cutoff, e.g. p@10`, { field: 'metric' });
  }
  return { name: cutoff === undefined ? kind : `${kind}@${cutoff}`, kind, cutoff };
}

/** Parses a list of specs, dropping repeats (by canonical name) and keeping the first order. */
export function parseMetricSpecs(specs: readonly (string | MetricSpec)[]): MetricSpec[] {
  const byName = new Map<string, MetricSpec>();
  for (const spec of specs) {
    const parsed = typeof spec === 'string' ? parseMetricSpec(spec) : parseMetricSpec(spec.name);
    if (!byName.has(parsed.name)) byName.set(parsed.name, parsed);
  }
  return [...byName.values()];
}

/** Grades of the retrieved documents, in rank order; unjudged documents get 0. */
function gradesInOrder(ranked: readonly ScoredDoc[], judgments: ReadonlyMap<string, number>): number[] {
  return ranked.map((doc) => judgments.get(doc.docId) ?? 0);
}

/** DCG = Σ_{i=1..k} gain_i / log2(i + 1), with linear gain = grade (trec_eval ndcg_cut), negatives as 0. */
function dcg(grades: readonly number[], cutoff: number): number {
  let sum = 0;
  const n = Math.min(cutoff, grades.length);
  for (let i = 0; i < n; i++) {
    const gain = grades[i]!;
    if (gain > 0) sum += gain / Math.log2(i + 2);
  }
  return sum;
}

/**
 * One metric for one query, over a ranking already in trec_eval order.
 * - ndcg@k = DCG@k / IDCG@k, IDCG over all positive grades of the query sorted descending (0 if none);
 * - recall@k = |relevant in top k| / |relevant|;
 * - p@k = |relevant in top k| / k (trec_eval's P_k: k, not the number retrieved, is the denominator);
 * - mrr@k = 1 / rank of the first relevant document in the top k, 0 if none;
 * - map@k = Σ_{relevant at rank r ≤ k} precision@r / |relevant| (trec_eval map / map_cut).
 * All are 0 when the query has no relevant document.
 */
function metricValue(
  spec: MetricSpec,
  grades: readonly number[],
  idealGrades: readonly number[],
  totalRelevant: number,
): number {
  if (totalRelevant === 0) return 0;
  const k = Math.min(spec.cutoff ?? Number.POSITIVE_INFINITY, grades.length);
  switch (spec.kind) {
    case 'ndcg': {
      const cutoff = spec.cutoff ?? Number.POSITIVE_INFINITY;
      const ideal = dcg(idealGrades, cutoff);
      return ideal > 0 ? dcg(grades, cutoff) / ideal : 0;
    }
    case 'recall':
    case 'p': {
      let hits = 0;
      for (let i = 0; i < k; i++) if (grades[i]! > 0) hits += 1;
      return spec.kind === 'recall' ? hits / totalRelevant : hits / spec.cutoff!;
    }
    case 'mrr': {
      for (let i = 0; i < k; i++) if (grades[i]! > 0) return 1 / (i + 1);
      return 0;
    }
    case 'map': {
      let hits = 0;
      let sum = 0;
      for (let i = 0; i < k; i++) {
        if (grades[i]! > 0) {
          hits += 1;
          sum += hits / (i + 1);
        }
      }
      return sum / totalRelevant;
    }
  }
}

/**
 * Every metric in `specs` for one query. `retrieved` may be in any order (it is ranked here); `judgments`
 * maps docId → grade for this query. Returns an object keyed by canonical metric name.
 */
export function evaluateQuery(
  retrieved: readonly ScoredDoc[],
  judgments: ReadonlyMap<string, number>,
  specs: readonly MetricSpec[],
): Record<string, number> {
  const grades = gradesInOrder(rankDocs(retrieved), judgments);
  const idealGrades = [...judgments.values()].filter((g) => g > 0).sort((a, b) => b - a);
  const result: Record<string, number> = {};
  for (const spec of specs) result[spec.name] = metricValue(spec, grades, idealGrades, idealGrades.length);
  return result;
}

/** The outcome of evaluating one run: means, how many queries they average, and each query's values. */
export interface EvalResult {
  /** Metric name → mean over the evaluated queries (0 when there are none). */
  metrics: Record<string, number>;
  /** How many queries were evaluated: qrels queries with at least one relevant document. */
  queries: number;
  /** queryId → metric name → value, for exactly the evaluated queries, in qrels order. */
  perQuery: Record<string, Record<string, number>>;
}

export interface EvalOptions {
  /** Metrics to compute, as specs or strings like `ndcg@10`; defaults to DEFAULT_METRICS. */
  metrics?: readonly (string | MetricSpec)[];
}

/** Refuses run entries that trec_eval would refuse, or that have no place in an ordering. */
function checkRetrieved(qid: string, retrieved: readonly ScoredDoc[]): void {
  const seen = new Set<string>();
  for (const { docId, score } of retrieved) {
    if (Number.isNaN(score)) {
      throw new SiftError('E_BAD_ARGUMENT', `score of "${docId}" for query "${qid}" is NaN`);
    }
    if (seen.has(docId)) {
      throw new SiftError('E_DUPLICATE_ID', `document "${docId}" retrieved twice for query "${qid}"`);
    }
    seen.add(docId);
  }
}

/** Evaluates `run` against `qrels`; see the conventions at the top of this file. */
export function evaluateRun(run: Run, qrels: Qrels, options: EvalOptions = {}): EvalResult {
  const specs = parseMetricSpecs(options.metrics ?? DEFAULT_METRICS);
  const sums = new Map<string, number>(specs.map((spec) => [spec.name, 0]));
  // Built as entries and turned into an object with Object.fromEntries, which defines own properties,
  // so a query id such as "__proto__" stays an ordinary key.
  const perQuery: Array<[string, Record<string, number>]> = [];
  for (const [qid, judgments] of qrels) {
    let relevant = false;
    for (const grade of judgments.values()) {
      if (grade > 0) {
        relevant = true;
        break;
      }
    }
    if (!relevant) continue;
    const retrieved = run.get(qid) ?? [];
    checkRetrieved(qid, retrieved);
    const values = evaluateQuery(retrieved, judgments, specs);
    for (const spec of specs) sums.set(spec.name, sums.get(spec.name)! + values[spec.name]!);
    perQuery.push([qid, values]);
  }
  const count = perQuery.length;
  const metrics: Record<string, number> = {};
  for (const spec of specs) metrics[spec.name] = count === 0 ? 0 : sums.get(spec.name)! / count;
  return { metrics, queries: count, perQuery: Object.fromEntries(perQuery) };
}
