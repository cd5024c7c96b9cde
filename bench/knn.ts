// Question: how close does sift's exact kNN come to this machine's limits, and to the exact search a
// TypeScript user would otherwise pick (usearch exactSearch, hnswlib-node BruteforceSearch)? sift runs with
// its native kernel (the default where it was built) and with the ONNX Runtime scan, side by side.
//
// Corpus: N seeded random unit vectors of dimension 384 (shape and speed only: random vectors say nothing
// about retrieval quality). For each N it measures sift (float32, int8 + exact rescoring, float16) at
// batch 1 (one query per call: a memory-bound GEMV) and batch 32 (a compute-bound GEMM), as QPS, achieved
// GFLOP/s (2·N·d·queries / s) and GB/s (corpus bytes scanned / s), each as a fraction of the machine limits
// measured in this same run (see lib/machine-limits.ts), then the baselines, with recall@10 against sift
// float32 (itself checked against a brute-force reference in the unit tests) and speed ratios.
//
// The native kernel runs the variant the addon picked for this CPU (named in the table and the JSON); with
// SIFT_KNN_ISA=<variant> set, the lower variant runs and the result goes to knn-<variant>.json instead, so
// variants (and the scalar loops against the ONNX Runtime scan) are compared on one machine.
//
//   npm run build && node dist/bench/knn.js [--sizes 100000,1000000] [--queries 64] [--skip-hnswlib] [--name F]

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import hnswlib from 'hnswlib-node';
import usearch from 'usearch';
import { type VectorDtype, VectorStore } from '../src/index/index.js';
import { ExactKnn } from '../src/retrieve/index.js';
import { nativeKnnStatus } from '../src/runtime/index.js';
import { randomUnitVectors } from '../test/lib/random-vectors.js';
import { bestLimits, LimitProbe, type MachineLimits } from './lib/machine-limits.js';
import { machineInfo, percentile, printTable, stringArg, writeResult } from './lib/report.js';

const D = 384;
const K = 10;
const THREADS = 2;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Engine {
  name: string;
  dtype: string;
  /** Bytes of corpus one pass over all rows reads. */
  bytesPerPass: number;
  search(queries: Float32Array, count: number): Promise<number[][]>;
  close(): Promise<void>;
}

interface Measurement {
  n: number;
  engine: string;
  dtype: string;
  batch: number;
  queries: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  gflops: number;
  gbps: number;
  recallAt10: number;
  buildSeconds: number;
  /** Machine limits measured in the round that gave this engine's best time. */
  adjacent: MachineLimits;
}

function siftEngine(
  corpus: Float32Array,
  n: number,
  dtype: VectorDtype,
  kernel: 'native' | 'ort',
): { engine: Engine; build: number } {
  const t0 = performance.now();
  const store = VectorStore.create(D, { modelId: 'bench-random', dtype });
  store.addBatch(corpus, n);
  store.ensureQuantized();
  const build = (performance.now() - t0) / 1000;
  let knn: ExactKnn | undefined = new ExactKnn(store, { intraOpThreads: THREADS, kernel });
  const bytes = { float32: 4 * D, float16: 2 * D, int8: D + 4 }[dtype] * n;
  return {
    build,
    engine: {
      name: `sift ${kernel}`,
      dtype,
      bytesPerPass: bytes,
      async search(queries, count) {
        const results = await knn!.search(queries, count, K);
        return results.map((hits) => hits.map((hit) => hit.ord));
      },
      async close() {
        await knn!.release();
        knn = undefined;
      },
    },
  };
}

function usearchEngine(
  corpus: Float32Array,
  n: number,
  dtype: 'float32' | 'int8',
): { engine: Engine; build: number } {
  const t0 = performance.now();
  // int8: the whole corpus on one symmetric scale (unit vectors: |x| ≤ 1), as usearch's i8 kernels expect.
  let maxAbs = 0;
  if (dtype === 'int8') {
    for (let i = 0; i < corpus.length; i++) {
      const v = corpus[i]! < 0 ? -corpus[i]! : corpus[i]!;
      if (v > maxAbs) maxAbs = v;
    }
  }
  const toInt8 = (values: Float32Array) => {
    const out = new Int8Array(values.length);
    const scale = 127 / maxAbs;
    for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i]! * scale);
    return out;
  };
  const data = dtype === 'int8' ? toInt8(corpus) : corpus;
  const build = (performance.now() - t0) / 1000;
  return {
    build,
    engine: {
      name: 'usearch exactSearch',
      dtype,
      bytesPerPass: n * D * (dtype === 'int8' ? 1 : 4),
      async search(queries, count) {
        // usearch reads a typed array from its buffer's start: pass a copy, never a subarray view.
        const q = dtype === 'int8' ? toInt8(queries) : queries.slice();
        const result = usearch.exactSearch(data, q, D, K, usearch.MetricKind.IP, THREADS);
        const keys = result.keys;
        return Array.from({ length: count }, (_, i) => Array.from(keys.subarray(i * K, i * K + K), Number));
      },
      async close() {},
    },
  };
}

