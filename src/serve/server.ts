// Starts the service: opens (or, for the synthetic job corpus, builds) the index, embeds documents that
// lack vectors, starts the engine thread, the embedding worker and the ranker workers, listens, then
// pulls and builds the configured rankers (/healthz turns 200 once they are ready; /livez answers from
// the start). Closing drains it: new requests get 503, in-flight ones finish, pending writes are
// committed, then the threads stop.
//
// Threads: the HTTP thread only parses, validates, queues and answers; the engine thread owns the index
// (BM25, exact kNN, commits); the embedding worker holds the embedder's session and the ranker workers
// the rankers', each running the batches the dynamic batchers send them.

import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SiftError } from '../errors.js';
import { embedDocuments, SiftIndex, SummaryFile } from '../index/index.js';
import { openEmbedder } from '../models/index.js';
import { listRankers, resolveRanker } from '../rank/index.js';
import {
  Bm25Retriever,
  composeRetriever,
  DenseRetriever,
  ExactKnn,
  RETRIEVAL_MODES,
} from '../retrieve/index.js';
import { openCollection } from '../search/index.js';
import { siftPaths } from '../util/index.js';
import { createApp } from './app.js';
import type { ServeConfig } from './config.js';
import { DemoReranker } from './demo-reranker.js';
import { DepthController } from './depth-controller.js';
import { EngineClient } from './engine-client.js';
import { evaluationDir, readEvaluations, writeEvaluations } from './evaluation.js';
import { ServeMetrics } from './metrics.js';
import { ModelPool } from './model-pool.js';
import { loadPage } from './page.js';
import { RankerReadiness } from './ranker-readiness.js';
import { SearchService } from './search-service.js';

/** The Weaviate URL that --backend weaviate needs (one collection holds terms and vectors: an embedder too). */
function weaviateUrl(config: ServeConfig): string {
  if (!config.url) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      '--backend weaviate needs --url (the REST URL of a Weaviate node)',
      {
        field: 'url',
      },
    );
  }
  if (config.embedder === 'none') {
    throw new SiftError('E_BAD_ARGUMENT', '--backend weaviate needs an embedder (not --embedder none)', {
      field: 'embedder',
    });
  }
  return config.url;
}

/**
 * Makes (or finds, when an identical one is on disk) the synthetic collection that is served when no index
 * is named: a BEIR folder of `docs` documents under `root`. The CLI hands in demo/'s `ensureDemoCollection`,
 * so the service never imports the generator.
 */
export type DemoCollectionProvider = (options: {
  root: string;
  docs: number;
}) => Promise<{ folder: string; generated: boolean }>;

export interface StartOptions {
  /** Status lines (building, embedding, listening); progress bars go to stderr. Default: stderr. */
  log?: (line: string) => void;
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The synthetic collection to serve when the config names no index (required then). */
  demoCollection?: DemoCollectionProvider;
}

export interface RunningServer {
  url: string;
  indexName: string;
  indexDir: string;
  metrics: ServeMetrics;
  /**
   * Settles once every configured ranker is built or has failed: true when all are ready (/healthz is
   * 200 from then), false when one failed (see /v1/info; /healthz stays 503).
   */
  ready: Promise<boolean>;
  /** Graceful: stop accepting, finish in-flight requests, commit pending writes, stop the threads. */
  close(): Promise<void>;
}

