// Evaluates a retrieval configuration on a BEIR collection: index it (cached), run every judged
// query, and score the run. This is what `sift eval --collection` and the quality benchmarks call.

import { join } from 'node:path';
import type { Run } from '../eval/index.js';
import { type EvalResult, evaluateRun } from '../eval/index.js';
import type { SiftIndex } from '../index/index.js';
import { buildIndex, countLines, SummaryFile, type SummaryVariant } from '../index/index.js';
import {
  type BeirCollection,
  inSplit,
  loadBeirCollection,
  type QuerySplit,
  readBeirCorpus,
} from '../ingest/index.js';
import {
  type OpenRankerOptions,
  openRanker,
  type RankCandidate,
  type Ranker,
  rerank,
} from '../rank/index.js';
import { connectWeaviate, type RemoteLayout } from '../remote/index.js';
import type { Bm25Params, FusionMethod, Hit, Retriever } from '../retrieve/index.js';
import { mulberry32, ProgressBar } from '../util/index.js';
import { candidateVectors } from './candidate-vectors.js';
import { type OpenedRemoteRetriever, openRemoteRetriever } from './open-remote-retriever.js';
import { type OpenedRetriever, openRetriever, type RetrievalMode } from './open-retriever.js';

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
  /** Rerank each query's top `rerankDepth` with this ranker ("default", "<id>", "<id>:int8"). */
  rerank?: string;
  /** First-stage hits the ranker re-scores. Default 100. */
  rerankDepth?: number;
  /** Overrides of the ranker's truncation and batching (decoder rankers), e.g. one document length for all. */
  rerankTuning?: OpenRankerOptions['tuning'];
  /**
   * The ranker reads these summaries (`sift compress summaries`) instead of the full text; a document
   * without an up-to-date summary falls back to its full text (cut by the ranker), and is counted.
   */
  rerankSummaries?: SummaryVariant;
  /** Evaluate a seeded random sample of this many judged queries (for slow rankers); default all. */
  maxQueries?: number;
  /**
   * Only the queries on this side of the fixed train/test split (src/ingest/query-split.ts); default all.
   * Learned rankers are evaluated on 'test': their label sets hold training queries only.
   */
  split?: QuerySplit | 'all';
  quiet?: boolean;
  /** Checked before each query: an aborted signal stops the run there (its reason is thrown). */
  signal?: AbortSignal;
  /** Retrieve from a remote backend instead of the local index (which still analyses and embeds). */
  remote?: { backend: 'weaviate'; url: string; layout?: Partial<RemoteLayout>; collection?: string };
}

export interface CollectionEvalOutcome {
  collection: BeirCollection;
  index: SiftIndex;
  run: Run;
  result: EvalResult;
  timings: {
    indexSeconds: number;
    indexBuilt: boolean;
    embedSeconds: number;
    searchSeconds: number;
    /** Seconds importing into the remote backend, and documents imported (with `remote`). */
    importSeconds?: number;
    imported?: number;
    /** Seconds in the ranker, and items it scored (when reranking). */
    rankSeconds?: number;
    rankedItems?: number;
    /** With rerankSummaries: candidates the ranker read as summaries, and those that fell back to full text. */
    summaries?: { used: number; fallback: number };
  };
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
  second?: SecondStage,
  maxQueries?: number,
  signal?: AbortSignal,
): Promise<Run> {
  let judged = collection.queries.filter((query) => collection.qrels.has(query.id));
  if (maxQueries !== undefined) judged = sampleQueries(judged, maxQueries);
  const progress = new ProgressBar({
    label: `searching (${retriever.name}${second ? ` → ${second.ranker.id}` : ''})`,
    total: judged.length,
    unit: 'queries',
    quiet,
  });
  const run: Run = new Map();
  for (const query of judged) {
    signal?.throwIfAborted();
    let hits: Hit[] = await retriever.search({ query: query.text, k: depth });
    if (second) {
      const outcome = await rerank(query.text, hits, second.ranker, second.candidateOf, {
        topN: second.depth,
      });
      hits = outcome.hits;
      second.rankMs += outcome.rankMs;
      second.items += Math.min(second.depth, outcome.hits.length);
    }
    run.set(
      query.id,
      hits.map((hit) => ({ docId: hit.id, score: hit.score })),
    );
    progress.tick();
  }
  progress.finish();
  return run;
}

/** What reranks a first stage's hits during a collection run, and what it cost. */
export interface SecondStage {
  ranker: Ranker;
  depth: number;
  candidateOf: (hit: Hit) => RankCandidate;
  rankMs: number;
  items: number;
}

