// Question: does a ranker sift distilled from its judge's labels beat the first stage it reranks, on
// queries whose labels it never saw?
//
// For each collection (cranfield, dbpedia-entity-subset, and the demo job collection) and on its *test*
// queries only (the fixed hash split, src/ingest/query-split.ts; the committed label sets hold training
// queries only), it runs BM25, dense and hybrid (the default first stage, depth 1,000), then reranks
// hybrid's top 100 with each trained ranker. Reported per collection: NDCG@10 and Recall@100 (trec_eval
// conventions, human qrels), each ranker's difference from hybrid with the paired randomisation test
// of per-query NDCG@10, and the ranker's items/s in the same run. The floor a reranker must clear to
// have learned anything is printed too: hybrid's top 100 in a seeded random order (`--rankers none` for
// the baselines alone). Each ranker's model card (data and
// settings) goes into the JSON. Each reranker also gets a row fused with the first stage: its order of
// hybrid's top 100 and hybrid's own order of them, combined by reciprocal rank fusion (k = 60, as the
// first stage fuses BM25 and dense; nothing tuned), which is what a system that keeps the first stage's
// evidence would serve. It costs no extra scoring and is labelled as fusion, not as the ranker alone.
//
// Trained bi-encoders (`--embedders`, default sift-bi-minilm-l6 when it is trained here) replace the dense
// half: their dense and hybrid rows are compared with hybrid on the base embedder, in the same run.
//
// --max-queries N evaluates a fixed seeded sample of N test queries per collection (all by default);
// --depth N reranks hybrid's top N instead of 100 (the random-order floor uses the same N);
// --max-document-tokens N cuts every decoder ranker's documents at N tokens.
//
//   npm run build && bin/sift train --preset default && node dist/bench/distill.js [--rankers a,b] [--max-queries N]
//   node dist/bench/distill.js --rankers none --embedders sift-bi-minilm-l6 --name distill-bi-encoder
// Results: bench/results/distill.json (or <--name>.json).

import { evaluateRun, perQueryScores, type Run, randomisationTest } from '../src/eval/index.js';
import { installedTrainedKind, readTrainedModel } from '../src/models/index.js';
import { fuse } from '../src/retrieve/index.js';
import { type CollectionEvalOutcome, evaluateCollection } from '../src/search/index.js';
import { mulberry32, siftPaths } from '../src/util/index.js';
import { learnedRankerCollections } from './lib/learned-collections.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

// Hybrid's top N each ranker reorders (below it hybrid's order stays); 100 unless --depth says less, for
// rankers whose items cost a decoder's forward pass.
const RERANK_DEPTH = positiveIntArg('--depth', 100);
// --max-document-tokens N: every decoder ranker reads documents cut to N tokens (a base ranker and its
// trained student compared at one length); 0 keeps each ranker's own.
const MAX_DOCUMENT_TOKENS = positiveIntArg('--max-document-tokens', 0);

interface Row {
  collection: string;
  run: string;
  queries: number;
  'ndcg@10': number;
  'recall@100': number;
  'Δ ndcg@10 vs hybrid': number | string;
  p: number | string;
  'items/s': number | string;
}