function hnswlibEngine(corpus: Float32Array, n: number): { engine: Engine; build: number } {
  const t0 = performance.now();
  const index = new hnswlib.BruteforceSearch('ip', D);
  index.initIndex(n);
  for (let i = 0; i < n; i++) index.addPoint(Array.from(corpus.subarray(i * D, i * D + D)), i);
  const build = (performance.now() - t0) / 1000;
  return {
    build,
    engine: {
      name: 'hnswlib-node BruteforceSearch',
      dtype: 'float32',
      bytesPerPass: n * D * 4,
      async search(queries, count) {
        // No batch API: one call per query.
        return Array.from({ length: count }, (_, i) => {
          const result = index.searchKnn(Array.from(queries.subarray(i * D, i * D + D)), K);
          return result.neighbors
            .map((ord, j) => ({ ord, distance: result.distances[j]! }))
            .sort((a, b) => a.distance - b.distance || a.ord - b.ord)
            .map((hit) => hit.ord);
        });
      },
      async close() {},
    },
  };
}

/** One round of timing for one engine: `count` calls of `batch` queries; returns seconds per call. */
async function timeRound(
  engine: Engine,
  queries: Float32Array,
  numQueries: number,
  batch: number,
  count: number,
  offset: number,
  latencies: number[],
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const first = ((offset + i) % Math.floor(numQueries / batch)) * batch;
    const t = performance.now();
    await engine.search(queries.subarray(first * D, (first + batch) * D), batch);
    latencies.push(performance.now() - t);
  }
  return (performance.now() - t0) / 1000 / count;
}