export async function startServer(config: ServeConfig, options: StartOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const quiet = options.quiet ?? false;
  const home = siftPaths(env).home;

  // Settings that cannot work fail before any work: a Weaviate backend without its URL or an embedder.
  const backend = config.backend === 'weaviate' ? { weaviate: weaviateUrl(config) } : 'local';
  const rankers = await rankerModuleFace(config.rankerModule);
  // An unknown configured ranker fails the start, as any bad setting does; a failed load does not.
  for (const ref of config.rankers) rankers.resolve(ref);
  const prepared = await prepareIndex(config, home, log, quiet, options.demoCollection);
  const metrics = new ServeMetrics();
  const engine = await EngineClient.start({
    indexDir: prepared.dir,
    embedder: prepared.embedderId,
    knnThreads: config.knnThreads,
    knnBatch: config.knnBatch,
    backend,
    // Enough searches in flight for the engine to batch their kNN scans; at least 2, so one can be
    // prepared while the other is scanned.
    concurrency: Math.max(2, config.knnBatch),
    maxQueue: config.maxQueue,
  });
  const rankerModule = config.rankerModule ? pathToFileURL(resolve(config.rankerModule)).href : undefined;
  const workerData = { home, threads: config.modelThreads, rankerModule, chunkMs: config.rankChunkMs };
  let embedPool: ModelPool | undefined;
  let rankPool: ModelPool;
  try {
    // The embedding worker is apart from the ranker workers, so a long rerank never delays a search's
    // query embedding.
    embedPool =
      prepared.embedderId === undefined
        ? undefined
        : await ModelPool.start({ size: 1, embedder: config.embedder, ...workerData });
    rankPool = await ModelPool.start({
      size: config.workers,
      embedder: undefined,
      ...workerData,
      nice: config.rankNice,
    });
  } catch (error) {
    await Promise.all([engine.close(), embedPool?.close()]);
    throw error;
  }
  const closePools = () => Promise.all([embedPool?.close(), rankPool.close()]);
  let demoReranker: DemoReranker | undefined;
  // "default" names the demo's trained reranker once it is ready (with its variant: "default:int8").
  const resolveRef = (ref: string): string => {
    const demoId = demoReranker?.readyId;
    if (demoId && (ref === 'default' || ref.startsWith('default:')))
      return rankers.resolve(`${demoId}${ref.slice('default'.length)}`);
    return rankers.resolve(ref);
  };
  const readiness = new RankerReadiness({
    resolve: resolveRef,
    list: rankers.list,
    load: (id) => rankPool.loadRanker(id),
    log,
    retryAfterSeconds: Math.max(config.retryAfterSeconds, 5),
  });
  const depthController = new DepthController({
    floor: config.rerankDepthFloor,
    ceiling: config.rerankDepth,
    workers: rankPool.size,
  });
  let summaries: SummaryFile | undefined;
  if (config.rerankSummaries > 0) {
    summaries = await SummaryFile.open(prepared.dir, {
      method: 'extractive',
      budget: config.rerankSummaries,
    });
    log(
      `rankers read ${config.rerankSummaries}-token summaries: ${summaries.size} stored (a document without an up-to-date one is read in full; make them with sift compress summaries --index ${engine.info.name} --budget ${config.rerankSummaries})`,
    );
  }
  const service = new SearchService(
    engine,
    { embed: embedPool, rank: rankPool },
    metrics,
    config,
    prepared.embedderId,
    depthController,
    summaries,
  );
  // The demo's own reranker, with sift's rankers only (a --ranker-module need not know trained models).
  if (prepared.demo && config.demoTrain !== 'off' && config.rankerModule === undefined) {
    demoReranker = new DemoReranker({
      home,
      maxSteps: config.demoTrain === 'all' ? undefined : config.demoTrain,
      // Training takes only what serving leaves, as reranking does (rankNice's default).
      nice: 19,
      evaluation: {
        folder: prepared.demo.folder,
        indexesRoot: join(home, 'indexes'),
        mode: prepared.embedderId === undefined ? 'bm25' : 'hybrid',
        embedder: prepared.embedderId === undefined ? undefined : config.embedder,
        depth: config.rerankDepth,
        reportsDir: evaluationDir(home, engine.info.name),
      },
      load: (id) => readiness.ensure(id),
      log,
    });
  }
  const defaultRanker = (): string | undefined => {
    try {
      return resolveRef('default');
    } catch {
      return undefined;
    }
  };
  const { app, drain } = await createApp({
    config,
    service,
    metrics,
    page: await loadPage(),
    evaluationDir: evaluationDir(home, engine.info.name),
    readiness,
    defaultRanker,
    demoReranker: demoReranker ? () => demoReranker!.status() : undefined,
    depthController,
    apiKey: env.SIFT_API_KEY || undefined,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await Promise.all([engine.close(), closePools(), demoReranker?.close()]);
    throw new SiftError(
      'E_LISTEN',
      `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
      { field: 'port' },
      { cause: error },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  // With the demo's reranker already trained, "default" names it once it loads: load it first rather than
  // build the ranker "default" names before it. Without it, the service gets ready first and trains after,
  // so training never slows the start.
  const ready = (demoReranker?.loadsFirst ? demoReranker.start() : Promise.resolve())
    .then(() => readiness.prepare(config.rankers))
    .then(() => {
      void demoReranker?.start();
    })
    .then(() => readiness.allReady);
  return {
    url: `http://${host}:${port}/`,
    indexName: engine.info.name,
    indexDir: prepared.dir,
    metrics,
    ready,
    close: () => {
      closing ??= (async () => {
        drain();
        await demoReranker?.close();
        await app.close();
        await engine.close();
        await closePools();
        metrics.close();
      })();
      return closing;
    },
  };
}

/** Resolves the index to serve, building the demo corpus when none is named, and embeds what lacks vectors. */
async function prepareIndex(
  config: ServeConfig,
  home: string,
  log: (line: string) => void,
  quiet: boolean,
  demoCollection: DemoCollectionProvider | undefined,
): Promise<{ dir: string; embedderId: string | undefined; demo: { folder: string } | undefined }> {
  let index: SiftIndex;
  let demo: Awaited<ReturnType<typeof openCollection>> | undefined;
  if (config.index !== undefined) {
    index = await SiftIndex.open(await resolveIndexDir(config.index, home));
  } else {
    if (demoCollection === undefined) {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        'no index to serve: name one (--index), or start with a demo collection',
      );
    }
    const collection = await demoCollection({ root: join(home, 'collections'), docs: config.demoDocs });
    log(
      `${collection.generated ? 'generated' : 'reusing'} ${config.demoDocs} synthetic job postings in ${collection.folder}`,
    );
    demo = await openCollection(collection.folder, join(home, 'indexes'), quiet);
    log(`${demo.built ? 'built' : 'reusing'} index ${demo.index.name} (${demo.seconds.toFixed(1)} s)`);
    index = demo.index;
  }
  const bm25 = new Bm25Retriever(index);
  const evalDir = evaluationDir(home, index.name);
  const wantEval = demo !== undefined && (demo.built || (await readEvaluations(evalDir)).length === 0);
  if (config.embedder === 'none') {
    if (demo && wantEval) await writeEvaluations(evalDir, demo.collection, [bm25]);
    return { dir: index.dir, embedderId: undefined, demo: demo && { folder: demo.collection.folder } };
  }
  const encoder = await openEmbedder(config.embedder, { quiet, home });
  try {
    const embedded = await embedDocuments(index, encoder, { quiet });
    if (embedded.embedded > 0)
      log(`embedded ${embedded.embedded} documents with ${encoder.id} (${embedded.seconds.toFixed(1)} s)`);
    if (demo && (wantEval || embedded.embedded > 0)) {
      const knn = new ExactKnn(embedded.store);
      const dense = new DenseRetriever(index.docs, encoder, knn);
      log(`evaluating bm25, dense and hybrid on the corpus's judged queries → ${evalDir}`);
      const modes = RETRIEVAL_MODES.map((mode) => composeRetriever(mode, { lexical: bm25, dense }));
      await writeEvaluations(evalDir, demo.collection, modes);
      await knn.release();
    }
    return { dir: index.dir, embedderId: encoder.id, demo: demo && { folder: demo.collection.folder } };
  } finally {
    await encoder.release();
  }
}

async function resolveIndexDir(arg: string, home: string): Promise<string> {
  for (const dir of [resolve(arg), join(home, 'indexes', arg)]) {
    if (await SiftIndex.exists(dir)) return dir;
  }
  const exists = await stat(arg).then(
    () => true,
    () => false,
  );
  throw new SiftError(
    'E_INDEX_NOT_FOUND',
    `no index "${arg}" (${exists ? 'that folder holds no sift index' : `looked in ${resolve(arg)} and ${join(home, 'indexes', arg)}`}); build one with \`sift index <collection>\``,
    { file: arg },
  );
}

/**
 * What the HTTP thread needs of the ranker module (sift's rank stage, or --ranker-module): the ids to
 * list and how a reference resolves to its canonical id, without opening any model.
 */
async function rankerModuleFace(
  module: string | undefined,
): Promise<{ list: () => string[]; resolve: (ref: string) => string }> {
  if (!module) return { list: listRankers, resolve: resolveRanker };
  const loaded = (await import(pathToFileURL(resolve(module)).href)) as {
    listRankers?: () => string[];
    resolveRanker?: (ref: string) => string;
  };
  return { list: loaded.listRankers ?? (() => []), resolve: loaded.resolveRanker ?? ((ref) => ref) };
}
