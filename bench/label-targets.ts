// Question: which of the judge's signals in the committed label sets keeps the order of the human
// labels, i.e. which is the better training target for a ranking student? For each set, on its pairs
// (human grade from the collection's qrels, unjudged = 0, as TREC counts them), the AUC of separating
// human-relevant from not by: the calibrated normalised grade (`grade_normalized`, the export's default
// target) and the judge's own p(yes) (`scores.pYes`). Baseline in the same run: the AUC of a document's
// shortness (a signal with no relevance knowledge; ≈ 0.5). Also how spread p(yes) is (10th and 90th
// percentiles) and how flat a listwise target made from it is per query (mean normalised entropy).
//
//   npm run build && node dist/bench/label-targets.js
// Results: bench/results/label-targets.json.

import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import { loadBeirCollection } from '../src/ingest/index.js';
import { auc } from '../src/judge/index.js';
import type { TrainingExample } from '../src/train/index.js';
import { committedLabelSets, readTrainingJsonl } from '../src/train/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { machineInfo, percentile, printTable, writeResult } from './lib/report.js';

/**
 * Mean over queries (≥ 2 candidates with a p(yes)) of the normalised entropy of the target
 * weight(p(yes)) / Σ weight: exp(logit p) = p / (1 − p) is the softmax of the log-odds.
 */
function meanEntropy(examples: readonly TrainingExample[], weight: (p: number) => number): number {
  const byQuery = new Map<string, number[]>();
  for (const e of examples)
    if (e.pYes !== null) byQuery.set(e.queryId, [...(byQuery.get(e.queryId) ?? []), weight(e.pYes)]);
  const values = [...byQuery.values()]
    .filter((w) => w.length >= 2)
    .map((w) => {
      const total = w.reduce((a, b) => a + b, 0);
      const h = w.reduce((a, x) => (x > 0 ? a - (x / total) * Math.log(x / total) : a), 0);
      return h / Math.log(w.length);
    });
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function main(): Promise<void> {
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const folders: Record<string, string> = {
    cranfield: join(sharedDir(), 'data', 'cranfield'),
    'dbpedia-entity-subset': join(sharedDir(), 'data', 'dbpedia-entity-subset'),
    jobs: demo.folder,
  };
  const rows: Record<string, string | number>[] = [];
  for (const set of committedLabelSets()) {
    const folder = folders[set.name];
    if (!folder) continue;
    const collection = await loadBeirCollection(folder, {});
    const examples = await readTrainingJsonl(set.file);
    const relevant = examples.map((e) => (collection.qrels.get(e.queryId)?.get(e.docId) ?? 0) > 0);
    const of = (scores: number[]) => auc(scores, relevant) ?? Number.NaN;
    const pYes = examples.map((e) => e.pYes).filter((p): p is number => p !== null);
    rows.push({
      set: set.name,
      pairs: examples.length,
      'human relevant': relevant.filter(Boolean).length,
      'AUC grade_normalized': of(examples.map((e) => e.gradeNormalized)),
      'AUC p(yes)': of(examples.map((e) => e.pYes ?? Number.NaN)),
      'AUC shortness (baseline)': of(examples.map((e) => -(e.title.length + e.text.length))),
      'p(yes) p10': percentile(pYes, 10),
      'p(yes) p90': percentile(pYes, 90),
      // How flat a listwise target over each query's candidates is (1 = uniform): p(yes) divided by its
      // sum, against the softmax of its log-odds (the trainer's teacherScores 'logit').
      'entropy p/Σp': meanEntropy(examples, (p) => p),
      'entropy softmax(logit p)': meanEntropy(examples, (p) => p / (1 - p)),
    });
  }
  printTable(rows, 3);
  console.log(`wrote ${writeResult('label-targets', { machine: machineInfo(), rows })}`);
}

await main();
