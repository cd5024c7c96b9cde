// Question: is sift's BM25 at least as good and as fast as the BM25 libraries a TypeScript user would pick?
//
// For each collection it builds sift, MiniSearch (as documented: default tokenizer, and again with Porter
// stemming and Lucene stop words, its README's recipe) and wink-bm25-text-search (its README's prep
// pipeline), runs every judged query to depth 1,000 with each, and reports NDCG@10 / Recall@100 / MRR@10 /
// MAP, index build time, index size and query latency p50/p99, with ratios against sift.
//
//   npm run build && node dist/bench/bm25.js [--jobs 100000] [--skip-jobs]

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import wink from 'wink-bm25-text-search';
import winkNlp from 'wink-nlp-utils';
import { LUCENE_ENGLISH_STOP_WORDS } from '../src/analysis/index.js';
import { generateJobPostings, generateJobQueries } from '../src/demo/index.js';
import { type EvalResult, evaluateRun, type Run } from '../src/eval/index.js';
import { LEXICAL_FORMAT, LEXICAL_FORMAT_VERSION, readContainer, SiftIndex } from '../src/index/index.js';
import { type Doc, loadBeirCollection, type Qrels, type Query, readBeirCorpus } from '../src/ingest/index.js';
import { Bm25Retriever } from '../src/retrieve/index.js';
import { sharedDir } from '../src/util/index.js';
import { machineInfo, percentile, printTable, writeResult } from './lib/report.js';

interface Engine {
  name: string;
  build(docs: readonly Doc[]): Promise<void>;
  /** Bytes of the engine's own persisted form. */
  sizeBytes(): Promise<number>;
  /** Bytes of the search structures alone, without stored document text (sift stores it; the others do not). */
  indexBytes?(): Promise<number>;
  search(query: string, k: number): Array<{ docId: string; score: number }>;
  close?(): void;
}

