// Question: which way of combining the title and text fields should sift's BM25 use by default?
//
// On every collection with both fields (cranfield, the dbpedia-entity subset, the generated job corpus),
// one sift index is scored with each field combination — best-fields + tie-breaker 0.5 (BEIR's
// Elasticsearch baseline), most-fields (sum), BM25F (per-field length normalisation, one saturation) and
// flat (one concatenated field, Anserini's BEIR convention) — next to wink-bm25-text-search with title and
// text weighted 1:1 as the independent baseline. Every judged query runs to depth 1,000. The default is
// picked by its worst case: the largest NDCG@10 shortfall against the best combination on any collection
// ("regret"), with paired randomisation tests against best-fields.
//
//   npm run build && node dist/bench/bm25-fields.js [--jobs 100000]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wink from 'wink-bm25-text-search';
import winkNlp from 'wink-nlp-utils';
import { generateJobPostings, generateJobQueries } from '../src/demo/index.js';
import {
  type EvalResult,
  evaluateRun,
  perQueryScores,
  type Run,
  randomisationTest,
} from '../src/eval/index.js';
import { SiftIndex } from '../src/index/index.js';
import { type Doc, loadBeirCollection, type Qrels, type Query, readBeirCorpus } from '../src/ingest/index.js';
import { Bm25Retriever, type FieldCombination } from '../src/retrieve/index.js';
import { sharedDir } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, writeResult } from './lib/report.js';

const COMBINATIONS: readonly FieldCombination[] = ['best-fields', 'most-fields', 'bm25f', 'flat'];
const BASELINE = 'best-fields';
const DEPTH = 1000;

interface Workload {
  name: string;
  docs: Doc[];
  queries: Query[];
  qrels: Qrels;
}

async function beirWorkload(folder: string): Promise<Workload> {
  const collection = await loadBeirCollection(folder);
  const docs: Doc[] = [];
  for await (const doc of readBeirCorpus(collection.corpusPath)) docs.push(doc);
  const queries = collection.queries.filter((query) => collection.qrels.has(query.id));
  return { name: collection.name, docs, queries, qrels: collection.qrels };
}

function jobsWorkload(count: number): Workload {
  const docs = generateJobPostings({ seed: 7, count });
  const { queries, qrels } = generateJobQueries({ seed: 7, count: 200, postings: docs });
  return { name: `jobs-${count / 1000}k`, docs, queries, qrels };
}

function winkRun(workload: Workload): Run {
  const engine = wink();
  engine.defineConfig({ fldWeights: { title: 1, text: 1 } });
  engine.definePrepTasks([
    winkNlp.string.lowerCase!,
    winkNlp.string.removeExtraSpaces!,
    winkNlp.string.tokenize0!,
    winkNlp.tokens.removeWords!,
    winkNlp.tokens.stem!,
  ]);
  for (const doc of workload.docs) engine.addDoc({ title: doc.title, text: doc.text }, doc.id);
  engine.consolidate();
  const run: Run = new Map();
  for (const query of workload.queries)
    run.set(
      query.id,
      engine.search(query.text, DEPTH).map(([docId, score]) => ({ docId, score })),
    );
  return run;
}

interface Row {
  collection: string;
  system: string;
  result: EvalResult;
}

async function measure(workload: Workload): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sift-bench-fields-'));
  try {
    const index = SiftIndex.create(dir);
    for (const doc of workload.docs) index.add(doc);
    const rows: Row[] = [];
    for (const combination of COMBINATIONS) {
      const retriever = new Bm25Retriever(index, { combination });
      const run: Run = new Map();
      for (const query of workload.queries)
        run.set(
          query.id,
          retriever
            .searchSync({ query: query.text, k: DEPTH })
            .map((hit) => ({ docId: hit.id, score: hit.score })),
        );
      rows.push({ collection: workload.name, system: combination, result: evaluateRun(run, workload.qrels) });
    }
    rows.push({
      collection: workload.name,
      system: 'wink-bm25 (1:1)',
      result: evaluateRun(winkRun(workload), workload.qrels),
    });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const jobs = positiveIntArg('--jobs', 100_000);
  const shared = sharedDir();
  const loads: Array<() => Promise<Workload>> = [
    () => beirWorkload(join(shared, 'data', 'cranfield')),
    () => beirWorkload(join(shared, 'data', 'dbpedia-entity-subset')),
    async () => jobsWorkload(jobs),
  ];
  const rows: Row[] = [];
  for (const load of loads) {
    const workload = await load();
    console.error(`${workload.name}: ${workload.docs.length} docs, ${workload.queries.length} queries`);
    rows.push(...(await measure(workload)));
    global.gc?.();
  }

  const collections = [...new Set(rows.map((r) => r.collection))];
  const ndcg = (r: Row) => r.result.metrics['ndcg@10']!;
  const bestOn = (collection: string) =>
    Math.max(
      ...rows
        .filter((r) => r.collection === collection && COMBINATIONS.includes(r.system as FieldCombination))
        .map(ndcg),
    );
  const table = rows.map((r) => {
    const baseline = rows.find((b) => b.collection === r.collection && b.system === BASELINE)!;
    const test = randomisationTest(
      perQueryScores(r.result, 'ndcg@10'),
      perQueryScores(baseline.result, 'ndcg@10'),
    );
    return {
      collection: r.collection,
      system: r.system,
      'ndcg@10': ndcg(r),
      'recall@100': r.result.metrics['recall@100']!,
      'Δ vs best-fields': ndcg(r) - ndcg(baseline),
      'p (rand.)': test.pValue,
      regret: bestOn(r.collection) - ndcg(r),
    };
  });
  const summary = COMBINATIONS.map((system) => {
    const mine = table.filter((r) => r.system === system);
    return {
      system,
      'worst regret': Math.max(...mine.map((r) => r.regret)),
      'mean ndcg@10': mine.reduce((s, r) => s + r['ndcg@10'], 0) / mine.length,
      'worst Δ vs best-fields': Math.min(...mine.map((r) => r['Δ vs best-fields'])),
      ...Object.fromEntries(collections.map((c) => [c, mine.find((r) => r.collection === c)!['ndcg@10']])),
    };
  }).sort((a, b) => a['worst regret'] - b['worst regret']);

  console.log(`\nBM25 field combinations, depth ${DEPTH} (${machineInfo().cpu}, Node ${process.version})\n`);
  printTable(table, 4);
  console.log(
    '\nRobustness (regret = best combination on that collection − this one, NDCG@10; lower is better)\n',
  );
  printTable(summary, 4);
  console.log(`\nmost robust: ${summary[0]!.system}`);
  writeResult('bm25-fields', {
    question: 'which BM25 field combination is most robust across collections (worst-case NDCG@10 regret)',
    rows: table,
    summary,
    chosen: summary[0]!.system,
  });
}

await main();
