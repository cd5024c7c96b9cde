// Question: what does each exact-kNN kernel variant (avx512-vnni, avx512f, avx2-fma, scalar) gain on this
// CPU, and does every variant that kernel 'auto' may pick beat the ONNX Runtime scan? Measured as CPU time
// per search on one thread, which other load on a shared machine barely moves (wall-clock GFLOP/s there
// swings with whatever else runs; bench/knn.ts has those, against the same-run machine limits).
//
// The addon picks its variant once at load, so each variant runs in a fresh process started with
// SIFT_KNN_ISA naming it (and one process for the ONNX Runtime scan); rounds alternate the order, and the
// median over rounds is reported. Corpus: N seeded random unit vectors, d = 384, k = 10.
//
//   npm run build && node dist/bench/knn-variants.js [--n 100000] [--rounds 3] [--name knn-variants]

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VectorStore } from '../src/index/index.js';
import { ExactKnn } from '../src/retrieve/index.js';
import { nativeKnnStatus } from '../src/runtime/index.js';
import { randomUnitVectors } from '../test/lib/random-vectors.js';
import { percentile, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const D = 384;
const K = 10;
const BATCHES = [1, 32] as const;

/** CPU milliseconds per search for each cell (`<dtype> batch <m>`), best of a few searches. */
type ChildResult = Record<string, number>;

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** In a child: one kernel ('native' under the env's variant, or 'ort') over float32 and int8 stores. */
async function child(kernel: 'native' | 'ort', n: number): Promise<ChildResult> {
  const corpus = randomUnitVectors(n, D, 1);
  const out: ChildResult = {};
  // The ONNX Runtime scan reads an int8 store's float32 master, so it has float32 cells only.
  for (const dtype of kernel === 'ort' ? (['float32'] as const) : (['float32', 'int8'] as const)) {
    const store = VectorStore.create(D, { modelId: 'bench-random', dtype });
    store.addBatch(corpus, n);
    store.ensureQuantized();
    const knn = new ExactKnn(store, { intraOpThreads: 1, kernel });
    for (const m of BATCHES) {
      const queries = randomUnitVectors(m, D, 2);
      await knn.search(queries, m, K); // warm-up: sessions, page faults
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < (m === 1 ? 5 : 2); i++) {
        const t = cpuMs();
        await knn.search(queries, m, K);
        best = Math.min(best, cpuMs() - t);
      }
      out[`${dtype} batch ${m}`] = best;
    }
    await knn.release();
  }
  return out;
}

async function main(): Promise<void> {
  const n = positiveIntArg('--n', 100_000);
  if (process.argv.includes('--child')) {
    const kernel = process.argv.includes('--ort') ? 'ort' : 'native';
    console.log(JSON.stringify(await child(kernel, n)));
    return;
  }
  const rounds = positiveIntArg('--rounds', 3);
  const status = nativeKnnStatus();
  if (!status.available) throw new Error(`native kNN kernel not available: ${status.reason}`);
  const runs = [...(status.supported ?? []), 'ort'];
  const samples = new Map<string, number[]>(); // `${run}|${cell}` → CPU ms per round
  const script = fileURLToPath(import.meta.url);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? runs : [...runs].reverse();
    for (const run of order) {
      const args = [script, '--child', '--n', String(n), ...(run === 'ort' ? ['--ort'] : [])];
      const env = run === 'ort' ? process.env : { ...process.env, SIFT_KNN_ISA: run };
      const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${run}: ${result.stderr}`);
      for (const [cell, ms] of Object.entries(JSON.parse(result.stdout) as ChildResult)) {
        const key = `${run}|${cell}`;
        samples.set(key, [...(samples.get(key) ?? []), ms]);
      }
      console.error(`  round ${round + 1}/${rounds}: ${run} done`);
    }
  }
  const median = (run: string, cell: string) => percentile(samples.get(`${run}|${cell}`) ?? [], 50);
  const rows = [...samples.keys()].map((key) => {
    const [run, cell] = key.split('|') as [string, string];
    const [dtype, , batch] = cell.split(' ');
    const ms = median(run, cell);
    const m = Number(batch);
    return {
      variant: run,
      dtype: dtype!,
      batch: m,
      'CPU ms': ms,
      'GFLOP/s per thread': (2 * n * D * m) / ms / 1e6,
      'GB/s per thread': ((dtype === 'int8' ? D + 4 : 4 * D) * n) / ms / 1e6,
      'speed vs best variant': median(runs[0]!, cell) / ms,
      'speed vs ORT float32': median('ort', `float32 batch ${m}`) / ms,
    };
  });
  console.log(
    `\nExact kNN kernel variants, N = ${n}, d = ${D}, k = ${K}, one thread, CPU time (median of ${rounds})`,
  );
  console.log(
    'int8 rows: integer multiply-adds counted as 2 ops; the ORT scan reads float32 rows for both.\n',
  );
  printTable(rows, 2);
  writeResult(stringArg('--name', 'knn-variants'), {
    question: 'speed of each exact-kNN kernel variant and of the ONNX Runtime scan, CPU time on one thread',
    n,
    dimension: D,
    k: K,
    rounds,
    supportedVariants: status.supported,
    rows,
    samples: Object.fromEntries(samples),
  });
}

await main();
