// Question: does cross-request kNN batching (the engine scanning concurrent dense searches together,
// `--knn-batch`) raise `sift serve`'s hybrid and dense throughput where the exact scan dominates, and at
// what cost in latency at low load?
//
// The index: the synthetic job corpus at --docs postings (real text, so BM25's share of the work is real),
// with a vector store for all-minilm-l6-v2 whose rows are seeded random unit vectors. An exhaustive scan
// reads every row whatever their values, so its cost is that of real embeddings, while embedding 100k
// postings would take about an hour on 2 cores; the dense results are therefore meaningless and no
// quality is measured here (bench/fusion.ts and bench/dense.ts do that on real embeddings). The index is
// built under $SIFT_HOME/bench/serve-knn, apart from the real indexes. Queries are the corpus's own,
// embedded by the server with the real model.
//
// The same server build is started with --knn-batch 1 (each search scanned alone: the engine as it was)
// and with the default, alternating for --rounds rounds, and loaded with autocannon at each client count.
// Caches are off, so every request embeds its query. Mean queries per scan comes from the server's
// sift_batch_size{batcher="knn"} histogram.
//
//   node dist/bench/serve-knn.js [--docs 100000] [--seconds 6] [--rounds 2] [--name serve-knn]
// Result: bench/results/<name>.json

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import { VectorStore } from '../src/index/index.js';
import { openCollection } from '../src/search/index.js';
import { siftPaths } from '../src/util/index.js';
import { randomUnitVectors } from '../test/lib/random-vectors.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';
import { load, type Server, startServer, stopServer } from './lib/serve-load.js';

const EMBEDDER = 'all-minilm-l6-v2';
const DIMENSION = 384;

