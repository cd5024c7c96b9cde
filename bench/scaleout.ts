// Question: what do exact-kNN queries cost through Weaviate (1 node; 3 nodes with 3 shards and RF 2)
// against sift's own single-node exact kNN, on loopback, for N random unit vectors of d = 384?
//
// Start the clusters first (scripts/weaviate-cluster.sh up 1 DIR1; up 3 DIR3), then:
//   node dist/bench/scaleout.js --n 100000 --url1 URL --url3 URL [--queries 200] [--concurrency 4] [--name F]
// Each system answers the same queries (k = 10) from `concurrency` concurrent clients; sift's baseline
// runs in this process (ExactKnn, float32, native kernel when built). Weaviate's answers are checked
// against sift's (top-10 ids equal). Import time into each cluster is reported too.

import { loadavg } from 'node:os';
import { createAnalyzer } from '../src/analysis/index.js';
import { VectorStore } from '../src/index/index.js';
import { connectWeaviate, type RemoteDoc, WeaviateCollection } from '../src/remote/index.js';
import { ExactKnn } from '../src/retrieve/index.js';
import { mulberry32 } from '../src/util/index.js';
import { machineInfo, percentile, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const D = 384;
const n = positiveIntArg('--n', 100_000);
const queryCount = positiveIntArg('--queries', 200);
const concurrency = positiveIntArg('--concurrency', 4);
const urls = { 1: stringArg('--url1', ''), 3: stringArg('--url3', '') };

function unitVectors(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count * D);
  for (let r = 0; r < count; r++) {
    let norm = 0;
    for (let i = 0; i < D; i++) {
      // Sum of uniforms: close enough to Gaussian for direction sampling here.
      const x = random() + random() + random() - 1.5;
      out[r * D + i] = x;
      norm += x * x;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < D; i++) out[r * D + i]! *= scale;
  }
  return out;
}

async function timed(
  queries: number,
  run: (q: number) => Promise<string[]>,
): Promise<{ qps: number; p50: number; p99: number; answers: string[][] }> {
  const latencies: number[] = [];
  const answers: string[][] = new Array(queries);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let q = next++; q < queries; q = next++) {
        const t0 = performance.now();
        answers[q] = await run(q);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { qps: queries / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), answers };
}

const docs = unitVectors(n, 1);
const queries = unitVectors(queryCount, 2);
const row = (i: number) => docs.subarray(i * D, (i + 1) * D);
const ids = Array.from({ length: n }, (_, i) => `v${i}`);

const store = VectorStore.create(D, { modelId: 'random', normalize: false });
store.addBatch(docs, n);
const knn = new ExactKnn(store);
await knn.search(queries.subarray(0, D), 1, 10); // warm-up
const sift = await timed(queryCount, async (q) => {
  const [hits = []] = await knn.search(queries.subarray(q * D, (q + 1) * D), 1, 10);
  return hits.map((hit) => ids[hit.ord]!);
});
console.log(
  `sift: ${sift.qps.toFixed(1)} QPS (load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
);
const rows: Array<Record<string, string | number>> = [
  {
    system: 'sift ExactKnn (in process)',
    nodes: 1,
    n,
    import_docs_per_s: '-',
    qps: sift.qps,
    p50_ms: sift.p50,
    p99_ms: sift.p99,
    top10_equal: '-',
  },
];

const analyzer = createAnalyzer();
for (const nodes of [1, 3] as const) {
  const url = urls[nodes];
  if (!url) {
    console.warn(`no --url${nodes}: Weaviate with ${nodes} node(s) not measured`);
    continue;
  }
  const connection = await connectWeaviate(url);
  const source = {
    corpus: `bench${n}`,
    count: n,
    *docs(): Iterable<RemoteDoc> {
      for (let i = 0; i < n; i++) {
        yield {
          id: ids[i]!,
          title: '',
          text: '',
          metadata: {},
          titleTerms: [],
          textTerms: [],
          vector: row(i),
        };
      }
    },
  };
  const collection = await WeaviateCollection.ensure(connection, source, {
    name: `SiftBench_${n}`,
    embedder: 'random',
    dimension: D,
    analyzer: analyzer.config,
    bm25: { k1: 1.2, b: 0.75 },
  });
  const imported = await collection.importFrom(source, { batchSize: 1000 });
  await collection.nearVector(queries.subarray(0, D), 10); // warm-up
  const remote = await timed(queryCount, async (q) =>
    (await collection.nearVector(queries.subarray(q * D, (q + 1) * D), 10)).map((hit) => hit.id),
  );
  const equal = remote.answers.filter((answer, q) => answer.join() === sift.answers[q]!.join()).length;
  rows.push({
    system: nodes === 1 ? 'Weaviate flat, 1 shard' : 'Weaviate flat, 3 shards RF 2',
    nodes,
    n,
    import_docs_per_s: imported.imported > 0 ? Math.round(imported.imported / imported.seconds) : 'cached',
    qps: remote.qps,
    p50_ms: remote.p50,
    p99_ms: remote.p99,
    top10_equal: `${equal}/${queryCount}`,
  });
  await connection.close();
  console.log(JSON.stringify(rows.at(-1)));
}

console.log(`exact kNN, d=${D}, n=${n}, k=10, ${queryCount} queries from ${concurrency} clients, loopback`);
printTable(rows, 1);
writeResult(stringArg('--name', 'scaleout'), {
  machine: machineInfo(),
  loadavg: loadavg(),
  d: D,
  n,
  queryCount,
  concurrency,
  rows,
});
