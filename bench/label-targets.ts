// Question: which of the judge's signals in the committed label sets keeps the order of the human
// labels, i.e. which is the better training target for a ranking student? For each set, on its pairs
// (human grade from the collection's qrels, unjudged = 0, as TREC counts them), the AUC of separating
// human-relevant from not by: the calibrated normalised grade (`grade_normalized`, the export's default
// target) and the judge's own p(yes) (`scores.pYes`). Baseline in the same run: the AUC of a document's
// shortness (a signal with no relevance knowledge; ≈ 0.5).
//
//   npm run build && node dist/bench/label-targets.js
// Results: bench/results/label-targets.json.

import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import { loadBeirCollection } from '../src/ingest/index.js';
import { auc } from '../src/judge/index.js';
import { committedLabelSets, readTrainingJsonl } from '../src/train/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { machineInfo, printTable, writeResult } from './lib/report.js';

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
    rows.push({
      set: set.name,
      pairs: examples.length,
      'human relevant': relevant.filter(Boolean).length,
      'AUC grade_normalized': of(examples.map((e) => e.gradeNormalized)),
      'AUC p(yes)': of(examples.map((e) => e.pYes ?? Number.NaN)),
      'AUC shortness (baseline)': of(examples.map((e) => -(e.title.length + e.text.length))),
    });
  }
  printTable(rows, 3);
  console.log(`wrote ${writeResult('label-targets', { machine: machineInfo(), rows })}`);
}

await main();
