// Question: how many (query, document) pairs per second do sift's cross-encoders score on the native
// bfloat16 encoder (native/encoder.cc), against the same checkpoint's float32 and int8 ONNX Runtime graphs,
// and do their orders agree?
//
// Models: the trained cross-encoders installed here, given by --models (default: sift-ce-minilm-l6, the
// six-layer reranker `sift train --preset default` makes, and every other installed trained cross-encoder
// named with --models). Inputs: the first --queries cranfield test queries, each with the same 100 real
// cranfield documents (title and abstract, as the reranker reads them), so the pairs are the length a
// rerank of that collection feeds. Each variant scores every query's 100 candidates (one `score` call per
// query, as `--rerank` does); variants alternate their order from round to round and the median round is
// reported. Agreement with the float32 graph: mean Spearman correlation of the 100 scores per query, and
// the largest |Δ score| relative to the float32 scores' spread.
//
//   npm run build && node dist/bench/cross-encoder.js [--models a,b] [--queries 5] [--rounds 3] [--name F]
// Results: bench/results/cross-encoder.json, or <F>.json. The CPU's sgemm peak is measured in the same
// run, before and after, for the achieved-rate column (2 · non-embedding parameters · tokens · pairs/s).

import { join } from 'node:path';
import { loadBeirCollection, readBeirCorpus } from '../src/ingest/index.js';
import { installedTrainedModel, readSafetensors } from '../src/models/index.js';
import { type CrossEncoderRanker, loadCrossEncoder, type RankCandidate } from '../src/rank/index.js';
import { nativeEncoderStatus } from '../src/runtime/index.js';
import { sharedDir } from '../src/util/index.js';
import { bestLimits, measureLimits } from './lib/machine-limits.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const THREADS = 2;
const CANDIDATES = 100;
const VARIANTS = [
  { name: 'ort fp32', dtype: 'fp32' },
  { name: 'ort int8', dtype: 'int8' },
  { name: 'native bf16', dtype: 'bf16' },
] as const;

function ranks(values: Float32Array): number[] {
  const order = [...values.keys()].sort((a, b) => values[a]! - values[b]!);
  const out = new Array<number>(values.length);
  order.forEach((index, rank) => {
    out[index] = rank;
  });
  return out;
}

function spearman(a: Float32Array, b: Float32Array): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i]! - rb[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const models = stringArg('--models', 'sift-ce-minilm-l6').split(',').filter(Boolean);
  const queryCount = positiveIntArg('--queries', 5);
  const rounds = positiveIntArg('--rounds', 3);
  const status = nativeEncoderStatus();
  if (!status.available) throw new Error(`the native encoder does not run here: ${status.reason}`);

  const collection = await loadBeirCollection(join(sharedDir(), 'data', 'cranfield'));
  const queries = collection.queries.slice(0, queryCount).map((q) => q.text);
  const candidates: RankCandidate[] = [];
  for await (const doc of readBeirCorpus(collection.corpusPath)) {
    candidates.push({ id: doc.id, title: doc.title, text: doc.text });
    if (candidates.length === CANDIDATES) break;
  }

  console.error('machine limits (before) …');
  const before = await measureLimits(THREADS);
  const rows: Record<string, string | number>[] = [];
  const details: Record<string, unknown>[] = [];
  for (const id of models) {
    const folder = installedTrainedModel(id);
    if (!folder) throw new Error(`${id} is not an installed trained cross-encoder`);
    const weights = await readSafetensors(join(folder, 'model.safetensors'));
    let params = 0;
    for (const name of weights.names) {
      if (name.includes('embeddings.') || name.startsWith('classifier') || name.includes('pooler')) continue;
      params += weights.info(name).shape.reduce((a, b) => a * b, 1);
    }
    const rankers = new Map<string, CrossEncoderRanker>();
    for (const v of VARIANTS) {
      rankers.set(
        v.name,
        await loadCrossEncoder(folder, { id, dtype: v.dtype, threads: THREADS, maxLength: 256 }),
      );
    }
    const fp32 = rankers.get('ort fp32')!;
    const tokens = queries.flatMap((q) => fp32.tokensFor(q, candidates)).reduce((a, b) => a + b, 0);
    const pairs = queries.length * candidates.length;
    // Warm-up, which is also the agreement check.
    const scores = new Map<string, Float32Array[]>();
    for (const [name, ranker] of rankers) {
      scores.set(name, await Promise.all(queries.map((q) => ranker.score(q, candidates))));
    }
    const seconds = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [...rankers] : [...rankers].reverse();
      for (const [name, ranker] of order) {
        const t0 = performance.now();
        for (const q of queries) await ranker.score(q, candidates);
        const s = (performance.now() - t0) / 1000;
        seconds.get(name)!.push(s);
        console.error(`  ${id}, round ${round + 1}: ${name} ${s.toFixed(2)} s`);
      }
    }
    const reference = scores.get('ort fp32')!;
    const fp32Rate = pairs / median(seconds.get('ort fp32')!);
    for (const v of VARIANTS) {
      const mine = scores.get(v.name)!;
      const rho = mine.map((s, i) => spearman(s, reference[i]!));
      let worst = 0;
      mine.forEach((s, i) => {
        const ref = reference[i]!;
        const spread = Math.max(...ref) - Math.min(...ref);
        for (let j = 0; j < s.length; j++) worst = Math.max(worst, Math.abs(s[j]! - ref[j]!) / spread);
      });
      const rate = pairs / median(seconds.get(v.name)!);
      const kernel = rankers.get(v.name)!.kernel;
      rows.push({
        model: id,
        variant: v.name,
        kernel,
        'pairs/s': rate,
        'vs ort fp32': rate / fp32Rate,
        'mean tokens': tokens / pairs,
        'GFLOP/s': (2 * params * (tokens / pairs) * rate) / 1e9,
        'spearman vs fp32': rho.reduce((a, b) => a + b, 0) / rho.length,
        'max |Δ|/spread': worst,
      });
      details.push({
        model: id,
        variant: v.name,
        kernel,
        seconds: seconds.get(v.name),
        nonEmbeddingParameters: params,
      });
    }
    for (const ranker of rankers.values()) await ranker.release();
  }
  console.error('machine limits (after) …');
  const after = await measureLimits(THREADS);
  const limits = bestLimits([before, after]);
  const machine = machineInfo();
  console.log(
    `\nCross-encoder throughput, ${queries.length} cranfield queries × ${CANDIDATES} documents, ${THREADS} threads, median of ${rounds} rounds` +
      ` (${machine.cpu}, ${machine.cores} cores, native encoder ${status.variant}; sgemm peak ${limits.sgemmGflops.toFixed(1)} GFLOP/s)\n`,
  );
  printTable(rows, 3);
  console.log(
    '\nGFLOP/s = 2 × non-embedding parameters × mean tokens × pairs/s (int8 rows count int8 operations, bf16 rows bfloat16 ones).' +
      '\nspearman vs fp32: mean over queries of the rank correlation of the 100 scores; max |Δ|/spread: the largest score change over the float32 scores’ range.',
  );
  writeResult(stringArg('--name', 'cross-encoder'), {
    machine,
    question: "cross-encoder pairs/s on sift's native bf16 encoder against ONNX Runtime float32 and int8",
    settings: {
      models,
      queries: queries.length,
      candidates: CANDIDATES,
      rounds,
      threads: THREADS,
      maxLength: 256,
    },
    limits: { best: limits, before, after },
    rows,
    details,
  });
}

await main();
