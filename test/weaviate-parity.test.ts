// Parity of the Weaviate backend with sift's single-node retrieval on both shared collections, against a
// live cluster (3 nodes, 3 shards, RF 2 in CI): dense top 10 identical to sift's exact kNN for every
// judged query (equal-score neighbours may swap); BM25 NDCG@10 within 0.01 of sift's own on a one-shard
// collection, where Weaviate's statistics are the corpus's as sift's are, and within 0.03 on the sharded
// one. Neither is exact right after an import: on dbpedia the one-shard Δ was -0.0046 in a run that had
// just imported and 0.0000 (both collections) in a second run against the same data, so Weaviate's
// BM25 statistics settle some time after the writes. Weaviate also keeps them per shard and assigns
// documents to shards at random when a collection is created, so the sharded NDCG is a random variable
// around sift's: seven clean runs gave Δ from -0.0102 to +0.0077 on these 40 and 225 queries. How far
// hybrid's top 10 agrees is printed: it inherits BM25's per-shard differences through its ranks.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { evaluateRun, type Run } from '../src/eval/index.js';
import { embedDocuments } from '../src/index/embed.js';
import { connectWeaviate, WeaviateBm25Retriever, WeaviateDenseRetriever } from '../src/remote/index.js';
import {
  Bm25Retriever,
  DEFAULT_BM25_PARAMS,
  DenseRetriever,
  ExactKnn,
  type Hit,
  HybridRetriever,
} from '../src/retrieve/index.js';
import { importIndex, openCollection, openRemoteRetriever, runJudgedQueries } from '../src/search/index.js';
import { siftPaths } from '../src/util/paths.js';
import { clusterSuite } from './lib/weaviate-cluster.js';

const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');
const COLLECTIONS = ['cranfield', 'dbpedia-entity-subset'];
/** Scores closer than this are ties: their order may differ between float32 kernels. */
const TIE = 1e-5;
/** BM25 NDCG@10 on one shard (the corpus's own statistics, approximated; see above). */
const ONE_SHARD_NDCG = 0.01;
/** BM25 NDCG@10 on three shards: per-shard statistics move it (see above); a real scoring fault moves it more. */
const SHARDED_NDCG = 0.03;

clusterSuite('weaviate parity (live cluster)', (url) => {
  for (const name of COLLECTIONS) {
    test(`${name}: dense, BM25 and hybrid against sift single-node`, { timeout: 30 * 60_000 }, async (t) => {
      const connection = await connectWeaviate(url);
      const opened = await openCollection(resolve(SHARED, 'data', name), siftPaths().indexes, true);
      const remote = await openRemoteRetriever(connection, opened.index, { mode: 'hybrid', quiet: true });
      try {
        const encoder = remote.encoder!;
        const { store } = await embedDocuments(opened.index, encoder, { quiet: true });
        const localBm25 = new Bm25Retriever(opened.index);
        const localDense = new DenseRetriever(opened.index.docs, encoder, new ExactKnn(store));
        const remoteBm25 = new WeaviateBm25Retriever(
          remote.collection,
          opened.index.analyzer,
          DEFAULT_BM25_PARAMS,
        );
        const remoteDense = new WeaviateDenseRetriever(remote.collection, encoder);
        const local = { dense: localDense, hybrid: new HybridRetriever([localBm25, localDense]) };
        const far = { dense: remoteDense, hybrid: remote.retriever };

        const judged = opened.collection.queries.filter((query) => opened.collection.qrels.has(query.id));
        const tally = { dense: { same: 0, tied: 0, differ: 0 }, hybrid: { same: 0, tied: 0, differ: 0 } };
        const differing: string[] = [];
        let hybridOverlap = 0;
        for (const query of judged) {
          for (const mode of ['dense', 'hybrid'] as const) {
            const a = await local[mode].search({ query: query.text, k: 10 });
            const b = await far[mode].search({ query: query.text, k: 10 });
            const verdict = compareTop(a, b);
            tally[mode][verdict]++;
            if (mode === 'dense' && verdict === 'differ') differing.push(query.id);
            if (mode === 'hybrid') {
              const ids = new Set(a.map((hit) => hit.id));
              hybridOverlap += b.filter((hit) => ids.has(hit.id)).length / Math.max(1, a.length);
            }
          }
        }
        const localRun = await runJudgedQueries(opened.collection, localBm25, 1000, true);
        const remoteRun = await runJudgedQueries(opened.collection, remoteBm25, 1000, true);
        const ndcg = (run: Run) => evaluateRun(run, opened.collection.qrels).metrics['ndcg@10']!;
        const [localNdcg, remoteNdcg] = [ndcg(localRun), ndcg(remoteRun)];
        const oneShard = await importIndex(connection, opened.index, encoder, {
          layout: { shards: 1, replicationFactor: 1 },
          collection: `${remote.collection.name}_OneShard`,
          quiet: true,
        });
        const oneShardBm25 = new WeaviateBm25Retriever(
          oneShard.collection,
          opened.index.analyzer,
          DEFAULT_BM25_PARAMS,
        );
        const oneShardNdcg = ndcg(await runJudgedQueries(opened.collection, oneShardBm25, 1000, true));
        const summary =
          `${name}: ${judged.length} queries; dense top 10 identical ${tally.dense.same}, equal up to ties ${tally.dense.tied}, ` +
          `different ${tally.dense.differ}; hybrid top 10 identical ${tally.hybrid.same}, up to ties ${tally.hybrid.tied}, ` +
          `different ${tally.hybrid.differ}, mean overlap ${(hybridOverlap / judged.length).toFixed(3)}; BM25 NDCG@10 sift ${localNdcg.toFixed(4)} weaviate ${remoteNdcg.toFixed(4)} ` +
          `(Δ ${(remoteNdcg - localNdcg).toFixed(4)}), one shard ${oneShardNdcg.toFixed(4)} (Δ ${(oneShardNdcg - localNdcg).toFixed(4)})`;
        t.diagnostic(summary);
        console.log(summary);
        assert.deepEqual(differing, [], 'dense top 10 differs for these queries');
        assert.ok(Math.abs(oneShardNdcg - localNdcg) <= ONE_SHARD_NDCG, `one shard: ${summary}`);
        assert.ok(Math.abs(remoteNdcg - localNdcg) <= SHARDED_NDCG, `three shards: ${summary}`);
      } finally {
        await remote.release();
        await connection.close();
      }
    });
  }
});

/** 'same' ids in order; 'tied' the same up to swaps among equal scores (also at the cut); else 'differ'. */
function compareTop(local: Hit[], remote: Hit[]): 'same' | 'tied' | 'differ' {
  if (local.length === remote.length && local.every((hit, i) => hit.id === remote[i]!.id)) return 'same';
  if (local.length !== remote.length) return 'differ';
  for (let i = 0; i < local.length; i++) {
    if (Math.abs(local[i]!.score - remote[i]!.score) > TIE) return 'differ';
    if (local[i]!.id === remote[i]!.id) continue;
    // A different document here must score as this one does (a tie), in either list.
    const cut = local[local.length - 1]!.score;
    const twin = remote.find((hit) => hit.id === local[i]!.id);
    if (twin && Math.abs(twin.score - local[i]!.score) > TIE) return 'differ';
    if (!twin && Math.abs(local[i]!.score - cut) > TIE) return 'differ';
  }
  return 'tied';
}
