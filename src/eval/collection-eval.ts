// Evaluates a retrieval configuration on a BEIR collection: index it (cached), run every judged
// query, and score the run. This is what `sift eval --collection` and the quality benchmarks call.

import { join } from 'node:path';
import { buildIndex, countLines } from '../index/build.js';
import type { SiftIndex } from '../index/sift-index.js';
import { type BeirCollection, loadBeirCollection, readBeirCorpus } from '../ingest/index.js';
import type { Bm25Params } from '../retrieve/bm25.js';
import type { FusionMethod } from '../retrieve/fusion.js';
import type { Retriever } from '../retrieve/retriever.js';
import { openRetriever, type RetrievalMode } from '../search/index.js';
import { ProgressBar } from '../util/progress.js';
import { type EvalResult, evaluateRun } from './metrics.js';
import type { Run } from './run.js';

export interface CollectionEvalOptions {
  mode: RetrievalMode;
  /** Folder that holds cached indexes (one per collection). */
  indexesRoot: string;
  /** Ranked list depth per query; 1,000 as in TREC runs, so Recall@100 and MAP are well defined. */
  depth?: number;
  bm25?: Partial<Bm25Params>;
  /** Embedder for dense and hybrid modes (default: sift's default embedder). */
  embedder?: string;
  fusion?: FusionMethod;
  quiet?: boolean;
}

export interface CollectionEvalOutcome {
  collection: BeirCollection;
  index: SiftIndex;
  run: Run;
  result: EvalResult;
  timings: { indexSeconds: number; indexBuilt: boolean; embedSeconds: number; searchSeconds: number };
}

/** Loads a collection and opens (or builds) its cached index. */
export async function openCollection(
  folder: string,
  indexesRoot: string,
  quiet = false,
): Promise<{ collection: BeirCollection; index: SiftIndex; seconds: number; built: boolean }> {
  const collection = await loadBeirCollection(folder);
  const built = await buildIndex(
    {
      path: collection.corpusPath,
      read: (options) => readBeirCorpus(collection.corpusPath, options),
      estimatedCount: await countLines(collection.corpusPath),
    },
    { dir: join(indexesRoot, collection.name), name: collection.name, quiet },
  );
  return { collection, index: built.index, seconds: built.seconds, built: built.built };
}

/** Runs the judged queries of a collection through a retriever. */
export async function runJudgedQueries(
  collection: BeirCollection,
  retriever: Retriever,
  depth: number,
  quiet = false,
): Promise<Run> {
  const judged = collection.queries.filter((query) => collection.qrels.has(query.id));
  const progress = new ProgressBar({
    label: `searching (${retriever.name})`,
    total: judged.length,
    unit: 'queries',
    quiet,
  });
  const run: Run = new Map();
  for (const query of judged) {
    const hits = await retriever.search({ query: query.text, k: depth });
    run.set(
      query.id,
      hits.map((hit) => ({ docId: hit.id, score: hit.score })),
    );
    progress.tick();
  }
  progress.finish();
  return run;
}

export async function evaluateCollection(
  folder: string,
  options: CollectionEvalOptions,
): Promise<CollectionEvalOutcome> {
  const quiet = options.quiet ?? false;
  const opened = await openCollection(folder, options.indexesRoot, quiet);
  const { retriever, embedSeconds, release } = await openRetriever(opened.index, {
    mode: options.mode,
    quiet,
    ...(options.bm25 ? { bm25: options.bm25 } : {}),
    ...(options.embedder ? { embedder: options.embedder } : {}),
    ...(options.fusion ? { fusion: options.fusion } : {}),
  });
  try {
    const started = performance.now();
    const run = await runJudgedQueries(opened.collection, retriever, options.depth ?? 1000, quiet);
    const searchSeconds = (performance.now() - started) / 1000;
    return {
      collection: opened.collection,
      index: opened.index,
      run,
      result: evaluateRun(run, opened.collection.qrels),
      timings: { indexSeconds: opened.seconds, indexBuilt: opened.built, embedSeconds, searchSeconds },
    };
  } finally {
    await release();
  }
}