/** A seeded sample of `n` queries, in their original order (the same sample on every run). */
function sampleQueries<T>(queries: readonly T[], n: number): T[] {
  if (n >= queries.length) return [...queries];
  const random = mulberry32(0x5eed);
  const order = queries.map((_, i) => ({ i, key: random() }));
  order.sort((a, b) => a.key - b.key);
  const keep = new Set(order.slice(0, n).map((o) => o.i));
  return queries.filter((_, i) => keep.has(i));
}

export async function evaluateCollection(
  folder: string,
  options: CollectionEvalOptions,
): Promise<CollectionEvalOutcome> {
  const quiet = options.quiet ?? false;
  // A remote backend is reached first: an unreachable one fails before any work or any write.
  const connection = options.remote ? await connectWeaviate(options.remote.url) : undefined;
  let opened: Awaited<ReturnType<typeof openCollection>>;
  let first: OpenedRetriever | OpenedRemoteRetriever;
  try {
    opened = await openCollection(folder, options.indexesRoot, quiet);
    const retrieverOptions = {
      mode: options.mode,
      quiet,
      ...(options.bm25 ? { bm25: options.bm25 } : {}),
      ...(options.embedder ? { embedder: options.embedder } : {}),
      ...(options.fusion ? { fusion: options.fusion } : {}),
    };
    first = connection
      ? await openRemoteRetriever(connection, opened.index, {
          ...retrieverOptions,
          ...(options.remote?.layout ? { layout: options.remote.layout } : {}),
          ...(options.remote?.collection ? { collection: options.remote.collection } : {}),
        })
      : await openRetriever(opened.index, retrieverOptions);
  } catch (error) {
    await connection?.close();
    throw error;
  }
  const { retriever, embedSeconds } = first;
  const imported = 'imported' in first ? (first as OpenedRemoteRetriever).imported : undefined;
  const release = async () => {
    await first.release();
    await connection?.close();
  };
  const ranker = options.rerank
    ? await openRanker(options.rerank, {
        quiet,
        ...(options.rerankTuning ? { tuning: options.rerankTuning } : {}),
      })
    : undefined;
  const docs = opened.index.docs;
  const summaries =
    ranker && options.rerankSummaries
      ? await SummaryFile.open(opened.index.dir, options.rerankSummaries)
      : undefined;
  const summaryUse = summaries ? { used: 0, fallback: 0 } : undefined;
  let vectorOf: ReturnType<typeof candidateVectors>;
  try {
    vectorOf = ranker ? candidateVectors(opened.index, ranker) : undefined;
  } catch (error) {
    // An index without the ranker's vectors: nothing was run, and nothing stays open.
    await release();
    await ranker?.release();
    throw error;
  }
  const second: SecondStage | undefined = ranker
    ? {
        ranker,
        depth: options.rerankDepth ?? 100,
        candidateOf: (hit) => {
          const doc = docs.getById(hit.id);
          const title = doc?.title ?? '';
          let text = doc?.text ?? '';
          if (summaries && summaryUse && doc) {
            const summary = summaries.get(hit.id, doc);
            if (summary === undefined) summaryUse.fallback++;
            else {
              summaryUse.used++;
              text = summary;
            }
          }
          const vector = vectorOf?.(hit.id);
          return { id: hit.id, title, text, ...(vector ? { vector } : {}) };
        },
        rankMs: 0,
        items: 0,
      }
    : undefined;
  try {
    const started = performance.now();
    const queries = inSplit(opened.collection.queries, options.split ?? 'all', (query) => query.id);
    const run = await runJudgedQueries(
      { ...opened.collection, queries },
      retriever,
      options.depth ?? 1000,
      quiet,
      second,
      options.maxQueries,
      options.signal,
    );
    const searchSeconds = (performance.now() - started) / 1000;
    // Only the queries that were run count (a sample when maxQueries is set).
    const qrels = new Map([...opened.collection.qrels].filter(([id]) => run.has(id)));
    return {
      collection: opened.collection,
      index: opened.index,
      run,
      result: evaluateRun(run, qrels),
      timings: {
        indexSeconds: opened.seconds,
        indexBuilt: opened.built,
        embedSeconds,
        searchSeconds,
        ...(imported ? { importSeconds: imported.seconds, imported: imported.imported } : {}),
        ...(second ? { rankSeconds: second.rankMs / 1000, rankedItems: second.items } : {}),
        ...(summaryUse ? { summaries: summaryUse } : {}),
      },
    };
  } finally {
    await release();
    await ranker?.release();
  }
}