function siftEngine(): Engine {
  const dir = mkdtempSync(join(tmpdir(), 'sift-bench-'));
  let retriever: Bm25Retriever | undefined;
  let index: SiftIndex | undefined;
  const lexicalFile = () => join(dir, `gen-${String(index!.generation).padStart(6, '0')}`, 'lexical.sidx');
  return {
    name: 'sift',
    async build(docs) {
      index = SiftIndex.create(dir);
      for (const doc of docs) index.add(doc);
      await index.commit();
      retriever = new Bm25Retriever(index);
    },
    async sizeBytes() {
      return statSync(lexicalFile()).size;
    },
    async indexBytes() {
      const container = await readContainer(lexicalFile(), LEXICAL_FORMAT, [LEXICAL_FORMAT_VERSION]);
      return container.header.sections
        .filter((section) => !section.name.startsWith('doc.'))
        .reduce((sum, section) => sum + section.length, 0);
    },
    search(query, k) {
      return retriever!.searchSync({ query, k }).map((hit) => ({ docId: hit.id, score: hit.score }));
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function miniSearchEngine(stemmed: boolean): Engine {
  let mini: MiniSearch<Doc> | undefined;
  const processTerm = stemmed
    ? (term: string) =>
        LUCENE_ENGLISH_STOP_WORDS.has(term.toLowerCase()) ? null : stemmer(term.toLowerCase())
    : undefined;
  return {
    name: stemmed ? 'minisearch+porter' : 'minisearch',
    async build(docs) {
      mini = new MiniSearch<Doc>({ fields: ['title', 'text'], ...(processTerm ? { processTerm } : {}) });
      mini.addAll(docs);
    },
    async sizeBytes() {
      return Buffer.byteLength(JSON.stringify(mini!));
    },
    search(query, k) {
      return mini!
        .search(query)
        .slice(0, k)
        .map((result) => ({ docId: String(result.id), score: result.score }));
    },
  };
}

function winkEngine(): Engine {
  const engine = wink();
  return {
    name: 'wink-bm25',
    async build(docs) {
      engine.defineConfig({ fldWeights: { title: 1, text: 1 } });
      engine.definePrepTasks([
        winkNlp.string.lowerCase!,
        winkNlp.string.removeExtraSpaces!,
        winkNlp.string.tokenize0!,
        winkNlp.tokens.removeWords!,
        winkNlp.tokens.stem!,
      ]);
      for (const doc of docs) engine.addDoc({ title: doc.title, text: doc.text }, doc.id);
      engine.consolidate();
    },
    async sizeBytes() {
      return Buffer.byteLength(engine.exportJSON());
    },
    search(query, k) {
      return engine.search(query, k).map(([docId, score]) => ({ docId, score }));
    },
  };
}

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

interface Measurement {
  collection: string;
  engine: string;
  docs: number;
  queries: number;
  buildSeconds: number;
  sizeMB: number;
  indexMB: number;
  p50Ms: number;
  p99Ms: number;
  metrics: EvalResult['metrics'];
}

async function measure(workload: Workload, engine: Engine): Promise<Measurement> {
  const started = performance.now();
  await engine.build(workload.docs);
  const buildSeconds = (performance.now() - started) / 1000;
  const sizeMB = (await engine.sizeBytes()) / 1e6;
  const indexMB = engine.indexBytes ? (await engine.indexBytes()) / 1e6 : sizeMB;
  // One warm-up pass (JIT, caches), then a timed pass whose results are evaluated.
  for (const query of workload.queries.slice(0, 20)) engine.search(query.text, 1000);
  const latencies: number[] = [];
  const run: Run = new Map();
  for (const query of workload.queries) {
    const t0 = performance.now();
    const hits = engine.search(query.text, 1000);
    latencies.push(performance.now() - t0);
    run.set(query.id, hits);
  }
  engine.close?.();
  return {
    collection: workload.name,
    engine: engine.name,
    docs: workload.docs.length,
    queries: workload.queries.length,
    buildSeconds,
    sizeMB,
    indexMB,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    metrics: evaluateRun(run, workload.qrels).metrics,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jobsCount = args.includes('--skip-jobs')
    ? 0
    : Number(args[args.indexOf('--jobs') + 1] ?? 100_000) || 100_000;
  const shared = sharedDir();
  const workloads: Array<() => Promise<Workload>> = [
    () => beirWorkload(join(shared, 'data', 'cranfield')),
    () => beirWorkload(join(shared, 'data', 'dbpedia-entity-subset')),
  ];
  if (jobsCount > 0) workloads.push(async () => jobsWorkload(jobsCount));

  const measurements: Measurement[] = [];
  for (const load of workloads) {
    const workload = await load();
    console.error(`${workload.name}: ${workload.docs.length} docs, ${workload.queries.length} queries`);
    for (const makeEngine of [
      siftEngine,
      () => miniSearchEngine(false),
      () => miniSearchEngine(true),
      winkEngine,
    ]) {
      const engine = makeEngine();
      console.error(`  ${engine.name} …`);
      measurements.push(await measure(workload, engine));
      global.gc?.();
    }
  }

  const rows = measurements.map((m) => {
    const sift = measurements.find((other) => other.collection === m.collection && other.engine === 'sift')!;
    return {
      collection: m.collection,
      engine: m.engine,
      'ndcg@10': m.metrics['ndcg@10']!,
      'recall@100': m.metrics['recall@100']!,
      'mrr@10': m.metrics['mrr@10']!,
      map: m.metrics['map']!,
      'build s': m.buildSeconds,
      'size MB': m.sizeMB,
      'index MB': m.indexMB,
      'p50 ms': m.p50Ms,
      'p99 ms': m.p99Ms,
      'p50 vs sift': m.p50Ms / sift.p50Ms,
      'build vs sift': m.buildSeconds / sift.buildSeconds,
    };
  });
  console.log(`\nBM25 quality and speed, depth 1,000 (${machineInfo().cpu}, Node ${process.version})\n`);
  printTable(rows, 3);
  writeResult('bm25', { question: 'sift BM25 vs minisearch and wink-bm25-text-search', rows, measurements });
}

await main();
