// Question: how many (query, document) pairs per second does sift's decoder yes/no ranker score, and what
// does shared-prefix prefill buy over whole prompts?
//
// Inputs: one real cranfield query and 100 real documents (cranfield abstracts, each extended with the
// following abstracts so that every document has at least 256 tokens), cut by the ranker to exactly 64,
// 128 and 256 document tokens. Each variant scores the 100 candidates as one query (the score cache off):
//
//   naive   every prompt whole: [instructions + query][document][suffix], batch 16
//   shared  the prefix once, its KV cache broadcast to every document of the batch (batch 16)
//   int8    shared, with int8 weights and per-token int8 activations
//   qlik    the query-likelihood ranker (document first, so nothing to share; a sequence head scoring
//           log p of every query token), batch 8
//
// Achieved GFLOP/s = 2 · non-embedding parameters · tokens the model processed / seconds (attention's
// QKᵀ and AV products not counted), next to the peak fp32 sgemm this machine reaches on the same threads,
// measured in this run (lib/machine-limits.ts) before and after. transformers.js is not compared: it loads
// ONNX exports from the Hugging Face hub, and no ONNX export of SmolLM2 is obtainable here (only GGUF).
//
//   npm run build && SIFT_HOME=... node dist/bench/rank.js [--rounds 1]

import { loadBeirCollection, readBeirCorpus } from '../src/ingest/index.js';
import { type DecoderRanker, openRanker, type QueryLikelihoodRanker } from '../src/rank/index.js';
import { sharedDir } from '../src/util/index.js';
import { bestLimits, LimitProbe, type MachineLimits } from './lib/machine-limits.js';
import { machineInfo, positiveIntArg, printTable, writeResult } from './lib/report.js';

const CANDIDATES = 100;
const variantsNote =
  'naive/shared/int8: smollm2-135m-yesno (p(Yes) vs No); qlik: smollm2-135m-qlik (mean log p(query | document))';
const DOC_TOKENS = [64, 128, 256] as const;
const THREADS = 2;

async function inputs(): Promise<{ query: string; docs: { id: string; title: string; text: string }[] }> {
  const collection = await loadBeirCollection(`${sharedDir()}/data/cranfield`);
  const query = collection.queries[0]?.text ?? 'boundary layer heat transfer';
  const texts: { id: string; title: string; text: string }[] = [];
  for await (const doc of readBeirCorpus(collection.corpusPath)) {
    texts.push({ id: doc.id, title: doc.title, text: doc.text });
    if (texts.length >= CANDIDATES * 8) break;
  }
  // Each document: its own abstract, then the next ones, until ~2,000 characters (well over 256 tokens).
  const docs = texts.slice(0, CANDIDATES).map((doc, i) => {
    let text = doc.text;
    for (let j = i + 1; text.length < 2000 && j < texts.length; j++) text += ` ${texts[j]?.text ?? ''}`;
    return { ...doc, text };
  });
  return { query, docs };
}

interface Row {
  variant: string;
  doc_tokens: number;
  items_per_s: number;
  ms_per_query: number;
  tokens_per_item: number;
  gflops: number;
  peak_fraction: number;
  speedup_vs_naive: number;
}

async function main(): Promise<void> {
  const rounds = positiveIntArg('--rounds', 1);
  const { query, docs } = await inputs();
  const probe = new LimitProbe(THREADS);
  await probe.start();
  const limits: MachineLimits[] = [await probe.measure()];

  const variants: { name: string; ref: string; prefix: 'shared' | 'naive' }[] = [
    { name: 'naive fp32', ref: 'smollm2-135m-yesno', prefix: 'naive' },
    { name: 'shared fp32', ref: 'smollm2-135m-yesno', prefix: 'shared' },
    { name: 'shared int8', ref: 'smollm2-135m-yesno:int8', prefix: 'shared' },
    { name: 'qlik fp32', ref: 'smollm2-135m-qlik', prefix: 'naive' },
  ];
  const rows: Row[] = [];
  let parameters = 0;
  for (const docTokens of DOC_TOKENS) {
    const naiveRate: number[] = [];
    for (const variant of variants) {
      const ranker = (await openRanker(variant.ref, {
        quiet: true,
        threads: THREADS,
        tuning: {
          prefix: variant.prefix,
          maxDocumentTokens: docTokens,
          batchSize: variant.name.startsWith('qlik') ? 8 : 16,
        },
      })) as DecoderRanker | QueryLikelihoodRanker;
      parameters = ranker.model.blockParameters;
      await ranker.score(query, docs.slice(0, 4)); // warm-up
      const times: number[] = [];
      let tokens = 0;
      for (let r = 0; r < rounds; r++) {
        const before = ranker.stats.tokens;
        const started = performance.now();
        await ranker.score(query, docs);
        times.push((performance.now() - started) / 1000);
        tokens = ranker.stats.tokens - before;
      }
      await ranker.release();
      const seconds = times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 1;
      const itemsPerSecond = CANDIDATES / seconds;
      if (variant.name === 'naive fp32') naiveRate.push(itemsPerSecond);
      const gflops = (2 * parameters * tokens) / seconds / 1e9;
      rows.push({
        variant: variant.name,
        doc_tokens: docTokens,
        items_per_s: itemsPerSecond,
        ms_per_query: seconds * 1000,
        tokens_per_item: tokens / CANDIDATES,
        gflops,
        peak_fraction: 0,
        speedup_vs_naive: itemsPerSecond / (naiveRate[0] ?? itemsPerSecond),
      });
      console.error(`${variant.name} @${docTokens}: ${itemsPerSecond.toFixed(1)} items/s`);
    }
  }
  limits.push(await probe.measure());
  await probe.stop();
  const peak = bestLimits(limits).sgemmGflops;
  for (const row of rows) row.peak_fraction = row.gflops / peak;
  printTable(rows as unknown as Record<string, string | number>[], 3);
  console.log(
    `peak fp32 sgemm on ${THREADS} threads: ${peak.toFixed(1)} GFLOP/s; non-embedding parameters ${parameters}`,
  );
  const path = writeResult('rank', {
    machine: machineInfo(),
    model: 'smollm2-135m-instruct-q4 (SmolLM2-135M-Instruct, GGUF Q4_1 dequantised to float32)',
    rankers: variantsNote,
    query,
    candidates: CANDIDATES,
    threads: THREADS,
    rounds,
    non_embedding_parameters: parameters,
    flops_per_item_formula: '2 · non_embedding_parameters · tokens_per_item',
    limits,
    peak_sgemm_gflops: peak,
    rows,
    transformers_js:
      'not run: it needs an ONNX export of the model from the Hugging Face hub; only GGUF is obtainable here',
  });
  console.log(`wrote ${path}`);
}

await main();