function recall(results: number[][], truth: number[][]): number {
  let found = 0;
  let total = 0;
  results.forEach((hits, q) => {
    const expected = new Set(truth[q]!.slice(0, K));
    total += expected.size;
    for (const ord of hits.slice(0, K)) if (expected.has(ord)) found++;
  });
  return total === 0 ? Number.NaN : found / total;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const at = args.indexOf(name);
    return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
  };
  const sizes = option('--sizes', '100000,1000000').split(',').map(Number);
  const numQueries = Math.max(64, Number(option('--queries', '64')));
  const skipHnswlib = args.includes('--skip-hnswlib');
  const native = nativeKnnStatus();
  if (!native.available)
    console.error(`native kNN kernel not available (${native.reason}): ONNX Runtime only`);
  const siftKernel = native.available ? ('native' as const) : ('ort' as const);
  const variant = native.variant ?? 'none';
  const forced = native.available && native.variant !== native.supported?.[0];
  const started = performance.now();

  const probe = new LimitProbe(THREADS);
  await probe.start();
  const limitsSeen: MachineLimits[] = [await probe.measure(5)];
  console.error(`limits at start: ${JSON.stringify(limitsSeen[0])}`);

  const measurements: Measurement[] = [];
  for (const n of sizes) {
    const t0 = performance.now();
    const corpus = randomUnitVectors(n, D, 1);
    const queries = randomUnitVectors(numQueries, D, 2);
    console.error(`N=${n}: corpus generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const big = n >= 500_000;
    const rounds = 4;
    const makers: Array<() => { engine: Engine; build: number }> = [
      // The first engine is the reference for recall and ratios: sift's default kernel on float32.
      () => siftEngine(corpus, n, 'float32', siftKernel),
      () => siftEngine(corpus, n, 'int8', siftKernel),
      ...(siftKernel === 'native'
        ? // Without the native kernel an int8 store is scanned through its float32 master: no int8 row here.
          [() => siftEngine(corpus, n, 'float32', 'ort')]
        : []),
      () => siftEngine(corpus, n, 'float16', 'ort'),
      () => usearchEngine(corpus, n, 'float32'),
      () => usearchEngine(corpus, n, 'int8'),
    ];
    if (!skipHnswlib) makers.push(() => hnswlibEngine(corpus, n));
    const engines = makers.map((make) => {
      const built = make();
      console.error(`  built ${built.engine.name} ${built.engine.dtype} in ${built.build.toFixed(1)} s`);
      return built;
    });
    // Warm-up (sessions, JIT, page faults), and every query's results for recall (untimed).
    const results: number[][][] = [];
    for (const { engine } of engines) {
      await engine.search(queries.subarray(0, D), 1);
      const all: number[][] = [];
      for (let first = 0; first + 32 <= numQueries; first += 32) {
        all.push(...(await engine.search(queries.subarray(first * D, (first + 32) * D), 32)));
      }
      results.push(all);
    }
    // Rounds interleave the engines (and a limits probe), so that a burst of load from elsewhere on a
    // shared machine hits one round of every engine rather than every round of one; the best round counts.
    const timings = engines.map(() => ({
      batch1: { qps: 0, round: 0, latencies: [] as number[] },
      batch32: { qps: 0, round: 0, latencies: [] as number[] },
    }));
    const roundLimits: MachineLimits[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [e, { engine }] of engines.entries()) {
        const sift = engine.name.startsWith('sift');
        for (const [batch, timing] of [
          [1, timings[e]!.batch1],
          [32, timings[e]!.batch32],
        ] as const) {
          const count = batch === 1 ? (sift ? (big ? 8 : 24) : big ? 3 : 12) : sift ? (big ? 1 : 3) : 1;
          const seconds = await timeRound(
            engine,
            queries,
            numQueries,
            batch,
            count,
            round * count,
            timing.latencies,
          );
          const qps = batch / seconds;
          if (qps > timing.qps) Object.assign(timing, { qps, round });
        }
      }
      roundLimits.push(await probe.measure(2));
      console.error(`  round ${round + 1}/${rounds} done`);
    }
    limitsSeen.push(...roundLimits);
    for (const [e, { engine, build }] of engines.entries()) {
      const r = recall(results[e]!, results[0]!);
      for (const [batch, timing] of [
        [1, timings[e]!.batch1],
        [32, timings[e]!.batch32],
      ] as const) {
        measurements.push({
          n,
          engine: engine.name,
          dtype: engine.dtype,
          batch,
          queries: timing.latencies.length * batch,
          qps: timing.qps,
          p50Ms: percentile(timing.latencies, 50),
          p99Ms: percentile(timing.latencies, 99),
          gflops: (2 * n * D * timing.qps) / 1e9,
          gbps: (engine.bytesPerPass * timing.qps) / batch / 1e9,
          recallAt10: r,
          buildSeconds: build,
          adjacent: roundLimits[timing.round]!,
        });
      }
      await engine.close();
    }
    engines.length = 0;
    gc();
  }
  limitsSeen.push(await probe.measure(5));
  await probe.stop();
  const limits = bestLimits(limitsSeen);

  const rows = measurements.map((m) => {
    const siftF32 = measurements.find(
      (o) => o.n === m.n && o.engine === `sift ${siftKernel}` && o.dtype === 'float32' && o.batch === m.batch,
    )!;
    return {
      N: m.n,
      engine: m.engine,
      dtype: m.dtype,
      batch: m.batch,
      QPS: m.qps,
      'p50 ms': m.p50Ms,
      'GFLOP/s': m.gflops,
      '% peak': (100 * m.gflops) / limits.sgemmGflops,
      '% peak adj': (100 * m.gflops) / m.adjacent.sgemmGflops,
      'GB/s': m.gbps,
      '% BW': (100 * m.gbps) / limits.readGBps,
      '% BW adj': (100 * m.gbps) / m.adjacent.readGBps,
      'recall@10': m.recallAt10,
      'QPS vs sift f32': m.qps / siftF32.qps,
    };
  });
  const speedups = sizes.flatMap((n) =>
    [1, 32].map((batch) => {
      const of = (dtype: string, kernel: string = siftKernel) =>
        measurements.find(
          (m) => m.n === n && m.engine === `sift ${kernel}` && m.dtype === dtype && m.batch === batch,
        )!;
      return {
        N: n,
        batch,
        'int8 / float32': of('int8').qps / of('float32').qps,
        'float16 / float32': of('float16', 'ort').qps / of('float32').qps,
        'int8 recall@10': of('int8').recallAt10,
        'float16 recall@10': of('float16', 'ort').recallAt10,
        ...(siftKernel === 'native'
          ? {
              'native / ORT f32': of('float32').qps / of('float32', 'ort').qps,
            }
          : {}),
      };
    }),
  );

  const info = machineInfo();
  console.log(
    `\nExact kNN, d = ${D}, k = ${K}, ${THREADS} threads, native variant ${variant} (${info.cpu}, Node ${process.version})`,
  );
  console.log(
    `machine limits (best seen in this run): sgemm ${limits.sgemmGflops.toFixed(1)} GFLOP/s (ORT MatMul 2048³); ` +
      `read ${limits.readGBps.toFixed(1)} GB/s (memchr, ${THREADS} threads; 1 thread ${limits.readGBpsOneThread.toFixed(1)}; ` +
      `ORT ReduceSum ${limits.ortReduceSumGBps.toFixed(1)})`,
  );
  console.log(
    'GFLOP/s for int8 rows counts integer multiply-adds as 2 ops, against the fp32 sgemm peak. ' +
      '"%" columns: against the best limits of the run; "adj": against the limits probed in the round of each row\'s best time.\n',
  );
  printTable(rows, 2);
  console.log('');
  printTable(speedups, 3);
  writeResult(stringArg('--name', forced ? `knn-${variant}` : 'knn'), {
    question:
      'sift exact kNN (native kernel and ONNX Runtime scan) vs machine limits, and vs usearch exactSearch / hnswlib-node BruteforceSearch',
    kernel: siftKernel,
    variant,
    supportedVariants: native.supported ?? [],
    dimension: D,
    k: K,
    threads: THREADS,
    limits,
    limitsSeen,
    notInstallable: {
      'faiss-node': 'npm install fails here (its build clones from GitHub)',
      lancedb: 'its lockfile is broken; not installed',
    },
    seconds: (performance.now() - started) / 1000,
    rows,
    speedups,
    measurements,
  });
}

await main();