/** The corpus's BM25 index with random unit vectors for EMBEDDER, built once under the bench's own root. */
async function benchIndex(docs: number): Promise<{ dir: string; queries: string[] }> {
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs });
  const { index } = await openCollection(demo.folder, join(siftPaths().home, 'bench', 'serve-knn'));
  if (index.vectors(EMBEDDER)?.rows !== index.docs.size) {
    console.log(`adding ${index.docs.size} random unit vectors (d = ${DIMENSION}) for ${EMBEDDER}…`);
    const store = VectorStore.create(DIMENSION, { modelId: EMBEDDER });
    const chunk = 10_000;
    for (let from = 0; from < index.docs.size; from += chunk) {
      const rows = Math.min(chunk, index.docs.size - from);
      store.addBatch(randomUnitVectors(rows, DIMENSION, 1000 + from), rows);
    }
    index.attach(store);
    await index.commit();
  }
  const queries = readFileSync(join(demo.folder, 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
  return { dir: index.dir, queries };
}

async function knnScans(server: Server): Promise<{ scans: number; queries: number }> {
  const text = await (await fetch(new URL('/metrics', server.url))).text();
  const sample = (name: string) =>
    Number(new RegExp(`^${name}\\{batcher="knn"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { scans: sample('sift_batch_size_count'), queries: sample('sift_batch_size_sum') };
}

async function main(): Promise<void> {
  const docs = positiveIntArg('--docs', 100_000);
  const seconds = positiveIntArg('--seconds', 6);
  const rounds = positiveIntArg('--rounds', 2);
  const limits = { seconds, maxRequests: 50_000 };
  const loadBefore = loadavg();
  const { dir, queries } = await benchIndex(docs);
  const settings = [
    { name: 'each search scanned alone (--knn-batch 1)', knnBatch: '1' },
    { name: 'cross-request batching (default)', knnBatch: '' },
  ];
  const modes = ['hybrid', 'dense'] as const;
  const clientCounts = [1, 8, 64];
  type Cell = { reqPerSecond: number[]; p50: number[]; p99: number[]; scans: number; queries: number };
  const cells = new Map<string, Cell>();
  let knnBatchDefault: number | undefined;
  for (let round = 0; round < rounds; round++) {
    // Alternate which setting goes first, so that a drift in the machine's load falls on both.
    const order = round % 2 === 0 ? settings : [...settings].reverse();
    for (const setting of order) {
      const server = await startServer(
        ['--index', dir, '--embedder', EMBEDDER, '--rankers', 'none'],
        setting.knnBatch ? { SIFT_SERVE_KNN_BATCH: setting.knnBatch } : {},
      );
      try {
        if (!setting.knnBatch) {
          const info = (await (await fetch(new URL('/v1/info', server.url))).json()) as {
            knn: { batch: number };
          };
          knnBatchDefault = info.knn.batch;
        }
        // Warm-up: JIT, first touch of the vectors, the embedder's first runs.
        await load(server, (query) => ({ query, k: 10, mode: 'hybrid' }), 8, queries.slice(0, 40), {
          seconds: 2,
          maxRequests: 200,
        });
        for (const mode of modes) {
          for (const clients of clientCounts) {
            const before = await knnScans(server);
            const result = await load(server, (query) => ({ query, k: 10, mode }), clients, queries, limits);
            const after = await knnScans(server);
            const key = `${setting.name}|${mode}|${clients}`;
            const cell = cells.get(key) ?? { reqPerSecond: [], p50: [], p99: [], scans: 0, queries: 0 };
            cell.reqPerSecond.push(result.requestsPerSecond);
            cell.p50.push(result.p50);
            cell.p99.push(result.p99);
            cell.scans += after.scans - before.scans;
            cell.queries += after.queries - before.queries;
            cells.set(key, cell);
            const non200 = result.requests - (result.statuses['200'] ?? 0);
            console.log(
              `round ${round + 1} ${setting.name} ${mode} ${clients} clients: ${result.requestsPerSecond.toFixed(1)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${non200 ? `, ${non200} non-200` : ''}`,
            );
          }
        }
      } finally {
        await stopServer(server);
      }
    }
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const rows: Array<Record<string, string | number>> = [];
  for (const mode of modes) {
    for (const clients of clientCounts) {
      const alone = cells.get(`${settings[0]!.name}|${mode}|${clients}`)!;
      const batched = cells.get(`${settings[1]!.name}|${mode}|${clients}`)!;
      rows.push({
        mode,
        clients,
        'req/s alone': Math.round(median(alone.reqPerSecond) * 10) / 10,
        'req/s batched': Math.round(median(batched.reqPerSecond) * 10) / 10,
        speed: `${(median(batched.reqPerSecond) / median(alone.reqPerSecond)).toFixed(2)}×`,
        'p50 ms alone / batched': `${median(alone.p50)} / ${median(batched.p50)}`,
        'p99 ms alone / batched': `${median(alone.p99)} / ${median(batched.p99)}`,
        'queries per scan (batched)': Math.round((batched.queries / Math.max(1, batched.scans)) * 10) / 10,
      });
    }
  }
  const machine = machineInfo();
  console.log(
    `\nsift serve, ${docs.toLocaleString('en-US')} postings, ${EMBEDDER} (d = ${DIMENSION}, random rows), caches off, ${seconds} s per run, median of ${rounds} rounds; ${machine.cpu}`,
  );
  printTable(rows, 1);
  writeResult(stringArg('--name', 'serve-knn'), {
    machine,
    question:
      'hybrid and dense req/s of sift serve with and without cross-request kNN batching, where the exact scan dominates',
    settings: {
      docs,
      embedder: EMBEDDER,
      vectors: 'seeded random unit vectors (scan cost only; no quality measured)',
      secondsPerRun: seconds,
      rounds,
      knnBatchDefault: knnBatchDefault ?? null,
      server:
        'bin/sift serve --index <bench index> --embedder all-minilm-l6-v2 --rankers none, other settings default, SIFT_SERVE_CACHE_ENTRIES=0',
      client: 'autocannon in the bench process; the server in its own process on the same machine',
      queries: `the corpus's ${queries.length} queries, round robin`,
      loadAverage1m: { before: loadBefore[0], after: loadavg()[0] },
    },
    rows,
    raw: Object.fromEntries(cells),
  });
}

await main();
