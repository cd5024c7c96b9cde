// Which way of reading the judge agrees best with humans? For each committed label set (assets/labels/,
// training queries only), every scoring form and the calibrated combination are compared with the
// collection's human grades: linear kappa, Spearman, AUC and the Kendall τ of retrieval systems ordered
// by NDCG@10 under human vs judge grades. `calibrated` is cross-validated by query within the
// collection. (Leave-one-collection-out numbers for every candidate map come from
// `sift judge calibrate … --json bench/results/judge-calibrate.json`.)
//
//   node dist/bench/judge-agreement.js            (after npm run build; reads assets/labels/*.jsonl.gz)

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readQrels } from '../src/eval/index.js';
import { type FormAgreement, formAgreement, type GradedLabel, systemRuns } from '../src/judge/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { machineInfo, printTable, writeResult } from './lib/report.js';

interface LabelSetFile {
  name: string;
  file: string;
  folder: string;
  maxGrade: number;
}

const labelsDir = resolve('assets/labels');
const shared = sharedDir();
const sets: LabelSetFile[] = [
  { name: 'dbpedia-entity-subset', folder: join(shared, 'data', 'dbpedia-entity-subset'), maxGrade: 3 },
  { name: 'cranfield', folder: join(shared, 'data', 'cranfield'), maxGrade: 3 },
  { name: 'jobs', folder: join(siftPaths().collections, 'jobs-2026-5000'), maxGrade: 3 },
].map((set) => ({ ...set, file: join(labelsDir, `${set.name}.jsonl.gz`) }));

interface Loaded extends LabelSetFile {
  labels: GradedLabel[];
  qrels: Awaited<ReturnType<typeof readQrels>>;
}

const loaded: Loaded[] = [];
for (const set of sets) {
  if (!existsSync(set.file)) {
    console.log(`skipping ${set.name}: no ${set.file}`);
    continue;
  }
  const labels = gunzipSync(readFileSync(set.file))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(
      (line) =>
        JSON.parse(line) as {
          query_id: string;
          doc_id: string;
          raw_grade: number;
          scores?: GradedLabel['scores'];
        },
    )
    .filter((record) => record.scores !== undefined)
    .map((record) => ({
      queryId: record.query_id,
      docId: record.doc_id,
      grade: record.raw_grade,
      scores: record.scores!,
    }));
  loaded.push({ ...set, labels, qrels: await readQrels(join(set.folder, 'qrels', 'test.tsv')) });
}

const results: Array<{
  collection: string;
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
  const rows: Array<Omit<FormAgreement, 'form'> & { form: string }> = formAgreement(set.labels, set.qrels, {
    maxGrade: set.maxGrade,
    runs,
  });
  results.push({ collection: set.name, labels: set.labels.length, rows });
  for (const row of rows) {
    table.push({
      collection: set.name,
      form: row.form,
      pairs: row.pairs,
      kappa_linear: row.kappa_linear ?? 'n/a',
      spearman: row.spearman ?? 'n/a',
      auc: row.auc ?? 'n/a',
      kendall_tau: row.kendall_tau ?? 'n/a',
    });
  }
}
printTable(table, 3);
const file = writeResult('judge-agreement', { machine: machineInfo(), labelsDir, results });
console.log(`\nwrote ${file}`);