async function main(): Promise<void> {
  const rankers = stringArg('--rankers', 'sift-ce-minilm-l6')
    .split(',')
    .filter((id) => id !== '' && id !== 'none');
  const embedders = stringArg(
    '--embedders',
    installedTrainedKind('sift-bi-minilm-l6') === 'bi-encoder' ? 'sift-bi-minilm-l6' : '',
  )
    .split(',')
    .filter((id) => id !== '' && id !== 'none');
  const maxQueries = positiveIntArg('--max-queries', 0);
  const folders = await learnedRankerCollections();
  const indexesRoot = siftPaths().indexes;
  const rows: Row[] = [];
  const cards: Record<string, unknown> = {};
  for (const model of [...rankers, ...embedders]) cards[model] = (await readTrainedModel(model)) ?? null;

  for (const folder of folders) {
    const evaluate = (mode: 'bm25' | 'dense' | 'hybrid', rerank?: string, embedder?: string) =>
      evaluateCollection(folder, {
        mode,
        indexesRoot,
        ...(embedder ? { embedder } : {}),
        split: 'test',
        ...(maxQueries > 0 ? { maxQueries } : {}),
        quiet: true,
        ...(rerank ? { rerank, rerankDepth: RERANK_DEPTH } : {}),
        ...(rerank && MAX_DOCUMENT_TOKENS > 0
          ? { rerankTuning: { maxDocumentTokens: MAX_DOCUMENT_TOKENS } }
          : {}),
      });
    const row = (name: string, outcome: CollectionEvalOutcome, base?: CollectionEvalOutcome): Row => {
      const { metrics, queries } = outcome.result;
      const { rankSeconds, rankedItems } = outcome.timings;
      let delta: number | string = '';
      let p: number | string = '';
      if (base) {
        const test = randomisationTest(
          perQueryScores(outcome.result, 'ndcg@10'),
          perQueryScores(base.result, 'ndcg@10'),
        );
        delta = test.meanDifference;
        p = test.pValue;
      }
      return {
        collection: outcome.collection.name,
        run: name,
        queries,
        'ndcg@10': metrics['ndcg@10']!,
        'recall@100': metrics['recall@100']!,
        'Δ ndcg@10 vs hybrid': delta,
        p,
        'items/s': rankSeconds && rankedItems ? rankedItems / rankSeconds : '',
      };
    };
    rows.push(row('bm25', await evaluate('bm25')));
    rows.push(row('dense', await evaluate('dense')));
    const hybrid = await evaluate('hybrid');
    rows.push(row('hybrid', hybrid));
    rows.push(row(`hybrid, top ${RERANK_DEPTH} in random order`, shuffledTop(hybrid), hybrid));
    for (const ranker of rankers) {
      const reranked = await evaluate('hybrid', ranker);
      rows.push(row(`hybrid → ${ranker}@${RERANK_DEPTH}`, reranked, hybrid));
      rows.push(
        row(`hybrid ⊕ ${ranker}@${RERANK_DEPTH} (RRF)`, fusedWithFirstStage(reranked, hybrid), hybrid),
      );
      console.error(`${reranked.collection.name}: ${ranker} done`);
    }
    for (const embedder of embedders) {
      rows.push(row(`dense (${embedder})`, await evaluate('dense', undefined, embedder), hybrid));
      rows.push(row(`hybrid (${embedder})`, await evaluate('hybrid', undefined, embedder), hybrid));
      console.error(`${hybrid.collection.name}: ${embedder} done`);
    }
  }
  printTable(rows as unknown as Record<string, string | number>[]);
  const file = writeResult(stringArg('--name', 'distill'), {
    machine: machineInfo(),
    split: 'test',
    rerankDepth: RERANK_DEPTH,
    maxDocumentTokens: MAX_DOCUMENT_TOKENS || null,
    embedders,
    rows,
    cards,
  });
  console.log(`wrote ${file}`);
}

/**
 * The reranked outcome with each query's top RERANK_DEPTH reordered by RRF of the ranker's order and the
 * first stage's order of the same documents (the rest kept below, in first-stage order).
 */
function fusedWithFirstStage(
  reranked: CollectionEvalOutcome,
  first: CollectionEvalOutcome,
): CollectionEvalOutcome {
  const run: Run = new Map();
  for (const [query, docs] of first.run) {
    const top = docs.slice(0, RERANK_DEPTH);
    const inTop = new Set(top.map((doc) => doc.docId));
    const byRanker = (reranked.run.get(query) ?? []).filter((doc) => inTop.has(doc.docId));
    const hits = (list: typeof docs) => list.map((doc) => ({ id: doc.docId, score: doc.score }));
    const fused = fuse([
      { name: 'first', hits: hits(top) },
      { name: 'ranker', hits: hits(byRanker) },
    ]);
    const ranked = [...fused.map((hit) => hit.id), ...docs.slice(RERANK_DEPTH).map((doc) => doc.docId)];
    run.set(
      query,
      ranked.map((docId, rank) => ({ docId, score: ranked.length - rank })),
    );
  }
  const qrels = new Map([...first.collection.qrels].filter(([id]) => run.has(id)));
  return { ...reranked, run, result: evaluateRun(run, qrels) };
}

/** The outcome with each query's top RERANK_DEPTH in a seeded random order (the rest kept below). */
function shuffledTop(outcome: CollectionEvalOutcome): CollectionEvalOutcome {
  const random = mulberry32(0x5eed);
  const run: Run = new Map();
  for (const [query, docs] of outcome.run) {
    const top = docs.slice(0, RERANK_DEPTH);
    for (let i = top.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [top[i], top[j]] = [top[j]!, top[i]!];
    }
    const ranked = [...top, ...docs.slice(RERANK_DEPTH)];
    run.set(
      query,
      ranked.map((doc, rank) => ({ docId: doc.docId, score: ranked.length - rank })),
    );
  }
  const qrels = new Map([...outcome.collection.qrels].filter(([id]) => run.has(id)));
  return { ...outcome, run, result: evaluateRun(run, qrels), timings: { ...outcome.timings } };
}

await main();
