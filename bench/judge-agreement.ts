// Which way of reading the judge agrees best with humans? For each committed label set (assets/labels/,
// training queries only), every scoring form and the calibrated combination are compared with the
// collection's human grades: linear kappa, Spearman, AUC and the Kendall τ of retrieval systems ordered
// by NDCG@10 under human vs judge grades. Each table is given twice: on the pairs the qrels grade (the
// audit's reading) and with the judged pairs the qrels do not list counted as grade 0 (trec_eval's). `calibrated` is cross-validated by query within the
// collection. Two more rows per collection are leave-one-collection-out: the shipped calibration (the
// identity on the expected grade) and a logistic combination fitted on the other collections' pairs,
// each applied to a collection it never saw.
//
//   node dist/bench/judge-agreement.js            (after npm run build; reads assets/labels/*.jsonl.gz)

import {
  CALIBRATION_FEATURES,
  type CalibrationMap,
  type FormAgreement,
  fitLogistic,
  formAgreement,
  gradedPairs,
  systemRuns,
  type Unjudged,
} from '../src/judge/index.js';
import { siftPaths } from '../src/util/index.js';
import { committedLabelSetsWithScores, LABELS_DIR } from './lib/label-sets.js';
import { machineInfo, printTable, writeResult } from './lib/report.js';

const labelsDir = LABELS_DIR;
const loaded = await committedLabelSetsWithScores();

const results: Array<{
  collection: string;
  unjudged: Unjudged;
  labels: number;
  rows: Array<Omit<FormAgreement, 'form'> & { form: string }>;
}> = [];
const table: Array<Record<string, string | number>> = [];
for (const set of loaded) {
  const queryIds = new Set(set.labels.map((label) => label.queryId));
  const runs = await systemRuns(
    set.folder,
    queryIds,
    ['bm25', 'bm25-most-fields', 'bm25f', 'bm25-b0', 'bm25-title-only'],
    {
      indexesRoot: siftPaths().indexes,
      quiet: true,
    },
  );
  for (const unjudged of ['skip', 'not-relevant'] as const) {
    const rows: Array<Omit<FormAgreement, 'form'> & { form: string }> = formAgreement(set.labels, set.qrels, {
      maxGrade: set.maxGrade,
      runs,
      unjudged,
    });
    // Leave one collection out: the shipped map (identity on the expected grade, fitted on nothing) and
    // a logistic combination fitted on the other collections' pairs, both applied to this one unchanged.
    const others = loaded.filter((other) => other !== set);
    const columns = new Map(CALIBRATION_FEATURES.map((feature) => [feature, [] as number[]]));
    const targets: number[] = [];
    for (const other of others) {
      const graded = gradedPairs(other.labels, other.qrels, other.maxGrade, unjudged);
      for (const feature of CALIBRATION_FEATURES) columns.get(feature)!.push(...graded.columns.get(feature)!);
      targets.push(...graded.targets);
    }
    const external: Array<[string, CalibrationMap]> = [
      ['shipped (identity on expected grade), unseen collection', { kind: 'identity', feature: 'grade' }],
      [
        `logistic fitted on ${others.map((other) => other.name).join(' + ')}`,
        fitLogistic(columns, targets, CALIBRATION_FEATURES),
      ],
    ];
    for (const [form, map] of external) {
      const calibrated = formAgreement(set.labels, set.qrels, {
        maxGrade: set.maxGrade,
        runs,
        unjudged,
        external: map,
      }).find((row) => row.form === 'calibrated')!;
      rows.push({ ...calibrated, form });
    }
    results.push({ collection: set.name, unjudged, labels: set.labels.length, rows });
    for (const row of rows) {
      table.push({
        collection: set.name,
        unjudged,
        form: row.form,
        pairs: row.pairs,
        kappa_linear: row.kappa_linear ?? 'n/a',
        spearman: row.spearman ?? 'n/a',
        auc: row.auc ?? 'n/a',
        kendall_tau: row.kendall_tau ?? 'n/a',
      });
    }
  }
}
printTable(table, 3);

// Each form's mean raw score by human grade (and for pairs the qrels do not list): where a collection's
// grades and the judge part ways, this shows at which grade.
const byGrade: Array<Record<string, string | number>> = [];
for (const set of loaded) {
  const groups = new Map<string, typeof set.labels>();
  for (const label of set.labels) {
    const grade = set.qrels.get(label.queryId)?.get(label.docId);
    const key = grade === undefined ? 'unlisted' : String(grade);
    groups.set(key, [...(groups.get(key) ?? []), label]);
  }
  const mean = (labels: typeof set.labels, score: (label: (typeof labels)[number]) => number | undefined) => {
    const values = labels.map(score).filter((value): value is number => value !== undefined);
    return values.length === 0 ? 'n/a' : values.reduce((sum, value) => sum + value, 0) / values.length;
  };
  for (const [grade, labels] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    byGrade.push({
      collection: set.name,
      human_grade: grade,
      pairs: labels.length,
      p_yes: mean(labels, (label) => label.scores.pYes),
      expected_grade: mean(labels, (label) => label.scores.expectedGrade),
      query_log_likelihood: mean(labels, (label) => label.scores.queryLogLikelihood),
    });
  }
}
console.log('\nmean raw score by human grade:\n');
printTable(byGrade, 3);
const file = writeResult('judge-agreement', { machine: machineInfo(), labelsDir, results, byGrade });
console.log(`\nwrote ${file}`);
